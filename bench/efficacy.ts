/**
 * Closed-loop efficacy of the hub: each scenario runs the same agent with the hub and without it,
 * over several seeds, and prints per-scenario figures (mean and standard deviation over seeds) and
 * the relative improvement. Prints one JSON line last.
 *
 *   npm run bench:efficacy -- --seed 1            (seeds 1..5)
 *   npm run bench:efficacy -- --seed 1 --skip-locomo   (scenarios 1 and 2 only)
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { mean, standardDeviation } from 'simple-statistics';
import { prepareLowConfidence, runLowConfidence, type LowConfidenceResult } from './efficacy/low-confidence.js';
import { runStaleFacts } from './efficacy/stale-facts.js';
import { runStrategyChoice } from './efficacy/strategy-choice.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

const args = new Command()
  .option('--seed <n>', 'first seed', (v) => Number(v), 1)
  .option('--seeds <count>', 'number of seeds', (v) => Number(v), 5)
  .option('--steps <n>', 'strategy-choice steps per domain', (v) => Number(v), 5000)
  .option('--locomo <path>', 'LoCoMo dev file for the low-confidence scenario', resolve(repoRoot, '../shared/data/locomo/locomo-dev.json'))
  .option('--skip-locomo', 'skip the low-confidence scenario')
  .parse()
  .opts<{ seed: number; seeds: number; steps: number; locomo: string; skipLocomo?: boolean }>();

// Checked up front, so a missing file does not surface only after the other scenarios have run.
if (!args.skipLocomo && !existsSync(resolve(args.locomo))) throw new Error(`--locomo: ${resolve(args.locomo)} not found (pass --skip-locomo to leave scenario 3 out)`);

const seeds = Array.from({ length: args.seeds }, (_, i) => args.seed + i);
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;
const summary = (xs: number[]) => ({ mean: round(mean(xs)), sd: round(xs.length > 1 ? standardDeviation(xs) : 0) });

const strategy = seeds.map((s) => runStrategyChoice(s * 7919, { steps: args.steps, domains: 3, strategies: 3, changes: 4 }));
for (const [i, r] of strategy.entries()) console.error(`strategy-choice seed ${seeds[i]}: regret with hub ${r.withHub.toFixed(0)}, without ${r.withoutHub.toFixed(0)}, SW-UCB ${r.swUcb.toFixed(0)}`);
const regret = { withHub: summary(strategy.map((r) => r.withHub)), withoutHub: summary(strategy.map((r) => r.withoutHub)), swUcb: summary(strategy.map((r) => r.swUcb)) };

const stale = [];
for (const s of seeds) {
  const options = { changes: 12, asksPerChange: 5, distractors: 200 };
  const [withHub, withoutHub] = [await runStaleFacts(s, true, options), await runStaleFacts(s, false, options)];
  console.error(`stale-facts seed ${s}: accuracy with hub ${withHub.accuracy.toFixed(2)}, without ${withoutHub.accuracy.toFixed(2)}; feedbacks to recover ${withHub.feedbacksToRecover.toFixed(2)} vs ${withoutHub.feedbacksToRecover.toFixed(2)}`);
  stale.push({ withHub, withoutHub });
}

let lowConfidence: Record<string, unknown> | undefined;
if (!args.skipLocomo) {
  const corpus = await prepareLowConfidence(resolve(args.locomo));
  console.error(`low-confidence: ingested ${corpus.idToDia.size} turns, ${corpus.questions.length} questions, in ${corpus.ingestSeconds.toFixed(0)} s (${corpus.embedder})`);
  const runs: LowConfidenceResult[] = [];
  try {
    for (const s of seeds) {
      const r = await runLowConfidence(corpus, s);
      console.error(
        `low-confidence seed ${s}: ${r.lowConfidence} of ${r.questions} low-confidence; recall@10 on them with hub ${r.lowRecall10WithHub.toFixed(3)}, without ${r.lowRecall10WithoutHub.toFixed(3)}; overall ${r.recall10WithHub.toFixed(3)} vs ${r.recall10WithoutHub.toFixed(3)} (${r.seconds.toFixed(0)} s)`,
      );
      runs.push(r);
    }
  } finally {
    corpus.dispose();
  }
  lowConfidence = {
    questions: runs[0]!.questions,
    embedder: corpus.embedder,
    low_confidence_questions: summary(runs.map((r) => r.lowConfidence)),
    recall10_low_confidence_with_hub: summary(runs.map((r) => r.lowRecall10WithHub)),
    recall10_low_confidence_without_hub: summary(runs.map((r) => r.lowRecall10WithoutHub)),
    recall10_low_confidence_gain: summary(runs.map((r) => r.lowRecall10WithHub - r.lowRecall10WithoutHub)),
    recall10_with_hub: summary(runs.map((r) => r.recall10WithHub)),
    recall10_without_hub: summary(runs.map((r) => r.recall10WithoutHub)),
    recall10_gain: summary(runs.map((r) => r.recall10WithHub - r.recall10WithoutHub)),
    seconds_ingest: round(corpus.ingestSeconds, 0),
    seconds_per_seed: summary(runs.map((r) => r.seconds)).mean,
  };
}

console.log(
  JSON.stringify({
    seeds,
    strategy_choice: {
      regret_with_hub: regret.withHub,
      regret_without_hub: regret.withoutHub,
      regret_sw_ucb: regret.swUcb,
      regret_reduction_vs_without_hub: summary(strategy.map((r) => 1 - r.withHub / r.withoutHub)),
      regret_ratio_vs_sw_ucb: summary(strategy.map((r) => r.withHub / r.swUcb)),
    },
    stale_facts: {
      accuracy_with_hub: summary(stale.map((r) => r.withHub.accuracy)),
      accuracy_without_hub: summary(stale.map((r) => r.withoutHub.accuracy)),
      feedbacks_to_recover_with_hub: summary(stale.map((r) => r.withHub.feedbacksToRecover)),
      feedbacks_to_recover_without_hub: summary(stale.map((r) => r.withoutHub.feedbacksToRecover)),
      recovered_within_3_with_hub: summary(stale.map((r) => r.withHub.recoveredWithin3)),
      recovered_within_3_without_hub: summary(stale.map((r) => r.withoutHub.recoveredWithin3)),
    },
    ...(lowConfidence ? { low_confidence: lowConfidence } : {}),
  }),
);
