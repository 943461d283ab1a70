/**
 * Metacognitive confidence (Nelson & Narens 1990): how much to trust what recall returned, as
 * content reliability × retrieval salience, both 0..1, from the memory core's own score
 * explanations.
 *  - salience: how strongly the best match matches (cosine and normalised BM25) and how clearly it
 *    stands out from the runner-up (a flat top list means recall was guessing);
 *  - reliability: the memory's importance and kind (opinions and emotions are weaker evidence of fact),
 *    scaled by its somatic record (memories that led to bad outcomes in situations like this are
 *    trusted less).
 */
import type { RecallResult } from '../../memory/recall.js';

const SOFT_TYPES = new Set(['opinion', 'emotional']);

export interface ConfidenceReport {
  confidence: number;
  reliability: number;
  salience: number;
  /** Relative gap between the first and second score, 0..1. */
  margin: number;
}

export function scoreConfidence(results: readonly Pick<RecallResult, 'score' | 'explanation' | 'memory'>[]): ConfidenceReport {
  const top = results[0];
  if (!top) return { confidence: 0, reliability: 0, salience: 0, margin: 0 };
  const second = results[1]?.score ?? 0;
  const margin = top.score > 0 ? Math.min(1, Math.max(0, (top.score - second) / top.score)) : 0;
  const match = 0.5 * Math.max(0, top.explanation.cosine) + 0.5 * top.explanation.bm25Normalised;
  const salience = match * (0.6 + 0.4 * Math.sqrt(margin));
  const somatic = top.explanation.multipliers.somatic;
  const reliability = Math.min(1, (0.7 + 0.3 * top.memory.importance) * (SOFT_TYPES.has(top.memory.type) ? 0.8 : 1) * Math.min(1, somatic));
  return { confidence: reliability * salience, reliability, salience, margin };
}
