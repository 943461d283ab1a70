/**
 * Lifeform metabolism: value delivered under a fixed token budget by the tier choices of the
 * metabolism — per task by expected value per token, learned per task kind through the hub
 * (value-per-token; value-blind is the same told nothing about the task), or from hunger alone
 * (hunger-only) — against a lifeform pinned to one tier. Prints one JSON line last.
 *
 *   npm run bench:lifeform [-- --seeds 5 --tasks 200 --token-value 0.001 --optimism 1]
 *
 * SIMULATION — no LLM runs offline, so the three tiers are LangChain fake chat models
 * (`fakeModel()` from @langchain/core/testing) whose replies follow a stated capability model:
 *   - A task is an arithmetic question with a known answer: easy "a + b", medium "a × b", hard
 *     "(a × b + c) mod m", worth 1, 2 and 4 when answered right. The stream is 50 % easy, 30 %
 *     medium, 20 % hard, shuffled by the seed.
 *   - A tier's model answers a task right with probability CAPABILITY[tier][difficulty] (below);
 *     otherwise it answers a wrong number. The draw is one uniform number per task and seed, shared
 *     by the tiers (common random numbers), so a task a weak tier gets right a strong one does too.
 *   - Each reply reports usage_metadata: input tokens = the prompt's characters / 4, output tokens
 *     = OUTPUT_TOKENS[tier]. The lifeform reads its spend from that metadata like any model's.
 * Success is decided by checking the returned number against the known answer; no result is
 * written down in advance. The figures are therefore a statement about the metabolism policy given
 * these capability and cost parameters, not about any real model.
 *
 * What the value arms are told (as a host would know it): the kind of question, read from its
 * operators (taskKind), and what a right answer is worth (the scoring rule, per kind). Never the
 * difficulty label, the draw or the answer; what a tier achieves on a kind is learned from outcomes.
 *
 * Budget: the reserve starts at its capacity and each beat (one per task) releases a fixed amount;
 * the regimes differ in that release. Reflection and consolidation are off so that every token is
 * spent serving tasks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AIMessage, HumanMessage, SystemMessage, type BaseMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { END, START, StateGraph } from '@langchain/langgraph';
import { Command } from 'commander';
import { mean, standardDeviation } from 'simple-statistics';
import { Lifeform, type FascicleFactory } from '../adapters/langgraph/lifeform/lifeform.js';
import type { Override, Policy } from '../adapters/langgraph/lifeform/metabolism.js';
import { FascicleState, type FascicleStateValue } from '../adapters/langgraph/neurons/state.js';
import { createGloveEmbedder } from '../native/glove/embedder.js';
import { Insula } from '../src/insula.js';
import { seededRandom } from '../src/random.js';

type Difficulty = 'easy' | 'medium' | 'hard';

/** Simulation parameter: probability that a tier's model answers a task of this difficulty right. */
const CAPABILITY: Record<Policy, Record<Difficulty, number>> = {
  eco: { easy: 0.95, medium: 0.5, hard: 0.1 },
  default: { easy: 0.98, medium: 0.85, hard: 0.45 },
  hyper: { easy: 0.99, medium: 0.95, hard: 0.85 },
};
/** Simulation parameter: output tokens a tier's reply reports (stronger tiers reason at length). */
const OUTPUT_TOKENS: Record<Policy, number> = { eco: 20, default: 120, hyper: 600 };
const VALUE: Record<Difficulty, number> = { easy: 1, medium: 2, hard: 4 };
const MIX: Array<[Difficulty, number]> = [
  ['easy', 0.5],
  ['medium', 0.3],
  ['hard', 0.2],
];
const CAPACITY = 8000;
/** Tokens released per beat, per regime: tight (below what the default tier needs per task) and ample (above it). */
const REGIMES = { tight: 60, ample: 150 } as const;

