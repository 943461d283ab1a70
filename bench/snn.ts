/**
 * SNN intuition against the hub's somatic-marker cache, as gut-valence predictors of how a situation
 * will turn out, on two prequential streams (predict, then learn the outcome):
 *  (a) synthetic: clusters of situations (noisy unit vectors around hidden centroids), each with a
 *      hidden valence setting its success probability; a quarter of the clusters redraw their
 *      valence at every drift point;
 *  (b) the efficacy bench's strategy-choice world (bench/efficacy/strategy-choice.ts): situation =
 *      "<domain>: <strategy>" embedded by the GloVe embedder, strategy picked uniformly, success
 *      drawn from the world's piecewise-stationary rates.
 * Figures: ROC AUC of the prediction against the outcome (whole stream and second half), latency
 * per prediction (p50/p99, batch 1), predictions/s (batch 1 and batched), memory. Seeds → mean ± sd.
 * Prints one JSON line last.
 *
 *   npm run bench:snn                 (seeds 1..5)
 *   npm run bench:snn -- --seeds 2 --device cuda
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { mean, quantile, standardDeviation } from 'simple-statistics';
import { createGloveEmbedder } from '../native/glove/embedder.js';
import { hubEnergy, SnnIntuition } from '../native/snn/intuition.js';
import type { SnnParamsInput } from '../native/snn/network.js';
import { InteroceptiveHub } from '../src/hub/hub.js';
import { createSomaticCache, markOutcome, readMarkers, SomaticParamsSchema } from '../src/hub/integration/somatic-markers.js';
import { seededRandom } from '../src/random.js';
import { makeWorld, ratesAt, type StrategyChoiceOptions } from './efficacy/strategy-choice.js';

interface Event {
  situation: Float32Array;
  /** 1 = it went well. */
  outcome: 0 | 1;
  /** The hidden success probability (for the oracle's AUC). */
  p: number;
  domain: string;
}

export interface SyntheticOptions {
  dims: number;
  clusters: number;
  events: number;
  /** Situation noise: a situation's cosine to its centroid is about 1/√(1 + noise²). */
  noise: number;
  /** Events between drift points. */
  driftEvery: number;
}

function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

function unit(v: Float32Array): Float32Array {
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
}

export function syntheticStream(seed: number, o: SyntheticOptions): Event[] {
  const r = seededRandom(seed);
  const centroids = Array.from({ length: o.clusters }, () => unit(Float32Array.from({ length: o.dims }, () => normal(r))));
  const valence = centroids.map(() => 2 * r() - 1);
  const events: Event[] = [];
  for (let t = 0; t < o.events; t++) {
    if (t > 0 && t % o.driftEvery === 0) for (let c = 0; c < o.clusters; c++) if (r() < 0.25) valence[c] = 2 * r() - 1;
    const c = Math.floor(r() * o.clusters);
    const situation = unit(centroids[c]!.map((x) => x + (o.noise / Math.sqrt(o.dims)) * normal(r)));
    const p = (1 + valence[c]!) / 2;
    events.push({ situation, outcome: r() < p ? 1 : 0, p, domain: `cluster-${c}` });
  }
  return events;
}

const DOMAINS = ['billing question', 'shipping delay', 'password reset'];
const STRATEGIES = ['apologise and refund the order', 'escalate to a human agent', 'send the help centre article'];

/** The strategy-choice world of efficacy scenario 1 (same seeds), as a situation → outcome stream. */
export async function strategyStream(seed: number, steps: number): Promise<Event[]> {
  const o: StrategyChoiceOptions = { steps, domains: DOMAINS.length, strategies: STRATEGIES.length, changes: 4 };
  const world = makeWorld(o, seededRandom(seed * 7919));
  const embedder = await createGloveEmbedder({ device: 'cpu' });
  const texts = DOMAINS.flatMap((d) => STRATEGIES.map((s) => `${d}: ${s}`));
  const vectors = await embedder.embed(texts);
  await embedder.close();
  const pick = seededRandom(seed * 7919 + 1);
  const luck = seededRandom(seed * 7919 + 2);
  const events: Event[] = [];
  for (let t = 0; t < steps; t++) {
    for (let d = 0; d < o.domains; d++) {
      const s = Math.floor(pick() * o.strategies);
      const p = ratesAt(world, d, t)[s]!;
      events.push({ situation: vectors[d * o.strategies + s]!, outcome: luck() < p ? 1 : 0, p, domain: DOMAINS[d]!.replaceAll(' ', '-') });
    }
  }
  return events;
}

