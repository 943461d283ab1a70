/**
 * Metabolism (the seed's §3.3 computational homeostasis): nutrients are a token budget, the
 * heartbeat releases them, spending is read from the models' usage, and hunger — how little of the
 * expected spend the reserve covers — picks the policy: hyper when fed, eco when hungry. Pure
 * functions over a plain state; the lifeform does the I/O.
 */
import { z } from 'zod';

export const POLICIES = ['eco', 'default', 'hyper'] as const;
export const PolicySchema = z.enum(POLICIES);
export type Policy = z.infer<typeof PolicySchema>;

/**
 * The operator's strategy (seed §6.3.2): `default` leaves the policy to hunger, the others force a
 * tier (`force_default`, pinning the middle tier, is this implementation's addition).
 */
export const OverrideSchema = z.enum(['default', 'force_eco', 'force_default', 'force_hyper']);
export type Override = z.infer<typeof OverrideSchema>;

const Tokens = z.number().finite().min(0);

export const MetabolismParamsSchema = z
  .object({
    /** Most nutrients the reserve holds; releases stop there (top-ups may exceed it). */
    capacity: Tokens.default(100_000),
    /** Reserve at birth; the capacity when omitted. */
    initial: Tokens.optional(),
    /** Tokens each heartbeat releases into the reserve. */
    releasePerBeat: Tokens.default(1_000),
    /** Missed beats (the process was down, the loop lagged) released at most, so downtime is not a windfall. */
    maxCatchUpBeats: z.number().int().min(0).max(1_000_000).default(10),
    /** Hunger looks this many beats ahead: the reserve is compared with the spend expected over them. */
    horizonBeats: z.number().gt(0).max(1_000_000).default(20),
    /** Learning rate of the expected spend per beat (EWMA). */
    spendRate: z.number().gt(0).max(1).default(0.2),
    /**
     * Hysteresis of the automatic policy: eco from `ecoEnter` hunger until it falls to `ecoExit`;
     * hyper from `hyperEnter` until it rises to `hyperExit`. A policy that flipped on every token
     * would make the fascicle in use (and its cost) jitter.
     */
    ecoEnter: z.number().min(0).max(1).default(0.7),
    ecoExit: z.number().min(0).max(1).default(0.5),
    hyperEnter: z.number().min(0).max(1).default(0.1),
    hyperExit: z.number().min(0).max(1).default(0.25),
  })
  .strict()
  .refine((p) => p.hyperEnter < p.hyperExit && p.hyperExit <= p.ecoExit && p.ecoExit < p.ecoEnter, {
    message: 'thresholds: need hyperEnter < hyperExit <= ecoExit < ecoEnter',
    path: ['ecoEnter'],
  })
  .refine((p) => p.initial === undefined || p.initial <= p.capacity, { message: 'initial: must not exceed capacity', path: ['initial'] });
export type MetabolismParams = z.input<typeof MetabolismParamsSchema>;
export type MetabolismConfig = z.output<typeof MetabolismParamsSchema>;

export const TransactionKindSchema = z.enum(['spend', 'release', 'topup']);

/** One movement of nutrients. `amount` is always positive; `kind` says which way it went. */
export const LedgerEntrySchema = z
  .object({
    at: z.number().finite(),
    amount: Tokens,
    kind: TransactionKindSchema,
    /** The chat model that spent (its LangChain name). */
    model: z.string().max(256).optional(),
    fascicle: z.string().max(128).optional(),
    memo: z.string().max(512).optional(),
  })
  .strict();
export type LedgerEntry = z.infer<typeof LedgerEntrySchema>;

/** An operator's top-up (seed §6.3.2 resource transaction). */
export const TopUpSchema = z
  .object({
    amount: z.number().finite().gt(0),
    currency: z.literal('tokens').default('tokens'),
    memo: z.string().max(512).optional(),
  })
  .strict();
export type TopUp = z.input<typeof TopUpSchema>;

export const MetabolismStateSchema = z
  .object({
    /** Tokens available; negative after a call that cost more than was left (a debt the next releases pay). */
    reserve: z.number().finite(),
    /** Running totals since birth: reserve = initial + released + toppedUp − spent. */
    totals: z.object({ initial: Tokens, spent: Tokens, released: Tokens, toppedUp: Tokens }).strict(),
    /** Expected tokens spent per beat (EWMA), and what was spent since the last beat. */
    expectedSpend: Tokens,
    spentSinceBeat: Tokens,
    /** Index of the last beat that released (time / interval); null before the first. */
    lastBeat: z.number().int().nullable(),
    /** The automatic policy (with hysteresis); the operator's override sits on top. */
    policy: PolicySchema,
    override: OverrideSchema,
  })
  .strict();
export type MetabolismState = z.infer<typeof MetabolismStateSchema>;

export function initialMetabolism(p: MetabolismConfig): MetabolismState {
  const initial = p.initial ?? p.capacity;
  const state: MetabolismState = {
    reserve: initial,
    totals: { initial, spent: 0, released: 0, toppedUp: 0 },
    // Before any spend is seen, a beat is expected to use what it releases.
    expectedSpend: p.releasePerBeat,
    spentSinceBeat: 0,
    lastBeat: null,
    policy: 'default',
    override: 'default',
  };
  return { ...state, policy: automaticPolicy('default', hunger(state, p), p) };
}