interface Arm {
  name: string;
  override: Override;
  stepDown: boolean;
  /** Tier by expected value per token (with this tokenValue), or false for the hunger band alone. */
  tierChoice: false | { tokenValue: number; optimism: number };
  /** What the lifeform is told about a task: its kind and worth (as a host would know them), or nothing. */
  informed: boolean;
}
const args = new Command()
  .option('--seeds <n>', 'seeds (task streams)', (v) => Number(v), 5)
  .option('--tasks <n>', 'tasks per stream', (v) => Number(v), 200)
  .option('--token-value <x>', "tierChoice.tokenValue of the value arms (the library's default)", (v) => Number(v), 0.001)
  .option('--optimism <x>', "tierChoice.optimism of the value arms (the library's default)", (v) => Number(v), 1)
  .parse()
  .opts<{ seeds: number; tasks: number; tokenValue: number; optimism: number }>();
const CHOICE = { tokenValue: args.tokenValue, optimism: args.optimism };
const ARMS: Arm[] = [
  { name: 'value-per-token', override: 'default', stepDown: true, tierChoice: CHOICE, informed: true },
  // Ablation: the same choice told nothing about the task (one domain, worth 1 for every task).
  { name: 'value-blind', override: 'default', stepDown: true, tierChoice: CHOICE, informed: false },
  // The policy before tier choice: eco/default/hyper from hunger alone.
  { name: 'hunger-only', override: 'default', stepDown: true, tierChoice: false, informed: false },
  { name: 'fixed-eco', override: 'force_eco', stepDown: false, tierChoice: false, informed: false },
  { name: 'fixed-default', override: 'force_default', stepDown: false, tierChoice: false, informed: false },
  { name: 'fixed-hyper', override: 'force_hyper', stepDown: false, tierChoice: false, informed: false },
  // Ablation: pinned to hyper but stepping down when it cannot afford it (no hunger anticipation).
  { name: 'hyper-step-down', override: 'force_hyper', stepDown: true, tierChoice: false, informed: false },
];

interface Task {
  id: number;
  difficulty: Difficulty;
  question: string;
  answer: number;
}

function taskStream(seed: number, n: number): Task[] {
  const r = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  return Array.from({ length: n }, (_, id) => {
    const u = r();
    const difficulty = MIX.find((_, i) => u < MIX.slice(0, i + 1).reduce((s, [, w]) => s + w, 0))?.[0] ?? 'hard';
    const a = int(10, 99);
    const b = int(10, 99);
    if (difficulty === 'easy') return { id, difficulty, question: `Task ${id}. What is ${a} + ${b}?`, answer: a + b };
    if (difficulty === 'medium') return { id, difficulty, question: `Task ${id}. What is ${a} × ${b}?`, answer: a * b };
    const c = int(10, 99);
    const m = int(7, 97);
    return { id, difficulty, question: `Task ${id}. What is (${a} × ${b} + ${c}) mod ${m}?`, answer: (a * b + c) % m };
  });
}

/**
 * The task's kind as a host sees it, from the operators in the question alone (no label, no
 * answer). In this simulation the form of a question is what sets its difficulty, so the kind
 * separates the difficulties; what each tier achieves on a kind is still only learned from outcomes.
 */
function taskKind(question: string): 'arithmetic-sum' | 'arithmetic-product' | 'arithmetic-modular' {
  return question.includes(' mod ') ? 'arithmetic-modular' : question.includes('×') ? 'arithmetic-product' : 'arithmetic-sum';
}
/** The host's payoff per kind: the bench's scoring rule (VALUE), stated per kind of question. */
const WORTH: Record<ReturnType<typeof taskKind>, number> = { 'arithmetic-sum': VALUE.easy, 'arithmetic-product': VALUE.medium, 'arithmetic-modular': VALUE.hard };

/** What the simulated model understands of a question: its form (hence difficulty) and true answer. */
function read(question: string): { id: number; difficulty: Difficulty; answer: number } {
  const id = Number(/Task (\d+)\./.exec(question)![1]);
  let m = /What is \((\d+) × (\d+) \+ (\d+)\) mod (\d+)\?/.exec(question);
  if (m) return { id, difficulty: 'hard', answer: (Number(m[1]) * Number(m[2]) + Number(m[3])) % Number(m[4]) };
  m = /What is (\d+) × (\d+)\?/.exec(question);
  if (m) return { id, difficulty: 'medium', answer: Number(m[1]) * Number(m[2]) };
  m = /What is (\d+) \+ (\d+)\?/.exec(question)!;
  return { id, difficulty: 'easy', answer: Number(m[1]) + Number(m[2]) };
}

