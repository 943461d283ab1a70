/**
 * Forgetting with several strength traces, in the spirit of the Memory Chain Model (Murre & Dros
 * 2015, who replicated Ebbinghaus 1885): retention is a weighted sum of exponentials with short →
 * long stabilities,
 *
 *   R(t) = Σ_i w_i · exp(−t / S_i),   Σ_i w_i = 1,   t = time since the last review.
 *
 * A single exponential cannot follow Ebbinghaus's savings curve (a steep first hour, then a long
 * flat tail); three traces can. Reviews grow stabilities more when retention had fallen further
 * (spacing effect, Cepeda et al. 2006); importance multiplies stability; consolidation moves
 * weight from fast to slow traces (`transferTraces`).
 *
 * Pure functions: times are milliseconds since epoch (or elapsed ms), passed in.
 */
import { z } from 'zod';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Default traces, fitted once by least squares (Nelder–Mead in a throwaway script, weights
 * constrained to sum to 1) to Ebbinghaus's (1885) savings: 20 min 58.2 %, 1 h 44.2 %, 8.8 h 35.8 %,
 * 1 d 33.7 %, 2 d 27.8 %, 6 d 25.4 %, 31 d 21.1 %. Raw fit: w = (0.573, 0.161, 0.265),
 * S = (15.7 min, 23.7 h, 134.8 d), R² = 0.993; the rounded constants below give R² = 0.993 too.
 * Fast ≈ minutes, medium ≈ a day, slow ≈ months. They describe nonsense syllables: importance 0.
 */
export const EBBINGHAUS_DEFAULT_TRACES: ReadonlyArray<Readonly<Trace>> = Object.freeze([
  Object.freeze({ weight: 0.575, stability: 16 * MINUTE }),
  Object.freeze({ weight: 0.16, stability: 24 * HOUR }),
  Object.freeze({ weight: 0.265, stability: 135 * DAY }),
]);
/** Stability multiplier at importance 1 is 1 + this (important memories fade half as fast). */
export const EBBINGHAUS_DEFAULT_IMPORTANCE_BOOST = 1;
/** g in S' = S·(1 + g·(1 − R)·(1 + boost·importance)): a review at R = 0 triples stability. */
export const EBBINGHAUS_DEFAULT_SPACING_GAIN = 2;
/** Cap so repeated reviews cannot overflow; ~50 years is "permanent" for an agent. */
export const EBBINGHAUS_DEFAULT_MAX_STABILITY_MS = 50 * 365 * DAY;

/** One exponential trace: share of the memory's strength and its time constant in ms. */
export interface Trace {
  weight: number;
  stability: number;
}

/** Persisted per memory (plain JSON): traces + when they were last refreshed. */
export interface RetentionState {
  traces: Trace[];
  /** ms since epoch of the last encoding or review; retention is measured from here. */
  lastReview: number;
  /** Reviews since encoding (informational). */
  reviews: number;
}

export const TraceSchema = z.object({
  weight: z.number().min(0).max(1),
  stability: z.number().positive(),
});

export const EbbinghausParamsSchema = z.object({
  /** Base traces (importance 0), fast → slow; weights must sum to 1. */
  traces: z
    .array(TraceSchema)
    .min(1)
    .refine((ts) => Math.abs(ts.reduce((s, t) => s + t.weight, 0) - 1) < 1e-6, {
      message: 'trace weights must sum to 1',
    })
    .default(() => EBBINGHAUS_DEFAULT_TRACES.map((t) => ({ ...t }))),
  importanceBoost: z.number().min(0).default(EBBINGHAUS_DEFAULT_IMPORTANCE_BOOST),
  spacingGain: z.number().min(0).default(EBBINGHAUS_DEFAULT_SPACING_GAIN),
  maxStabilityMs: z.number().positive().default(EBBINGHAUS_DEFAULT_MAX_STABILITY_MS),
});
export type EbbinghausParams = z.infer<typeof EbbinghausParamsSchema>;
export type EbbinghausParamsInput = z.input<typeof EbbinghausParamsSchema>;

export const DEFAULT_EBBINGHAUS_PARAMS: EbbinghausParams = EbbinghausParamsSchema.parse({});

export const ImportanceSchema = z.number().min(0).max(1);

