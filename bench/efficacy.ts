/**
 * Closed-loop efficacy of the hub: each scenario runs the same agent with the hub and without it,
 * over several seeds, and prints per-scenario figures (mean and standard deviation over seeds) and
 * the relative improvement. Prints one JSON line last.
 *
 *   npm run bench:efficacy -- --seed 1            (seeds 1..5)
 */
import { Command } from 'commander';
import { mean, standardDeviation } from 'simple-statistics';
import { runStaleFacts } from './efficacy/stale-facts.js';
import { runStrategyChoice } from './efficacy/strategy-choice.js';

const args = new Command()
  .option('--seed <n>', 'first seed', (v) => Number(v), 1)
  .option('--seeds <count>', 'number of seeds', (v) => Number(v), 5)
  .option('--steps <n>', 'strategy-choice steps per domain', (v) => Number(v), 5000)
  .parse()
  .opts<{ seed: number; seeds: number; steps: number }>();

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
  }),
);
