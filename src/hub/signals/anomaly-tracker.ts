/**
 * Online baseline and anomaly tracker for one scalar stream of the interoceptive hub.
 *
 * Per point, in constant time and memory:
 *  1. contextual novelty (./context-novelty.ts): how much of the recent discretised trajectory,
 *     at the step and the block time scale, was never seen before. Seasonal shapes, flat levels
 *     and re-visited regimes are learned and stop scoring; a new level scores until its contexts
 *     are learned (re-baselining), then falls back to zero.
 *  2. a residual against a slow EWMA baseline (mean, variance), as a normal tail probability. It
 *     only breaks ties between equally novel points (larger deviations rank first).
 *  3. alarm refractoriness: after a score at or above `refractoryThreshold`, scores are damped for
 *     `refractoryPeriod` points, since one anomaly usually spans many points and repeated alarms
 *     add noise, not information.
 * Scores use only points seen so far; `update` scores a point before learning from it.
 */
import { z } from 'zod';
import { ContextNovelty } from './context-novelty.js';

export const AnomalyTrackerOptionsSchema = z.object({
  /** Points scored 0 while the baseline forms. */
  warmup: z.number().int().min(1).default(50),
  /** EWMA weight of the baseline mean and variance (~1/alpha points of memory). */
  baselineAlpha: z.number().gt(0).lt(1).default(0.01),
  /** Bins across the observed range (tuned on NAB dev: 6). */
  bins: z.number().int().min(2).max(1024).default(6),
  /** Longest context, in steps. */
  contextOrder: z.number().int().min(1).max(32).default(6),
  /** log2 of the context table size (2^16 fingerprints = 256 KiB). */
  tableBits: z.number().int().min(8).max(24).default(16),
  /** Points per block for the slow context scale (tuned on NAB dev: 8). */
  blockSize: z.number().int().min(2).max(4096).default(8),
  /** EWMA weight of each context order's novel rate. */
  rateAlpha: z.number().gt(0).lt(1).default(0.01),
  /** Half-life, in points, of the range contraction towards the baseline. */
  rangeHalfLife: z.number().positive().default(100_000),
  /** Share of the score given to the residual tie-break. */
  residualWeight: z.number().min(0).max(1).default(0.1),
  /** Score at which an alarm makes the tracker refractory. */
  refractoryThreshold: z.number().min(0).max(1).default(0.9),
  /** Points of refractoriness after an alarm (tuned on NAB dev: 100). */
  refractoryPeriod: z.number().int().min(0).default(100),
  /** Factor applied to scores while refractory. */
  refractoryFactor: z.number().min(0).max(1).default(0.5),
});
export type AnomalyTrackerOptions = z.input<typeof AnomalyTrackerOptionsSchema>;
export type ResolvedAnomalyTrackerOptions = z.output<typeof AnomalyTrackerOptionsSchema>;

/** Plain JSON snapshot; typed arrays are base64 so its size is fixed for given options. */
export interface AnomalyTrackerSnapshot {
  version: 1;
  options: ResolvedAnomalyTrackerOptions;
  scalars: string;
  novelty: { scalars: string; rings: string; rates: string; table: string };
}

export interface Baseline {
  /** EWMA mean of the values. */
  mean: number;
  /** EWMA standard deviation of the values. */
  scale: number;
  /** Points seen. */
  count: number;
}

/** Complementary error function (Chebyshev fit, relative error < 1.2e-7 everywhere, far tail included). */
function erfc(x: number): number {
  const ax = Math.abs(x);
  const t = 1 / (1 + 0.5 * ax);
  const poly =
    -1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(-ax * ax + poly);
  return x >= 0 ? r : 2 - r;
}

/** Two-sided normal tail of |z| as a surprise in [0,1): 1 - exp(-decades/10). */
function tailSurprise(zAbs: number): number {
  const q = Math.max(erfc(zAbs / Math.SQRT2), 1e-300);
  const decades = -Math.log10(q);
  return decades <= 0 ? 0 : 1 - Math.exp(-decades / 10);
}

// Packed scalar state (one Float64Array keeps the snapshot fixed-size and bit-exact).
const I_N = 0;
const I_MEAN = 1;
const I_VAR = 2;
const I_REFRACTORY = 3;
const I_SIZE = 4;

