/**
 * Temporal contiguity (Kahana 1996; Howard & Kahana 2002): after recalling the item studied at
 * position i, people next recall items from nearby positions i + lag, with a forward bias (lag +1
 * about twice as likely as lag −1) and a likelihood that falls off with |lag| roughly as a power
 * function. Here that lag-CRP shape becomes a bounded multiplier for memories stored near a
 * recalled one within the same session.
 *
 *   boost(lag) = 1 + (maxBoost − 1) · side(lag) · |lag|^(−exponent),   0 < |lag| ≤ window
 *   side = 1 forward, backwardRatio backward;  boost = 1 for lag 0 or |lag| > window.
 */
import { z } from 'zod';

/** Multiplier at lag +1, the strongest transition. */
export const CONTIGUITY_DEFAULT_MAX_BOOST = 1.3;
/** Beyond ±3 positions the CRP is near its floor, so no boost. */
export const CONTIGUITY_DEFAULT_WINDOW = 3;
/** Power-law fall-off with |lag|: CRP(±2) ≈ ½ CRP(±1), CRP(±3) ≈ ⅓ CRP(±1). */
export const CONTIGUITY_DEFAULT_EXPONENT = 1;
/** CRP(−1) / CRP(+1): the forward asymmetry, about 2 : 1 in Kahana (1996). */
export const CONTIGUITY_DEFAULT_BACKWARD_RATIO = 0.5;

export const ContiguityParamsSchema = z.object({
  maxBoost: z.number().min(1).max(3).default(CONTIGUITY_DEFAULT_MAX_BOOST),
  window: z.number().int().min(1).max(100).default(CONTIGUITY_DEFAULT_WINDOW),
  exponent: z.number().min(0).max(5).default(CONTIGUITY_DEFAULT_EXPONENT),
  backwardRatio: z.number().min(0).max(1).default(CONTIGUITY_DEFAULT_BACKWARD_RATIO),
});
export type ContiguityParams = z.infer<typeof ContiguityParamsSchema>;
export type ContiguityParamsInput = z.input<typeof ContiguityParamsSchema>;

export const DEFAULT_CONTIGUITY_PARAMS: ContiguityParams = Object.freeze(ContiguityParamsSchema.parse({}));

/**
 * Multiplier in [1, maxBoost] for a memory `lag` positions after (positive) or before (negative)
 * a recalled one in the same session. `lag` must be an integer.
 */
export function contiguityBoost(lag: number, params?: ContiguityParamsInput): number {
  if (!Number.isInteger(lag)) throw new RangeError(`lag must be an integer, got ${lag}`);
  const p = params === undefined ? DEFAULT_CONTIGUITY_PARAMS : ContiguityParamsSchema.parse(params);
  const distance = Math.abs(lag);
  if (distance === 0 || distance > p.window) return 1;
  const side = lag > 0 ? 1 : p.backwardRatio;
  return 1 + (p.maxBoost - 1) * side * Math.pow(distance, -p.exponent);
}