/** ROC AUC by the rank-sum (Mann–Whitney U) statistic, ties given their mean rank. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  const ranks = new Float64Array(scores.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    for (let k = i; k <= j; k++) ranks[order[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]) {
      positives++;
      rankSum += ranks[i]!;
    }
  }
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

interface Predictor {
  predict(situation: Float32Array): Promise<number> | number;
  learn(event: Event): void;
}

function somaticPredictor(): Predictor & { markers: () => number } {
  const cache = createSomaticCache();
  const p = SomaticParamsSchema.parse({});
  return {
    predict: (s) => readMarkers(cache, s, p).valence,
    learn: (e) => markOutcome(cache, e.situation, [], 2 * e.outcome - 1, p),
    markers: () => cache.markers.length,
  };
}

/** The SNN, learning at the energy level of a real hub that receives the same outcomes. */
function snnPredictor(snn: SnnIntuition): Predictor {
  const hub = new InteroceptiveHub();
  return {
    predict: async (s) => (await snn.predict([s]))[0]!,
    learn: (e) => {
      hub.feedback('bench', { domain: e.domain, success: e.outcome === 1, time: 0 });
      snn.learn(e.situation, 2 * e.outcome - 1, hubEnergy(hub.state('bench')));
    },
  };
}

interface StreamScore {
  auc: number;
  aucSecondHalf: number;
  latencyP50Us: number;
  latencyP99Us: number;
}

async function prequential(events: Event[], predictor: Predictor): Promise<StreamScore> {
  const scores = new Float64Array(events.length);
  const latency: number[] = [];
  for (const [i, e] of events.entries()) {
    const t = performance.now();
    scores[i] = await predictor.predict(e.situation);
    latency.push((performance.now() - t) * 1000);
    predictor.learn(e);
  }
  const labels = events.map((e) => e.outcome);
  const half = Math.floor(events.length / 2);
  return {
    auc: rocAuc(scores, labels),
    aucSecondHalf: rocAuc(scores.subarray(half), labels.slice(half)),
    latencyP50Us: quantile(latency, 0.5),
    latencyP99Us: quantile(latency, 0.99),
  };
}

function oracle(events: Event[]): { auc: number; aucSecondHalf: number } {
  const half = Math.floor(events.length / 2);
  const p = events.map((e) => e.p);
  const y = events.map((e) => e.outcome);
  return { auc: rocAuc(p, y), aucSecondHalf: rocAuc(p.slice(half), y.slice(half)) };
}

export interface ThroughputOptions {
  dims?: number;
  device?: 'auto' | 'cpu' | 'cuda';
  threads?: number;
  network?: Partial<SnnParamsInput>;
  /** Predictions timed at batch 1. */
  single?: number;
  batch?: number;
  /** Situations predicted in batches of `batch`. */
  batched?: number;
}

export interface SnnThroughput {
  device: 'cpu' | 'cuda';
  predictionsPerSecBatch1: number;
  predictionsPerSecBatched: number;
  batch: number;
  latencyP50Us: number;
  latencyP99Us: number;
  /** Float32 weights the forward pass reads. */
  weightBytes: number;
  /** Resident-set growth from creating the model and running it. */
  rssDeltaBytes: number;
}

