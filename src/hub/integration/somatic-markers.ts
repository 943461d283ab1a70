/**
 * Somatic markers (Damasio): situation → how things went, keyed by embedding neighbourhood, so a
 * situation that resembles one that went badly recalls that feeling without an exact match.
 *
 * A marker holds a situation centroid, the situation's overall valence and, per memory used there,
 * the valence of the outcomes it led to. The cache is bounded (least recently used marker evicted)
 * and each marker keeps its most recent memories only, so every operation costs O(capacity · dims)
 * with a fixed capacity.
 */
import { z } from 'zod';
import { dot } from '../../memory/scoring.js';

export const SomaticParamsSchema = z
  .object({
    capacity: z.number().int().min(1).max(100_000).default(256),
    /** Cosine at or above which a situation updates an existing marker instead of creating one. */
    sameSituation: z.number().min(0).max(1).default(0.8),
    /** Cosine at or above which a marker influences a new situation (weight rises linearly to 1). */
    neighbourhood: z.number().min(0).max(1).default(0.6),
    /** Learning rate of a memory's outcome valence within a marker. */
    rate: z.number().gt(0).max(1).default(0.8),
    memoriesPerMarker: z.number().int().min(1).max(256).default(16),
    /** Recall multiplier bounds for a memory at valence −1 and +1. */
    minMultiplier: z.number().min(0.1).max(1).default(0.3),
    maxMultiplier: z.number().min(1).max(2).default(1.3),
  })
  .strict();
export type SomaticParams = z.output<typeof SomaticParamsSchema>;

export interface SomaticMarker {
  centroid: Float32Array;
  count: number;
  valence: number;
  /** memory id → outcome valence, most recently updated last. */
  outcomes: Map<string, number>;
  lastUsed: number;
}

export interface SomaticCache {
  markers: SomaticMarker[];
  clock: number;
}

export function createSomaticCache(): SomaticCache {
  return { markers: [], clock: 0 };
}

function nearest(cache: SomaticCache, situation: Float32Array): { marker: SomaticMarker | null; cosine: number } {
  let best: SomaticMarker | null = null;
  let bestCos = -Infinity;
  for (const m of cache.markers) {
    const c = dot(m.centroid, situation);
    if (c > bestCos) [best, bestCos] = [m, c];
  }
  return { marker: best, cosine: bestCos };
}

/** Records how a situation went, and which memories were used in it. Mutates the cache. */
export function markOutcome(cache: SomaticCache, situation: Float32Array, memoryIds: readonly string[], valence: number, p: SomaticParams): void {
  cache.clock++;
  let { marker, cosine } = nearest(cache, situation);
  if (!marker || cosine < p.sameSituation) {
    if (cache.markers.length >= p.capacity) {
      const lru = cache.markers.reduce((a, b) => (b.lastUsed < a.lastUsed ? b : a));
      cache.markers.splice(cache.markers.indexOf(lru), 1);
    }
    marker = { centroid: Float32Array.from(situation), count: 0, valence: 0, outcomes: new Map(), lastUsed: cache.clock };
    cache.markers.push(marker);
  } else if (marker.count < 50) {
    // Running mean of the situations it stands for (capped so the marker can still drift), renormalised.
    const w = marker.count / (marker.count + 1);
    let norm = 0;
    for (let i = 0; i < situation.length; i++) {
      marker.centroid[i] = w * marker.centroid[i]! + (1 - w) * situation[i]!;
      norm += marker.centroid[i]! ** 2;
    }
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < situation.length; i++) marker.centroid[i]! /= norm;
  }
  marker.count++;
  marker.lastUsed = cache.clock;
  marker.valence += (valence - marker.valence) * (marker.count === 1 ? 1 : p.rate / 2);
  for (const id of memoryIds) {
    const previous = marker.outcomes.get(id);
    marker.outcomes.delete(id);
    marker.outcomes.set(id, previous === undefined ? valence * p.rate : previous + p.rate * (valence - previous));
    if (marker.outcomes.size > p.memoriesPerMarker) marker.outcomes.delete(marker.outcomes.keys().next().value!);
  }
}

export interface SomaticReading {
  /** Recall multiplier per memory that has a record near this situation. */
  multipliers: Map<string, number>;
  /** Gut feeling about the situation itself, −1..1, and how strongly it applies (0..1). */
  valence: number;
  weight: number;
}

export function readMarkers(cache: SomaticCache, situation: Float32Array, p: SomaticParams): SomaticReading {
  const sums = new Map<string, { v: number; w: number }>();
  let valence = 0;
  let totalWeight = 0;
  let weight = 0;
  for (const m of cache.markers) {
    const c = dot(m.centroid, situation);
    if (c < p.neighbourhood) continue;
    const w = p.neighbourhood < 1 ? (c - p.neighbourhood) / (1 - p.neighbourhood) : 1;
    valence += w * m.valence;
    totalWeight += w;
    weight = Math.max(weight, w);
    for (const [id, v] of m.outcomes) {
      const s = sums.get(id) ?? { v: 0, w: 0 };
      s.v += w * v;
      s.w += w;
      sums.set(id, s);
    }
  }
  const multipliers = new Map<string, number>();
  for (const [id, s] of sums) {
    // Confidence in the record grows with the marker weight; the valence sets the direction.
    const v = (s.v / s.w) * Math.min(1, s.w);
    multipliers.set(id, v >= 0 ? 1 + (p.maxMultiplier - 1) * v : 1 + (1 - p.minMultiplier) * v);
  }
  return { multipliers, valence: totalWeight > 0 ? valence / totalWeight : 0, weight };
}

/** Removes a forgotten memory's traces from every marker. */
export function forgetInMarkers(cache: SomaticCache, ids: readonly string[]): void {
  for (const m of cache.markers) for (const id of ids) m.outcomes.delete(id);
}
