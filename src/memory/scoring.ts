/**
 * Recall scoring: relevance from the two indexes, then bounded cognitive multipliers.
 * Pure functions; the recall pipeline gathers the signals and calls these.
 */
import { z } from 'zod';

export const ScoringParamsSchema = z
  .object({
    /** Weight of cosine similarity vs normalised BM25 in the relevance blend. */
    vectorWeight: z.number().min(0).max(1).default(0.5),
    /** ACT-R activation multiplier range and logistic midpoint / scale (activation units). */
    activation: z.object({ min: z.number().default(0.9), max: z.number().default(1.15), midpoint: z.number().default(-6), scale: z.number().positive().default(1.5) }).prefault({}),
    /** Retention multiplier: min + (max − min)·R. */
    retention: z.object({ min: z.number().default(0.85), max: z.number().default(1.05) }).prefault({}),
    /** Hebbian spread multiplier: 1 + gain·spread. */
    spreadGain: z.number().min(0).max(1).default(0.3),
    /** Importance multiplier: min + (max − min)·importance. */
    importance: z.object({ min: z.number().default(0.95), max: z.number().default(1.05) }).prefault({}),
    /** Bonus for items currently held in the session's working memory. */
    workingMemoryBoost: z.number().min(1).max(1.5).default(1.1),
    /** Bounds on the product of all cognitive multipliers (design §2: 0.3x–1.5x). */
    totalMin: z.number().default(0.3),
    totalMax: z.number().default(1.5),
  })
  .prefault({});
export type ScoringParams = z.output<typeof ScoringParamsSchema>;

export interface CandidateSignals {
  /** Cosine similarity with the query, -1..1. */
  cosine: number;
  /** Raw BM25 score (0 when the full-text index did not return it). */
  bm25: number;
  /** ACT-R base-level activation. */
  activation: number;
  /** Ebbinghaus retention 0..1. */
  retention: number;
  /** Hebbian spreading activation 0..1. */
  spread: number;
  /** Temporal-contiguity multiplier ≥ 1. */
  contiguity: number;
  importance: number;
  inWorkingMemory: boolean;
  /** Somatic-marker multiplier from the hub (1 when it has no record of this memory here). */
  somatic?: number;
  /** Episode-support multiplier ≥ 1 (only in the hub's low-confidence second pass; 1 otherwise). */
  episode?: number;
}

export interface ScoreExplanation {
  relevance: number;
  cosine: number;
  bm25: number;
  bm25Normalised: number;
  multipliers: {
    activation: number;
    retention: number;
    spread: number;
    contiguity: number;
    importance: number;
    workingMemory: number;
    somatic: number;
    episode: number;
    total: number;
  };
  signals: { activation: number; retention: number; spread: number };
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const lerp = (lo: number, hi: number, t: number) => lo + (hi - lo) * t;

/** Relevance in [0, 1]: convex blend of cosine (clipped at 0) and BM25 normalised by the best BM25 hit. */
export function relevance(cosine: number, bm25: number, maxBm25: number, params: ScoringParams): { value: number; bm25Normalised: number } {
  const bm25Normalised = maxBm25 > 0 ? clamp(bm25 / maxBm25, 0, 1) : 0;
  const value = params.vectorWeight * Math.max(0, cosine) + (1 - params.vectorWeight) * bm25Normalised;
  return { value, bm25Normalised };
}

export function activationMultiplier(activation: number, params: ScoringParams): number {
  const a = params.activation;
  const t = 1 / (1 + Math.exp(-(activation - a.midpoint) / a.scale));
  return lerp(a.min, a.max, t);
}

export function score(signals: CandidateSignals, maxBm25: number, params: ScoringParams): { score: number; explanation: ScoreExplanation } {
  const rel = relevance(signals.cosine, signals.bm25, maxBm25, params);
  const m = {
    activation: activationMultiplier(signals.activation, params),
    retention: lerp(params.retention.min, params.retention.max, clamp(signals.retention, 0, 1)),
    spread: 1 + params.spreadGain * clamp(signals.spread, 0, 1),
    contiguity: Math.max(1, signals.contiguity),
    importance: lerp(params.importance.min, params.importance.max, clamp(signals.importance, 0, 1)),
    workingMemory: signals.inWorkingMemory ? params.workingMemoryBoost : 1,
    somatic: signals.somatic ?? 1,
    episode: Math.max(1, signals.episode ?? 1),
    total: 1,
  };
  // Episode support is evidence of relevance from the memory's neighbours, not a state of the
  // memory, so it stands outside the bound (inside it, the bound flattened the very top it reorders).
  m.total = clamp(m.activation * m.retention * m.spread * m.contiguity * m.importance * m.workingMemory * m.somatic, params.totalMin, params.totalMax) * m.episode;
  return {
    score: rel.value * m.total,
    explanation: {
      relevance: rel.value,
      cosine: signals.cosine,
      bm25: signals.bm25,
      bm25Normalised: rel.bm25Normalised,
      multipliers: m,
      signals: { activation: signals.activation, retention: signals.retention, spread: signals.spread },
    },
  };
}

/**
 * Cosine similarity. Embedders give unit vectors, where it equals the dot product, but a caller may
 * store its own embedding of any length (and the cache's int8 copies are not exactly unit), so the
 * norms are divided out: relevance stays within [0, 1]. A zero vector matches nothing.
 */
export function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return aa > 0 && bb > 0 ? Math.max(-1, Math.min(1, ab / Math.sqrt(aa * bb))) : 0;
}

/** `v` scaled to unit length (in place); a zero vector stays zero. */
export function normalise(v: Float32Array): Float32Array {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += v[i]! * v[i]!;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return v;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
  return s;
}
