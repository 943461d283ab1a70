/**
 * Hebbian associations between memories ("fire together, wire together"), link weights in [0, 1].
 *
 * - `strengthen`: soft-bounded Hebbian growth Δw = η(1 − w), so w approaches 1 without passing it.
 *   When the outcome of the turn is known it gates the update (a three-factor, reward-modulated
 *   rule): good outcomes strengthen, bad ones weaken, neutral ones leave the link alone — otherwise
 *   whatever is recalled most would be rewarded merely for being recalled.
 * - `decay`: exponential forgetting of unused links with a half-life.
 * - `downscale`: synaptic homeostasis (Tononi & Cirelli 2006): during sleep all weights shrink by
 *   the same factor, renormalising total strength while keeping their relative order.
 * - `spread`: spreading activation along links with ACT-R's fan effect (Anderson 1974; associative
 *   strength S_ji = S − ln(fan_j)), attenuated per hop, bounded to [0, 1].
 *
 * Pure functions; times are milliseconds.
 */
import { z } from 'zod';

/** η: fraction of the remaining distance to 1 gained per co-activation. */
export const HEBBIAN_DEFAULT_RATE = 0.1;
/** Unused links lose half their weight in 30 days (design choice; consolidation may override). */
export const HEBBIAN_DEFAULT_HALF_LIFE_MS = 30 * 24 * 60 * 60 * 1000;
/** Nightly homeostatic scaling factor (design choice: a modest, uniform reduction). */
export const HEBBIAN_DEFAULT_DOWNSCALE_FACTOR = 0.9;
/** Links weaker than this carry no useful association and can be removed. */
export const HEBBIAN_DEFAULT_PRUNE_FLOOR = 0.05;
/** Spreading defaults: direct neighbours only, half strength per extra hop. */
export const SPREAD_DEFAULT_HOPS = 1;
export const SPREAD_DEFAULT_DECAY_PER_HOP = 0.5;
/**
 * S, ACT-R's maximum associative strength. Lab models use ~1.5–3; we take 3 because memory graphs
 * have larger fans than paired-associate lists. A source with fan ≥ e^S (≈ 20) spreads nothing.
 */
export const SPREAD_DEFAULT_MAX_ASSOCIATIVE_STRENGTH = 3;
/** Contributions below this are dropped so spreading stays cheap. */
export const SPREAD_DEFAULT_MIN_ACTIVATION = 1e-3;

const unit = z.number().min(0).max(1);

export const StrengthenOptionsSchema = z.object({
  // 0 learns nothing: a co-activation gated by a fully decayed working-memory item, or hebbianRate 0.
  rate: z.number().min(0).max(1).default(HEBBIAN_DEFAULT_RATE),
  /** Outcome of the turn in [−1, 1]; omitted = plain Hebbian co-activation. */
  outcome: z.number().min(-1).max(1).optional(),
});
export type StrengthenOptions = z.input<typeof StrengthenOptionsSchema>;

export const SpreadOptionsSchema = z.object({
  hops: z.number().int().min(1).max(3).default(SPREAD_DEFAULT_HOPS),
  decayPerHop: z.number().gt(0).max(1).default(SPREAD_DEFAULT_DECAY_PER_HOP),
  maxAssociativeStrength: z.number().positive().default(SPREAD_DEFAULT_MAX_ASSOCIATIVE_STRENGTH),
  minActivation: z.number().min(0).max(1).default(SPREAD_DEFAULT_MIN_ACTIVATION),
});
export type SpreadOptions = z.input<typeof SpreadOptionsSchema>;

export interface Neighbour<Id> {
  id: Id;
  weight: number;
}

