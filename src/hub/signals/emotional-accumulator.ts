/**
 * Emotional accumulator: the valence trend of a domain, recency-weighted (not an all-time mean).
 * Two bias-corrected exponential averages: `recent` follows the last ~1/alphaFast signals,
 * `baseline` the last ~1/alphaSlow; trend = recent − baseline says which way the domain is moving.
 */
import { z } from 'zod';

export const EmotionParamsSchema = z
  .object({
    alphaFast: z.number().gt(0).max(1).default(0.2),
    alphaSlow: z.number().gt(0).max(1).default(0.02),
  })
  .strict();
export type EmotionParams = z.output<typeof EmotionParamsSchema>;

export interface EmotionState {
  fast: number;
  slow: number;
  /** Bias correction: (1 − alpha)^n for each average, so a cold start is not pulled towards 0. */
  fastDecay: number;
  slowDecay: number;
  count: number;
}

export function initialEmotion(): EmotionState {
  return { fast: 0, slow: 0, fastDecay: 1, slowDecay: 1, count: 0 };
}

/** In place: one per signal, so it allocates nothing. */
export function accumulateValence(s: EmotionState, valence: number, weight: number, p: EmotionParams): void {
  const af = p.alphaFast * weight;
  const as = p.alphaSlow * weight;
  s.fast += af * (valence - s.fast);
  s.slow += as * (valence - s.slow);
  s.fastDecay *= 1 - af;
  s.slowDecay *= 1 - as;
  s.count++;
}

/** Recent valence, −1..1 (0 before any signal). */
export function recentValence(s: EmotionState): number {
  return s.fastDecay < 1 ? s.fast / (1 - s.fastDecay) : 0;
}

export function baselineValence(s: EmotionState): number {
  return s.slowDecay < 1 ? s.slow / (1 - s.slowDecay) : 0;
}

/** Positive when the domain is feeling better than its baseline, negative when worse. */
export function valenceTrend(s: EmotionState): number {
  return recentValence(s) - baselineValence(s);
}