/** Beats are keyed by wall time, so a restarted lifeform cannot release the same beat twice. */
export function beatIndex(now: number, intervalMs: number): number {
  return Math.floor(now / intervalMs);
}

/**
 * Hunger in [0, 1]: the share of the spend expected over the horizon that the reserve cannot
 * cover. 0 = the reserve covers it all; 1 = nothing left (or in debt). A beat that has already
 * spent more than expected raises the expectation at once, not at the next beat.
 */
export function hunger(state: Pick<MetabolismState, 'reserve' | 'expectedSpend'> & Partial<Pick<MetabolismState, 'spentSinceBeat'>>, p: MetabolismConfig): number {
  const need = Math.max(state.expectedSpend, state.spentSinceBeat ?? 0) * p.horizonBeats;
  if (need <= 0) return state.reserve > 0 ? 0 : 1;
  return Math.min(1, Math.max(0, 1 - state.reserve / need));
}

/** Policy from hunger with hysteresis around the current automatic policy. */
export function automaticPolicy(current: Policy, h: number, p: MetabolismConfig): Policy {
  if (current === 'eco') return h <= p.ecoExit ? (h <= p.hyperEnter ? 'hyper' : 'default') : 'eco';
  if (current === 'hyper') return h >= p.hyperExit ? (h >= p.ecoEnter ? 'eco' : 'default') : 'hyper';
  return h >= p.ecoEnter ? 'eco' : h <= p.hyperEnter ? 'hyper' : 'default';
}

/** The policy in force: the operator's forced tier, else the automatic one. */
export function effectivePolicy(state: Pick<MetabolismState, 'policy' | 'override'>): Policy {
  if (state.override === 'default') return state.policy;
  return state.override === 'force_eco' ? 'eco' : state.override === 'force_hyper' ? 'hyper' : 'default';
}

/** Cheaper tiers first: where a tier cannot be afforded the lifeform steps down this list. */
export function cheaperTiers(policy: Policy): Policy[] {
  return POLICIES.slice(0, POLICIES.indexOf(policy) + 1).reverse();
}

export interface BeatResult {
  state: MetabolismState;
  /** Tokens released by this beat (0 when the beat was already released). */
  released: number;
  /** Beats this release covered (missed beats included, up to maxCatchUpBeats). */
  beats: number;
}

/**
 * One heartbeat at `index`: releases the nutrients of the beats since the last one (none for a
 * beat already released), folds the spend since the last beat into the expected spend, and
 * re-selects the automatic policy.
 */
export function heartbeat(state: MetabolismState, index: number, p: MetabolismConfig): BeatResult {
  if (state.lastBeat !== null && index <= state.lastBeat) return { state, released: 0, beats: 0 };
  const beats = state.lastBeat === null ? 1 : Math.min(index - state.lastBeat, p.maxCatchUpBeats);
  const released = Math.max(0, Math.min(p.releasePerBeat * beats, p.capacity - state.reserve));
  // Spend is averaged per beat: after missed beats it spreads over the gap.
  const perBeat = state.spentSinceBeat / Math.max(1, beats);
  const expectedSpend = state.expectedSpend + p.spendRate * (perBeat - state.expectedSpend);
  const next: MetabolismState = {
    ...state,
    reserve: state.reserve + released,
    totals: { ...state.totals, released: state.totals.released + released },
    expectedSpend,
    spentSinceBeat: 0,
    lastBeat: index,
  };
  next.policy = automaticPolicy(state.policy, hunger(next, p), p);
  return { state: next, released, beats };
}

/** Debits what a call spent (read from usage after the fact, so it may overdraw) and re-selects the policy. */
export function spend(state: MetabolismState, amount: number, p: MetabolismConfig): MetabolismState {
  const tokens = Tokens.parse(amount);
  const next: MetabolismState = {
    ...state,
    reserve: state.reserve - tokens,
    totals: { ...state.totals, spent: state.totals.spent + tokens },
    spentSinceBeat: state.spentSinceBeat + tokens,
  };
  next.policy = automaticPolicy(state.policy, hunger(next, p), p);
  return next;
}

/** An operator's top-up; it may take the reserve past the capacity (releases then pause). */
export function topUp(state: MetabolismState, amount: number, p: MetabolismConfig): MetabolismState {
  const next: MetabolismState = {
    ...state,
    reserve: state.reserve + amount,
    totals: { ...state.totals, toppedUp: state.totals.toppedUp + amount },
  };
  next.policy = automaticPolicy(state.policy, hunger(next, p), p);
  return next;
}

/** Whether the reserve covers an expected cost (unknown costs, 0, need only a positive reserve). */
export function affords(state: Pick<MetabolismState, 'reserve'>, expectedCost: number): boolean {
  return state.reserve > 0 && state.reserve >= expectedCost;
}