/** A tier's model: LangChain's fakeModel replying per the capability model, with usage metadata. */
function tierModel(tier: Policy, draws: number[], calls: number) {
  const model = fakeModel();
  const reply = (messages: BaseMessage[]) => {
    const prompt = messages.map((m) => m.text).join('\n');
    const task = read(prompt);
    const right = draws[task.id]! < CAPABILITY[tier][task.difficulty];
    const text = String(right ? task.answer : task.answer + 1 + Math.floor(draws[task.id]! * 7));
    const input = Math.ceil(prompt.length / 4);
    return new AIMessage({ content: text, usage_metadata: { input_tokens: input, output_tokens: OUTPUT_TOKENS[tier], total_tokens: input + OUTPUT_TOKENS[tier] } });
  };
  for (let i = 0; i < calls; i++) model.respond(reply);
  return model;
}

/** One neuron answering with the tier's model. */
const solve: FascicleFactory = ({ model }) =>
  new StateGraph(FascicleState)
    .addNode('solve', async (state: FascicleStateValue) => {
      const reply = await model.invoke([new SystemMessage('Answer with the number only.'), new HumanMessage(state.events.map((e) => e.content).join('\n'))]);
      return { output: reply.text.trim(), events: [{ role: 'assistant', content: reply.text, source: 'solve' }] };
    })
    .addEdge(START, 'solve')
    .addEdge('solve', END)
    .compile();

interface RunResult {
  value: number;
  tokens: number;
  served: number;
  starved: number;
  correct: number;
  tiers: Record<Policy, number>;
  tiersByDifficulty: Record<Difficulty, Record<Policy, number>>;
  valueByDifficulty: Record<Difficulty, number>;
}

async function runArm(insula: Insula, arm: Arm, regime: keyof typeof REGIMES, tasks: Task[], draws: number[], seed: number): Promise<RunResult> {
  let now = 1_800_000_000_000;
  const life = await Lifeform.open({
    insula,
    namespace: `bench-${regime}-${arm.name}`,
    name: `s${seed}`,
    models: { eco: tierModel('eco', draws, tasks.length), default: tierModel('default', draws, tasks.length), hyper: tierModel('hyper', draws, tasks.length) },
    fascicles: { solve },
    intervalMs: 1000,
    clock: () => now,
    stepDown: arm.stepDown,
    tierChoice: arm.tierChoice,
    reflection: false,
    consolidation: false,
    metabolism: { capacity: CAPACITY, releasePerBeat: REGIMES[regime], horizonBeats: 20 },
  });
  if (arm.override !== 'default') life.setPolicy({ strategy: arm.override, reason: 'bench arm' });
  const result: RunResult = { value: 0, tokens: 0, served: 0, starved: 0, correct: 0, tiers: { eco: 0, default: 0, hyper: 0 }, tiersByDifficulty: { easy: { eco: 0, default: 0, hyper: 0 }, medium: { eco: 0, default: 0, hyper: 0 }, hard: { eco: 0, default: 0, hyper: 0 } }, valueByDifficulty: { easy: 0, medium: 0, hard: 0 } };
  for (const task of tasks) {
    await life.beat();
    const told = arm.informed ? { domain: taskKind(task.question), worth: WORTH[taskKind(task.question)] } : { domain: 'arithmetic' };
    const r = await life.serve({ events: task.question, ...told, evaluate: (out) => (String(out) === String(task.answer) ? 1 : 0) });
    if (r.status === 'starved') result.starved++;
    else {
      result.served++;
      result.tokens += r.tokens;
      result.tiers[r.policy]++;
      result.tiersByDifficulty[task.difficulty][r.policy]++;
      if (r.value === 1) {
        result.correct++;
        result.value += VALUE[task.difficulty];
        result.valueByDifficulty[task.difficulty] += VALUE[task.difficulty];
      }
    }
    now += 1000;
  }
  await life.close();
  return result;
}

const summary = (xs: number[]) => ({ mean: round(mean(xs)), sd: round(xs.length > 1 ? standardDeviation(xs) : 0) });
const round = (x: number) => Math.round(x * 1000) / 1000;