function checkWeight(w: number, name = 'weight'): number {
  if (!unit.safeParse(w).success) throw new RangeError(`${name} must be in [0, 1], got ${w}`);
  return w;
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/**
 * One co-activation. Without an outcome: w + η(1 − w). With outcome o: o > 0 moves w toward 1 by
 * η·o·(1 − w); o < 0 moves it toward 0 by η·|o|·w; o = 0 changes nothing. Always stays in [0, 1].
 */
export function strengthen(w: number, options?: StrengthenOptions): number {
  checkWeight(w);
  const { rate, outcome } = StrengthenOptionsSchema.parse(options ?? {});
  if (outcome === undefined) return clamp01(w + rate * (1 - w));
  if (outcome >= 0) return clamp01(w + rate * outcome * (1 - w));
  return clamp01(w + rate * outcome * w);
}

/** Exponential decay with a half-life: w·2^(−Δt / halfLife). Negative elapsed counts as 0. */
export function decay(w: number, elapsedMs: number, halfLifeMs: number = HEBBIAN_DEFAULT_HALF_LIFE_MS): number {
  checkWeight(w);
  if (!(halfLifeMs > 0)) throw new RangeError(`halfLifeMs must be > 0, got ${halfLifeMs}`);
  return w * Math.pow(2, -Math.max(0, elapsedMs) / halfLifeMs);
}

/** Synaptic homeostasis: multiply by a common factor in [0, 1]; relative order is preserved. */
export function downscale(w: number, factor: number = HEBBIAN_DEFAULT_DOWNSCALE_FACTOR): number {
  checkWeight(w);
  checkWeight(factor, 'factor');
  return w * factor;
}

/** True when the link has fallen below the floor and should be removed. */
export function shouldPrune(w: number, floor: number = HEBBIAN_DEFAULT_PRUNE_FLOOR): boolean {
  return w < floor;
}

/**
 * ACT-R fan attenuation normalised to [0, 1]: (S − ln fan) / S, floored at 0. A cue linked to many
 * memories gives each of them less activation (the fan effect, Anderson 1974).
 */
export function fanFactor(fan: number, maxAssociativeStrength: number = SPREAD_DEFAULT_MAX_ASSOCIATIVE_STRENGTH): number {
  if (fan <= 1) return 1;
  return clamp01((maxAssociativeStrength - Math.log(fan)) / maxAssociativeStrength);
}

/** Combines independent contributions in [0, 1] by probabilistic OR: bounded and monotone. */
function orCombine(a: number, b: number): number {
  return 1 - (1 - a) * (1 - b);
}

/**
 * Spreads activation from `seeds` (activation in [0, 1]) along weighted links, breadth-first for
 * `hops` layers. A node reached from source j at hop h receives
 *   a_j · w_jk · fanFactor(fan_j) · decayPerHop^(h−1),
 * contributions are OR-combined, so results lie in [0, 1]. Seeds can receive activation from other
 * seeds at hop 1; later hops only reach new nodes (no echo back along the path).
 */
export function spread<Id>(
  seeds: ReadonlyMap<Id, number>,
  neighbours: (id: Id) => ReadonlyArray<Neighbour<Id>>,
  options?: SpreadOptions,
): Map<Id, number> {
  const opts = SpreadOptionsSchema.parse(options ?? {});
  const result = new Map<Id, number>();
  const visited = new Set<Id>(seeds.keys());
  let frontier = new Map<Id, number>();
  for (const [id, a] of seeds) if (a > 0) frontier.set(id, clamp01(a));

  for (let hop = 1; hop <= opts.hops && frontier.size > 0; hop++) {
    const hopScale = Math.pow(opts.decayPerHop, hop - 1);
    const reached = new Map<Id, number>();
    for (const [source, a] of frontier) {
      const links = neighbours(source);
      const f = fanFactor(links.length, opts.maxAssociativeStrength) * hopScale * a;
      if (f <= 0) continue;
      for (const { id, weight } of links) {
        if (id === source || (hop > 1 && visited.has(id))) continue;
        const c = f * clamp01(weight);
        if (c < opts.minActivation) continue;
        reached.set(id, orCombine(reached.get(id) ?? 0, c));
      }
    }
    const next = new Map<Id, number>();
    for (const [id, c] of reached) {
      result.set(id, orCombine(result.get(id) ?? 0, c));
      if (!visited.has(id)) next.set(id, c);
    }
    for (const id of next.keys()) visited.add(id);
    frontier = next;
  }
  return result;
}
