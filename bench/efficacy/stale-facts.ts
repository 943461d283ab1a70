/**
 * Efficacy scenario 2: stale facts. Facts about a user change over time (they move, change jobs,
 * ...). After each change the agent is asked about it several times, answers from its top-1
 * recall, and is told when the answer was wrong.
 *  - with hub: the wrong answer goes to `insula.feedback` with the question as situation, so the
 *    somatic marker for questions like it penalises the memory that misled;
 *  - without hub (hub: false): the same feedback goes to the memory core's outcome-gated
 *    reinforcement only.
 * Metrics: fraction of correct answers after changes; feedbacks needed before the first correct
 * answer after each change.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Insula } from '../../src/index.js';
import { seededRandom } from '../../src/random.js';
import { sentence } from '../corpus.js';

const ATTRIBUTES = [
  { question: 'Where does the user live?', values: ['Paris', 'Berlin', 'Lisbon', 'Osaka', 'Toronto', 'Nairobi'], say: (v: string) => [`The user lives in ${v}.`, `The user has moved to ${v}.`, `These days the user's home is in ${v}.`] },
  { question: 'What is the user’s job?', values: ['nurse', 'architect', 'baker', 'pilot', 'teacher', 'lawyer'], say: (v: string) => [`The user works as a ${v}.`, `The user started a new job as a ${v}.`, `The user is now employed as a ${v}.`] },
  { question: 'What pet does the user have?', values: ['a beagle', 'a parrot', 'two cats', 'a tortoise', 'a rabbit', 'a goldfish'], say: (v: string) => [`The user has ${v} as a pet.`, `The user adopted ${v}.`, `At home the user now keeps ${v}.`] },
  { question: 'Which car does the user drive?', values: ['a Volvo', 'a Tesla', 'a Fiat', 'a Subaru', 'a Toyota', 'a Renault'], say: (v: string) => [`The user drives ${v}.`, `The user bought ${v}.`, `The user's car is now ${v}.`] },
];

export interface StaleFactsOptions {
  changes: number;
  asksPerChange: number;
  distractors: number;
}

export interface StaleFactsResult {
  accuracy: number;
  /** Mean wrong answers (each followed by feedback) before the first correct one after a change. */
  feedbacksToRecover: number;
  /** Fraction of changes recovered from within 3 feedbacks. */
  recoveredWithin3: number;
}

export async function runStaleFacts(seed: number, withHub: boolean, o: StaleFactsOptions): Promise<StaleFactsResult> {
  const r = seededRandom(seed);
  const dir = mkdtempSync(join(tmpdir(), 'insula-stale-'));
  const mem = await Insula.open({ path: join(dir, 'db.kuzu'), ...(withHub ? {} : { hub: false }) });
  let correct = 0;
  let asked = 0;
  const recoveries: number[] = [];
  try {
    let now = Date.UTC(2026, 0, 1);
    const hour = 3_600_000;
    await mem.rememberMany(Array.from({ length: o.distractors }, () => ({ content: sentence(r), session: 'chatter' })), now);
    const order = ATTRIBUTES.map((a) => [...a.values].sort(() => r() - 0.5));
    for (const [i, a] of ATTRIBUTES.entries()) await mem.rememberMany([{ content: a.say(order[i]![0]!)[0]!, type: 'semantic', session: 'facts' }], now);
    for (let change = 1; change <= o.changes; change++) {
      const i = change % ATTRIBUTES.length;
      const a = ATTRIBUTES[i]!;
      const value = order[i]![Math.floor(change / ATTRIBUTES.length) + 1]!;
      const phrasing = a.say(value);
      now += 24 * hour;
      await mem.rememberMany([{ content: phrasing[1 + Math.floor(r() * (phrasing.length - 1))]!, type: 'semantic', session: `facts-${change}` }], now);
      let wrongBeforeRight: number | null = null;
      let wrong = 0;
      for (let ask = 0; ask < o.asksPerChange; ask++) {
        now += hour;
        const [top] = await mem.recall(a.question, { k: 1, now });
        asked++;
        if (top?.content.includes(value)) {
          correct++;
          wrongBeforeRight ??= wrong;
        } else {
          wrong++;
          if (top) {
            if (withHub) await mem.feedback({ domain: 'user-facts', success: false, memoryIds: [top.id], situation: a.question });
            else await mem.reinforce({ ids: [top.id], outcome: -1, now });
          }
        }
        await mem.flush();
      }
      recoveries.push(wrongBeforeRight ?? o.asksPerChange);
    }
  } finally {
    await mem.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    accuracy: correct / asked,
    feedbacksToRecover: recoveries.reduce((s, x) => s + x, 0) / recoveries.length,
    recoveredWithin3: recoveries.filter((x) => x <= 3).length / recoveries.length,
  };
}
