/**
 * `npm run demo` / `insula demo`: the full loop on the embedded defaults. A scripted agent lives
 * through three sessions through the host hooks; each turn prints the block insula puts before
 * the model (recalled memories, interoceptive state, regulation) and what the agent did with it.
 * The agent follows the hub: it drops a deploy strategy the hub calls failing and answers a
 * question again after the user says it was wrong. No network, no API key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHooks, type InboundContext } from './hooks/index.js';
import { Insula } from './insula.js';
import { seededRandom } from './random.js';

export interface DemoOptions {
  embedder?: 'use-lite' | 'glove';
  /** Keep the database directory instead of deleting it. */
  keep?: boolean;
  /** Where to print (default: stdout). */
  print?: (line: string) => void;
}

export interface DemoSummary {
  turns: number;
  /** Deploy turn at which the agent left the failing strategy (null if it never did). */
  switchedAt: number | null;
  deploySuccesses: number;
  deployTurns: number;
  /** Whether the residence question was answered right after the user's correction. */
  correctedAnswer: boolean;
  dir: string;
}

const NAMESPACE = 'demo';
const STRATEGIES = ['rolling-update', 'blue-green'] as const;
type Strategy = (typeof STRATEGIES)[number];

export async function runDemo(options: DemoOptions = {}): Promise<DemoSummary> {
  const print = options.print ?? ((line: string) => console.log(line));
  const dir = mkdtempSync(join(tmpdir(), 'insula-demo-'));
  const mem = await Insula.open({ path: join(dir, 'memory.kuzu'), embedder: { kind: options.embedder ?? 'use-lite' } });
  const hooks = createHooks(mem, { budgetChars: 1200, k: 5 });
  const random = seededRandom(7);
  let turns = 0;

  /** One host turn: hooks before and after, the agent in between. */
  async function turn(session: string, userText: string, agent: (context: InboundContext) => { reply: string; strategy?: string; outcome?: boolean }) {
    turns++;
    const context = await hooks.beforeInbound({ namespace: NAMESPACE, sessionId: session, userText });
    print(`\n── ${session} · turn ${turns} ${'─'.repeat(Math.max(0, 50 - session.length))}`);
    print(`user:  ${userText}`);
    if (context.block) print(context.block.replace(/^/gm, '  │ '));
    const act = agent(context);
    const g = context.generation;
    print(`agent: ${act.reply}${g ? `   (temperature ${g.temperature}, exploration ${g.exploration})` : ''}`);
    if (act.outcome !== undefined) print(`       → ${act.outcome ? 'success' : 'failure'}`);
    await hooks.beforeOutbound({
      namespace: NAMESPACE,
      sessionId: session,
      userText,
      assistantText: act.reply,
      ...(act.strategy ? { strategy: act.strategy } : {}),
      ...(act.outcome === undefined ? {} : { outcome: act.outcome }),
    });
    // A scripted demo waits for the stored turn so the next one sees it; a host would not.
    await hooks.flush();
    return context;
  }

  try {
    print(`insula demo — store ${dir}, embedder ${mem.embedder.name}`);

    // Session 1: facts about the user and the service.
    const tell = (reply: string) => () => ({ reply });
    await turn('onboarding', 'Hi, I am Maya. I run the payments service; we deploy it to Kubernetes, staging first.', tell('Nice to meet you, Maya. Noted: payments on Kubernetes, staging first.'));
    await turn('onboarding', 'I live in Porto, so I am online from 8:00 Lisbon time.', tell('Noted: you are in Porto, online from 8:00.'));
    await turn('onboarding', 'Always page me before any production rollback.', tell('Understood: page you before any production rollback.'));

    // Session 2: deploys. The cluster upgrade after deploy 10 breaks rolling updates.
    let preferred: Strategy = 'rolling-update';
    let switchedAt: number | null = null;
    let deploySuccesses = 0;
    const deployTurns = 20;
    for (let i = 1; i <= deployTurns; i++) {
      const userText = i === 2 ? `Deploy payments v1.${i} to staging, and try blue-green this time.` : `Deploy payments v1.${i} to staging.`;
      await turn('deploys', userText, (context) => {
        const shift = context.actions.find((a) => a.kind === 'behaviour-shift' && a.failing === preferred && a.alternative);
        if (shift && shift.kind === 'behaviour-shift') {
          preferred = shift.alternative as Strategy;
          switchedAt ??= i;
        }
        const explore = random() < (context.generation?.exploration ?? 0);
        const strategy: Strategy = i === 2 ? 'blue-green' : explore ? STRATEGIES.find((s) => s !== preferred)! : preferred;
        const works = strategy === 'blue-green' ? random() < 0.9 : i <= 10 ? random() < 0.95 : random() < 0.1;
        if (works) deploySuccesses++;
        const why = explore ? ' (exploring)' : shift ? ` — switching: ${shift.reason}` : '';
        return { reply: `Deploying v1.${i} with ${strategy}${why}.`, strategy, outcome: works };
      });
    }

    // Session 3: a fact changed; the first answer may use the old one, the user's verdict corrects it.
    await turn('catch-up', 'By the way, I moved to Lisbon last month.', tell('Thanks, noted that you moved to Lisbon.'));
    // The agent trusts what the user said (the "User:" line of a stored exchange), best-ranked first.
    const answer = (context: InboundContext) => {
      const said = context.memories.map((m) => /^User: (.*)$/m.exec(m.content)?.[1] ?? '').find((line) => /\b(live|moved)\b.*\b(Porto|Lisbon)\b/.test(line));
      const city = said?.match(/\b(live|moved)\b.*?\b(Porto|Lisbon)\b/)?.[2] ?? 'unknown';
      return { reply: `From what I remember you live in ${city}.` };
    };
    let correctedAnswer = false;
    for (let attempt = 0; attempt < 3; attempt++) {
      const context = await turn('catch-up', 'Which city do I live in?', answer);
      const right = answer(context).reply.includes('Lisbon');
      if (attempt > 0) correctedAnswer = right;
      if (right) {
        await turn('catch-up', 'Thanks, that is right.', tell('Glad to help.'));
        correctedAnswer ||= attempt === 0;
        break;
      }
      await turn('catch-up', "That's wrong, I told you I moved.", tell('Sorry, I will look again.'));
    }

    const state = await mem.state(NAMESPACE);
    const ops = state.domains['ops'];
    print('\n── summary ' + '─'.repeat(48));
    print(`turns ${turns}; deploys ${deploySuccesses}/${deployTurns} succeeded; left rolling-update at deploy ${switchedAt ?? 'never'}`);
    if (ops) print(`ops strategies: ${Object.entries(ops.strategies).map(([name, s]) => `${name} ${Math.round(s.successRate * 100)}% over ${s.trials.toFixed(0)} trials`).join(', ')}`);
    print(`residence question: ${correctedAnswer ? 'answered right after the correction' : 'still wrong'}`);
    await hooks.close();
    // Consolidation ("sleep") runs off the turn, e.g. when the agent is idle.
    const [sleep] = await mem.consolidate({ namespace: NAMESPACE });
    print(`memories stored: ${await mem.store.countMemories(NAMESPACE)}; hook incidents: ${hooks.health().incidents}`);
    print(`consolidation: replayed ${sleep!.replayed}, links pruned ${sleep!.linksPruned}, merged ${sleep!.merged}, forgotten ${sleep!.forgotten}`);
    return { turns, switchedAt, deploySuccesses, deployTurns, correctedAnswer, dir };
  } finally {
    await mem.close();
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
    else print(`database kept in ${dir}`);
  }
}