/** Forward-pass speed of an untrained SNN (learning does not change the cost of a prediction). */
export async function snnThroughput(o: ThroughputOptions = {}): Promise<SnnThroughput> {
  const dims = o.dims ?? 100;
  const r = seededRandom(99);
  const situations = Array.from({ length: 1024 }, () => unit(Float32Array.from({ length: dims }, () => normal(r))));
  const rssBefore = process.memoryUsage().rss;
  const snn = await SnnIntuition.create({ network: { ...o.network, dims }, device: o.device ?? 'auto', ...(o.threads ? { threads: o.threads } : {}), batchSize: o.batch ?? 256 });
  try {
    await snn.predict(situations.slice(0, 64)); // warm-up
    const latency: number[] = [];
    const single = o.single ?? 1000;
    const t1 = performance.now();
    for (let i = 0; i < single; i++) {
      const t = performance.now();
      await snn.predict([situations[i % situations.length]!]);
      latency.push((performance.now() - t) * 1000);
    }
    const batch1 = single / ((performance.now() - t1) / 1000);
    const batched = o.batched ?? 4096;
    const t2 = performance.now();
    for (let n = 0; n < batched; n += situations.length) await snn.predict(situations.slice(0, Math.min(situations.length, batched - n)));
    const batchedRate = batched / ((performance.now() - t2) / 1000);
    return {
      device: snn.device,
      predictionsPerSecBatch1: batch1,
      predictionsPerSecBatched: batchedRate,
      batch: o.batch ?? 256,
      latencyP50Us: quantile(latency, 0.5),
      latencyP99Us: quantile(latency, 0.99),
      weightBytes: snn.weightBytes,
      rssDeltaBytes: process.memoryUsage().rss - rssBefore,
    };
  } finally {
    await snn.close();
  }
}