const toBase64 = (a: Float64Array | Uint32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
function fromBase64<T extends Float64Array | Uint32Array>(text: string, make: (b: ArrayBuffer) => T): T {
  const bytes = Buffer.from(text, 'base64');
  // Copy into a fresh, aligned buffer (Buffer slices may be unaligned for Float64Array).
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return make(copy);
}

export class AnomalyTracker {
  readonly options: ResolvedAnomalyTrackerOptions;
  private readonly s = new Float64Array(I_SIZE);
  private readonly novelty: ContextNovelty;

  constructor(options: AnomalyTrackerOptions = {}) {
    this.options = AnomalyTrackerOptionsSchema.parse(options);
    const o = this.options;
    this.novelty = new ContextNovelty({
      bins: o.bins,
      order: o.contextOrder,
      tableBits: o.tableBits,
      blockSize: o.blockSize,
      rateAlpha: o.rateAlpha,
      rangeDecay: 1 - Math.pow(0.5, 1 / o.rangeHalfLife),
    });
  }

  /**
   * Scores `value` against what came before, then learns from it. `time` (ms) is optional and
   * only validated: the model is sequence-based. Throws on non-finite input, leaving state as it was.
   */
  update(value: number, time?: number): number {
    if (!Number.isFinite(value)) throw new RangeError(`AnomalyTracker.update: value must be a finite number, got ${value}`);
    if (time !== undefined && !Number.isFinite(time)) throw new RangeError(`AnomalyTracker.update: time must be finite when given, got ${time}`);
    const o = this.options;
    const s = this.s;
    const n = ++s[I_N]!;
    if (n === 1) s[I_MEAN] = value;

    // Residual against the baseline before it sees this point (the floor avoids 0/0 on flat lines).
    const mean = s[I_MEAN]!;
    const sd = Math.sqrt(s[I_VAR]!) + 1e-9 * Math.abs(mean) + 1e-12;
    const residual = tailSurprise(Math.abs(value - mean) / sd);

    const novel = this.novelty.observe(value, mean);

    // EWMA mean/variance (West's incremental form); 1/n at the start gives the plain mean.
    const a = Math.max(o.baselineAlpha, 1 / n);
    const d = value - mean;
    s[I_MEAN] = mean + a * d;
    s[I_VAR] = (1 - a) * (s[I_VAR]! + a * d * d);

    if (n <= o.warmup) return 0;
    // Novelty decides; the residual only orders points of equal novelty.
    let score = novel * (1 - o.residualWeight + o.residualWeight * residual);
    if (s[I_REFRACTORY]! > 0) {
      s[I_REFRACTORY]!--;
      score *= o.refractoryFactor;
    } else if (score >= o.refractoryThreshold) {
      s[I_REFRACTORY] = o.refractoryPeriod;
    }
    return score;
  }

  /** Current baseline: EWMA mean and standard deviation, and points seen. */
  get baseline(): Baseline {
    return { mean: this.s[I_MEAN]!, scale: Math.sqrt(this.s[I_VAR]!), count: this.s[I_N]! };
  }

  snapshot(): AnomalyTrackerSnapshot {
    const st = this.novelty.state();
    return {
      version: 1,
      options: { ...this.options },
      scalars: toBase64(this.s),
      novelty: { scalars: toBase64(st.scalars), rings: toBase64(st.rings), rates: toBase64(st.rates), table: toBase64(st.table) },
    };
  }

  /** Rebuilds a tracker whose later scores equal those of the tracker that was snapshotted. */
  static restore(snapshot: AnomalyTrackerSnapshot): AnomalyTracker {
    if (snapshot.version !== 1) throw new RangeError(`AnomalyTracker.restore: unsupported snapshot version ${String(snapshot.version)}`);
    const tracker = new AnomalyTracker(snapshot.options);
    const scalars = fromBase64(snapshot.scalars, (b) => new Float64Array(b));
    if (scalars.length !== I_SIZE) throw new RangeError('AnomalyTracker.restore: malformed scalars');
    tracker.s.set(scalars);
    tracker.novelty.load({
      scalars: fromBase64(snapshot.novelty.scalars, (b) => new Float64Array(b)),
      rings: fromBase64(snapshot.novelty.rings, (b) => new Float64Array(b)),
      rates: fromBase64(snapshot.novelty.rates, (b) => new Float64Array(b)),
      table: fromBase64(snapshot.novelty.table, (b) => new Uint32Array(b)),
    });
    return tracker;
  }
}