const started = performance.now();
const dir = mkdtempSync(join(tmpdir(), 'insula-bench-lifeform-'));
const runs: Record<string, Record<string, RunResult[]>> = {};
try {
  for (let seed = 1; seed <= args.seeds; seed++) {
    const insula = await Insula.open({ path: join(dir, `s${seed}.kuzu`), embedder: await createGloveEmbedder({ threads: 1 }) });
    try {
      const tasks = taskStream(seed, args.tasks);
      const r = seededRandom(1000 + seed);
      const draws = tasks.map(() => r());
      for (const regime of Object.keys(REGIMES) as Array<keyof typeof REGIMES>) {
        for (const arm of ARMS) {
          const result = await runArm(insula, arm, regime, tasks, draws, seed);
          ((runs[regime] ??= {})[arm.name] ??= []).push(result);
        }
      }
    } finally {
      await insula.close();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const figures = Object.fromEntries(
  Object.entries(runs).map(([regime, arms]) => [
    regime,
    {
      releasePerBeat: REGIMES[regime as keyof typeof REGIMES],
      budgetTokens: CAPACITY + REGIMES[regime as keyof typeof REGIMES] * args.tasks,
      arms: Object.fromEntries(
        Object.entries(arms).map(([arm, rs]) => [
          arm,
          {
            value: summary(rs.map((x) => x.value)),
            tokens: summary(rs.map((x) => x.tokens)),
            valuePerKiloToken: summary(rs.map((x) => (x.tokens > 0 ? (1000 * x.value) / x.tokens : 0))),
            served: summary(rs.map((x) => x.served)),
            starved: summary(rs.map((x) => x.starved)),
            accuracyServed: summary(rs.map((x) => (x.served > 0 ? x.correct / x.served : 0))),
            tierShare: Object.fromEntries((['eco', 'default', 'hyper'] as const).map((t) => [t, round(mean(rs.map((x) => x.tiers[t] / Math.max(1, x.served))))])),
            // Tasks served at each tier (mean over seeds), per difficulty: where the tokens went.
            tiersByDifficulty: Object.fromEntries((['easy', 'medium', 'hard'] as const).map((d) => [d, Object.fromEntries((['eco', 'default', 'hyper'] as const).map((t) => [t, round(mean(rs.map((x) => x.tiersByDifficulty[d][t])))]))])),
            valueByDifficulty: Object.fromEntries((['easy', 'medium', 'hard'] as const).map((d) => [d, round(mean(rs.map((x) => x.valueByDifficulty[d])))])),
            // Paired by seed (same tasks, same draws): the value-per-token arm's value minus this arm's.
            valuePerTokenGain: summary(rs.map((x, i) => arms['value-per-token']![i]!.value - x.value)),
            hungerOnlyGain: summary(rs.map((x, i) => arms['hunger-only']![i]!.value - x.value)),
          },
        ]),
      ),
    },
  ]),
);

for (const [regime, f] of Object.entries(figures)) {
  console.log(`\n${regime}: release ${f.releasePerBeat}/beat, budget ≤ ${f.budgetTokens} tokens, ${args.tasks} tasks × ${args.seeds} seeds`);
  for (const [arm, a] of Object.entries(f.arms)) {
    console.log(
      `  ${arm.padEnd(16)} value ${a.value.mean.toFixed(1).padStart(6)} ± ${a.value.sd.toFixed(1).padEnd(5)} tokens ${a.tokens.mean.toFixed(0).padStart(6)}  value/1k tok ${a.valuePerKiloToken.mean.toFixed(2).padStart(6)}  starved ${a.starved.mean.toFixed(1).padStart(5)}  tiers e/d/h ${a.tierShare.eco}/${a.tierShare.default}/${a.tierShare.hyper}  gain ${a.valuePerTokenGain.mean.toFixed(1)} ± ${a.valuePerTokenGain.sd.toFixed(1)}`,
    );
  }
}
console.log(
  JSON.stringify({
    bench: 'lifeform',
    tierChoice: CHOICE,
    simulation: { capability: CAPABILITY, outputTokens: OUTPUT_TOKENS, value: VALUE, mix: Object.fromEntries(MIX), capacity: CAPACITY },
    tasks: args.tasks,
    seeds: args.seeds,
    regimes: figures,
    seconds: round((performance.now() - started) / 1000),
  }),
);
