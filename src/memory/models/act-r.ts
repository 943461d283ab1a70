/**
 * ACT-R base-level activation (Anderson & Schooler 1991; Anderson & Lebiere 1998):
 *
 *   B = ln( Σ_j t_j^-d ),  t_j = seconds since the j-th access, d ≈ 0.5
 *
 * The exact sum needs the whole access history, so cost grows with use. We use Petrov's (2006)
 * hybrid approximation instead: the k most recent accesses are summed exactly and the n − k older
 * ones are assumed spread evenly between creation and the oldest kept access, which integrates to
 *
 *   (n − k) · (t_n^(1−d) − t_k^(1−d)) / ((1 − d) · (t_n − t_k))
 *
 * (t_n = age of the memory, t_k = age of the oldest kept access). State is O(k) per memory, and
 * the result is exact whenever n ≤ k.
 *
 * Pure functions: times are milliseconds since epoch, passed in; seconds are used internally.
 */
import { z } from 'zod';

/** Decay exponent d = 0.5, the ACT-R default (Anderson & Schooler 1991; Anderson & Lebiere 1998). */
export const ACTR_DEFAULT_DECAY = 0.5;
/** Accesses kept exactly; Petrov (2006) shows small k (even 1–3) already gives small errors. */
export const ACTR_DEFAULT_RECENT_COUNT = 8;
/** Lags shorter than this are clamped, so t^-d stays finite for an access "just now". */
export const ACTR_DEFAULT_MIN_LAG_SECONDS = 1;

export const ActRParamsSchema = z.object({
  /** Decay exponent d; must be in (0, 1) for the optimized-learning integral to exist. */
  decay: z.number().gt(0).lt(1).default(ACTR_DEFAULT_DECAY),
  /** k: how many of the most recent access times are kept exactly. */
  recentCount: z.number().int().min(1).max(1000).default(ACTR_DEFAULT_RECENT_COUNT),
  /** Minimum lag in seconds (guards t → 0). */
  minLagSeconds: z.number().positive().default(ACTR_DEFAULT_MIN_LAG_SECONDS),
});
export type ActRParams = z.infer<typeof ActRParamsSchema>;
export type ActRParamsInput = z.input<typeof ActRParamsSchema>;

export const DEFAULT_ACTR_PARAMS: ActRParams = Object.freeze(ActRParamsSchema.parse({}));

/**
 * Bounded access history, plain JSON. `count` includes the creation (the first presentation);
 * `recent` holds at most k access times (ms since epoch), ascending.
 */
export interface AccessState {
  createdAt: number;
  count: number;
  recent: number[];
}

function resolveParams(params?: ActRParamsInput): ActRParams {
  return params === undefined ? DEFAULT_ACTR_PARAMS : ActRParamsSchema.parse(params);
}

function assertTime(value: number, name: string): void {
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be a finite number of ms, got ${value}`);
}

/** Lag in seconds from `thenMs` to `nowMs`, clamped below by the minimum lag. */
function lagSeconds(nowMs: number, thenMs: number, minLagSeconds: number): number {
  return Math.max(minLagSeconds, (nowMs - thenMs) / 1000);
}

/** A new memory: its creation counts as the first presentation. */
export function initialAccessState(now: number): AccessState {
  assertTime(now, 'now');
  return { createdAt: now, count: 1, recent: [now] };
}

/** Records one access at `now`; keeps only the k most recent times so the state stays bounded. */
export function recordAccess(state: AccessState, now: number, params?: ActRParamsInput): AccessState {
  assertTime(now, 'now');
  const { recentCount } = resolveParams(params);
  // Sorted insert tolerates out-of-order timestamps (e.g. replayed events).
  const recent = [...state.recent, now].sort((a, b) => a - b);
  return {
    createdAt: Math.min(state.createdAt, now),
    count: state.count + 1,
    recent: recent.slice(Math.max(0, recent.length - recentCount)),
  };
}

/** Σ t_j^-d over explicit access times (the exact ACT-R sum). */
function exactSum(times: readonly number[], now: number, p: ActRParams): number {
  let sum = 0;
  for (const t of times) sum += Math.pow(lagSeconds(now, t, p.minLagSeconds), -p.decay);
  return sum;
}

/** Optimized-learning integral for `older` accesses spread evenly over ages [tk, tn] seconds. */
function olderAccessesSum(older: number, tn: number, tk: number, d: number): number {
  if (older <= 0) return 0;
  // Degenerate span (all at the same instant): every older access has age tk.
  if (tn - tk < 1e-9) return older * Math.pow(tk, -d);
  return (older * (Math.pow(tn, 1 - d) - Math.pow(tk, 1 - d))) / ((1 - d) * (tn - tk));
}

/**
 * Base-level activation B at `now` (natural-log units). Exact when count ≤ k, Petrov's hybrid
 * approximation otherwise. Higher = more likely to be needed (ln odds, Anderson & Schooler 1991).
 */
export function baseLevelActivation(state: AccessState, now: number, params?: ActRParamsInput): number {
  assertTime(now, 'now');
  const p = resolveParams(params);
  if (state.count < 1 || state.recent.length === 0) return Number.NEGATIVE_INFINITY;
  let sum = exactSum(state.recent, now, p);
  const older = state.count - state.recent.length;
  const oldestKept = state.recent[0];
  if (older > 0 && oldestKept !== undefined) {
    const tn = lagSeconds(now, state.createdAt, p.minLagSeconds);
    const tk = lagSeconds(now, oldestKept, p.minLagSeconds);
    sum += olderAccessesSum(older, Math.max(tn, tk), tk, p.decay);
  }
  return Math.log(sum);
}

/** Reference implementation over a full history; O(n). Used to check the approximation. */
export function exactBaseLevelActivation(
  accessTimes: readonly number[],
  now: number,
  params?: ActRParamsInput,
): number {
  assertTime(now, 'now');
  if (accessTimes.length === 0) return Number.NEGATIVE_INFINITY;
  return Math.log(exactSum(accessTimes, now, resolveParams(params)));
}