function resolveParams(params?: EbbinghausParamsInput): EbbinghausParams {
  return params === undefined ? DEFAULT_EBBINGHAUS_PARAMS : EbbinghausParamsSchema.parse(params);
}

function checkImportance(importance: number): number {
  const r = ImportanceSchema.safeParse(importance);
  if (!r.success) throw new RangeError(`importance must be in [0, 1], got ${importance}`);
  return r.data;
}

function importanceFactor(importance: number, p: EbbinghausParams): number {
  return 1 + p.importanceBoost * checkImportance(importance);
}

/** Fresh traces for a just-encoded memory: base stabilities scaled by importance. */
export function initialTraces(importance: number, params?: EbbinghausParamsInput): Trace[] {
  const p = resolveParams(params);
  const f = importanceFactor(importance, p);
  return p.traces.map((t) => ({ weight: t.weight, stability: Math.min(p.maxStabilityMs, t.stability * f) }));
}

export function initialRetentionState(
  now: number,
  importance: number,
  params?: EbbinghausParamsInput,
): RetentionState {
  return { traces: initialTraces(importance, params), lastReview: now, reviews: 0 };
}

/** R = Σ w_i·exp(−t/S_i) after `elapsedMs` (negative elapsed counts as 0). In [0, 1]. */
export function retention(traces: readonly Trace[], elapsedMs: number): number {
  const t = Math.max(0, elapsedMs);
  let r = 0;
  for (const tr of traces) r += tr.weight * Math.exp(-t / tr.stability);
  return Math.min(1, Math.max(0, r));
}

/** Retention at `now` since the state's last review. */
export function retentionAt(state: RetentionState, now: number): number {
  return retention(state.traces, now - state.lastReview);
}

/**
 * A successful retrieval/review at `now`. Every stability grows by 1 + g·(1 − R)·(1 + boost·imp):
 * reviewing when R is still ≈ 1 (massed) adds almost nothing, reviewing after forgetting has set in
 * (spaced) adds a lot — the spacing effect. Retention restarts from the new review.
 */
export function reinforce(
  state: RetentionState,
  now: number,
  importance: number,
  params?: EbbinghausParamsInput,
): RetentionState {
  const p = resolveParams(params);
  const r = retentionAt(state, now);
  const growth = 1 + p.spacingGain * (1 - r) * importanceFactor(importance, p);
  return {
    traces: state.traces.map((t) => ({
      weight: t.weight,
      stability: Math.min(p.maxStabilityMs, t.stability * growth),
    })),
    lastReview: Math.max(state.lastReview, now),
    reviews: state.reviews + 1,
  };
}

/**
 * Consolidation: moves `fraction` (0..1) of each trace's weight to the next slower trace, as in
 * the Memory Chain Model where one store feeds the next. Total weight is conserved, so R at
 * elapsed 0 stays 1 while later retention rises. Apply to replayed memories (ideally right after
 * a `reinforce`), since it also lifts the current retention of a partly forgotten memory.
 */
export function transferTraces(state: RetentionState, fraction: number): RetentionState {
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`fraction must be in [0, 1], got ${fraction}`);
  const moved = state.traces.map((t, i) => (i < state.traces.length - 1 ? t.weight * fraction : 0));
  const traces = state.traces.map((t, i) => ({
    stability: t.stability,
    weight: t.weight - (moved[i] ?? 0) + (i > 0 ? (moved[i - 1] ?? 0) : 0),
  }));
  return { ...state, traces };
}

/**
 * Elapsed ms after the last review at which retention falls to `target` (e.g. a forgetting floor).
 * R is strictly decreasing, so bisection converges (to 1 ms); 0 if already ≤ target at 0.
 */
export function timeUntilRetention(traces: readonly Trace[], target: number): number {
  if (target <= 0) return Number.POSITIVE_INFINITY;
  if (retention(traces, 0) <= target) return 0;
  let hi = Math.max(1, ...traces.map((t) => t.stability));
  while (retention(traces, hi) > target) hi *= 2;
  let lo = 0;
  for (let i = 0; i < 100 && hi - lo > 1; i++) {
    const mid = (lo + hi) / 2;
    if (retention(traces, mid) > target) lo = mid;
    else hi = mid;
  }
  return hi;
}