export interface SnnBenchOptions {
  seed?: number;
  seeds?: number;
  device?: 'auto' | 'cpu' | 'cuda';
  synthetic?: Partial<SyntheticOptions>;
  /** Steps of the strategy-choice world (× 3 domains events); 0 leaves stream (b) out. */
  strategySteps?: number;
  network?: Partial<SnnParamsInput>;
  log?: (line: string) => void;
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;
const summary = (xs: number[]) => ({ mean: round(mean(xs)), sd: round(xs.length > 1 ? standardDeviation(xs) : 0) });

function summarise(runs: StreamScore[]): Record<string, { mean: number; sd: number }> {
  return {
    auc: summary(runs.map((r) => r.auc)),
    auc_second_half: summary(runs.map((r) => r.aucSecondHalf)),
    latency_p50_us: summary(runs.map((r) => r.latencyP50Us)),
    latency_p99_us: summary(runs.map((r) => r.latencyP99Us)),
  };
}

export async function benchSnn(o: SnnBenchOptions = {}) {
  const log = o.log ?? (() => undefined);
  const seeds = Array.from({ length: o.seeds ?? 5 }, (_, i) => (o.seed ?? 1) + i);
  const syn: SyntheticOptions = { dims: 100, clusters: 24, events: 2000, noise: 0.75, driftEvery: 500, ...o.synthetic };
  const device = o.device ?? 'auto';
  const runs = { synthetic: { snn: [] as StreamScore[], snnNoStdp: [] as StreamScore[], somatic: [] as StreamScore[], oracle: [] as Array<{ auc: number; aucSecondHalf: number }> }, strategy: { snn: [] as StreamScore[], somatic: [] as StreamScore[], oracle: [] as Array<{ auc: number; aucSecondHalf: number }> } };
  let markers = 0;
  for (const seed of seeds) {
    const events = syntheticStream(seed, syn);
    const somatic = somaticPredictor();
    runs.synthetic.somatic.push(await prequential(events, somatic));
    markers = Math.max(markers, somatic.markers());
    for (const [key, stdpScale] of [['snn', 1], ['snnNoStdp', 0]] as const) {
      const snn = await SnnIntuition.create({ network: { ...o.network, dims: syn.dims }, seed, device, stdpScale });
      runs.synthetic[key].push(await prequential(events, snnPredictor(snn)));
      await snn.close();
    }
    runs.synthetic.oracle.push(oracle(events));
    const last = (xs: StreamScore[]) => xs.at(-1)!.auc.toFixed(3);
    log(`synthetic seed ${seed}: AUC snn ${last(runs.synthetic.snn)}, snn without STDP ${last(runs.synthetic.snnNoStdp)}, somatic ${last(runs.synthetic.somatic)}, oracle ${runs.synthetic.oracle.at(-1)!.auc.toFixed(3)}`);
    if ((o.strategySteps ?? 1000) > 0) {
      const world = await strategyStream(seed, o.strategySteps ?? 1000);
      runs.strategy.somatic.push(await prequential(world, somaticPredictor()));
      const snn = await SnnIntuition.create({ network: { ...o.network, dims: world[0]!.situation.length }, seed, device });
      runs.strategy.snn.push(await prequential(world, snnPredictor(snn)));
      await snn.close();
      runs.strategy.oracle.push(oracle(world));
      log(`strategy-choice seed ${seed}: AUC snn ${last(runs.strategy.snn)}, somatic ${last(runs.strategy.somatic)}, oracle ${runs.strategy.oracle.at(-1)!.auc.toFixed(3)}`);
    }
  }
  const throughput = await snnThroughput({ dims: syn.dims, device, network: o.network });
  log(`throughput (${throughput.device}): ${throughput.predictionsPerSecBatch1.toFixed(0)}/s at batch 1, ${throughput.predictionsPerSecBatched.toFixed(0)}/s at batch ${throughput.batch}`);
  return {
    seeds,
    device: throughput.device,
    synthetic: {
      options: syn,
      snn: summarise(runs.synthetic.snn),
      snn_without_stdp: summarise(runs.synthetic.snnNoStdp),
      somatic: summarise(runs.synthetic.somatic),
      oracle_auc: summary(runs.synthetic.oracle.map((r) => r.auc)),
      oracle_auc_second_half: summary(runs.synthetic.oracle.map((r) => r.aucSecondHalf)),
    },
    ...(runs.strategy.snn.length > 0
      ? {
          strategy_choice: {
            events_per_seed: 3 * (o.strategySteps ?? 1000),
            snn: summarise(runs.strategy.snn),
            somatic: summarise(runs.strategy.somatic),
            oracle_auc: summary(runs.strategy.oracle.map((r) => r.auc)),
            oracle_auc_second_half: summary(runs.strategy.oracle.map((r) => r.aucSecondHalf)),
          },
        }
      : {}),
    throughput: {
      predictions_per_sec_batch1: round(throughput.predictionsPerSecBatch1, 0),
      predictions_per_sec_batched: round(throughput.predictionsPerSecBatched, 0),
      batch: throughput.batch,
      latency_p50_us: round(throughput.latencyP50Us, 1),
      latency_p99_us: round(throughput.latencyP99Us, 1),
    },
    memory: {
      snn_weight_bytes: throughput.weightBytes,
      snn_rss_delta_bytes: throughput.rssDeltaBytes,
      somatic_centroid_bytes: markers * syn.dims * 4,
      somatic_markers: markers,
    },
  };
}

function main(): Promise<void> {
  const args = new Command()
    .option('--seed <n>', 'first seed', (v) => Number(v), 1)
    .option('--seeds <count>', 'number of seeds', (v) => Number(v), 5)
    .option('--device <device>', "'auto' | 'cpu' | 'cuda'", 'auto')
    .option('--events <n>', 'synthetic stream length', (v) => Number(v), 2000)
    .option('--strategy-steps <n>', 'strategy-choice steps (0 leaves it out)', (v) => Number(v), 1000)
    .option('--network <json>', 'SNN parameter overrides as JSON', '{}')
    .parse()
    .opts<{ seed: number; seeds: number; device: 'auto' | 'cpu' | 'cuda'; events: number; strategySteps: number; network: string }>();
  return benchSnn({
    seed: args.seed,
    seeds: args.seeds,
    device: args.device,
    synthetic: { events: args.events },
    strategySteps: args.strategySteps,
    network: JSON.parse(args.network) as Partial<SnnParamsInput>,
    log: (line) => console.error(line),
  }).then((result) => console.log(JSON.stringify(result)));
}

/** True when this file is the entry script (tsx), false when imported (bench:native). */
function invokedDirectly(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}
if (invokedDirectly()) await main();
