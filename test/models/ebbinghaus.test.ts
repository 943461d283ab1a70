import { describe, expect, it } from 'vitest';
import { rSquared } from 'simple-statistics';
import {
  EBBINGHAUS_DEFAULT_TRACES,
  EbbinghausParamsSchema,
  type RetentionState,
  initialRetentionState,
  initialTraces,
  reinforce,
  retention,
  retentionAt,
  timeUntilRetention,
  transferTraces,
} from '../../src/memory/models/ebbinghaus.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2024, 0, 1);

/**
 * Ebbinghaus (1885), savings on relearning nonsense-syllable lists (curve replicated by Murre &
 * Dros 2015): 20 min 58.2 %, 1 h 44.2 %, 8.8 h (≈ 9 h) 35.8 %, 1 d 33.7 %, 2 d 27.8 %, 6 d 25.4 %,
 * 31 d 21.1 %. Defaults give R² ≈ 0.993 and every point within 2 percentage points.
 */
const EBBINGHAUS_1885: Array<[number, number]> = [
  [20 * MINUTE, 0.582],
  [60 * MINUTE, 0.442],
  [8.8 * HOUR, 0.358],
  [1 * DAY, 0.337],
  [2 * DAY, 0.278],
  [6 * DAY, 0.254],
  [31 * DAY, 0.211],
];

function weightSum(s: RetentionState): number {
  return s.traces.reduce((acc, t) => acc + t.weight, 0);
}

describe('Ebbinghaus multi-trace retention', () => {
  it('fits Ebbinghaus 1885 savings with the documented defaults (R² ≥ 0.9, no fitting here)', () => {
    const traces = initialTraces(0); // nonsense syllables: importance 0
    const r2 = rSquared(EBBINGHAUS_1885, (t) => retention(traces, t));
    expect(r2).toBeGreaterThanOrEqual(0.9);
    expect(r2).toBeGreaterThan(0.99); // the fit actually achieved (≈ 0.993)
    for (const [t, saved] of EBBINGHAUS_1885) expect(Math.abs(retention(traces, t) - saved)).toBeLessThan(0.02);
  });

  it('a single exponential cannot do this (why there are several traces)', () => {
    // Best single exponential through the 1 d point, S = -1 d / ln(0.337): misses the 20 min and 31 d points badly.
    const s = -DAY / Math.log(0.337);
    const r2 = rSquared(EBBINGHAUS_1885, (t) => Math.exp(-t / s));
    expect(r2).toBeLessThan(0.5);
  });

  it('starts at 1 and decreases monotonically; the state measures from the last review', () => {
    const state = initialRetentionState(T0, 0.5);
    expect(retentionAt(state, T0)).toBeCloseTo(1, 12);
    let prev = 1;
    for (const t of [MINUTE, HOUR, DAY, 7 * DAY, 30 * DAY, 365 * DAY]) {
      const r = retentionAt(state, T0 + t);
      expect(r).toBeLessThan(prev);
      expect(r).toBeGreaterThanOrEqual(0);
      prev = r;
    }
    expect(retentionAt(JSON.parse(JSON.stringify(state)) as RetentionState, T0 + DAY)).toBe(retentionAt(state, T0 + DAY));
  });

  it('spacing effect: spaced reviews beat massed reviews with the same count (Cepeda et al. 2006)', () => {
    const learn = initialRetentionState(T0, 0);
    const reviewAt = (gaps: number[]) =>
      gaps.reduce<RetentionState>((s, _, i) => reinforce(s, T0 + gaps.slice(0, i + 1).reduce((a, b) => a + b, 0), 0), learn);
    const massed = reviewAt([MINUTE, MINUTE, MINUTE]);
    const spaced = reviewAt([DAY, DAY, DAY]);
    // Same retention interval after the last review, as in Cepeda et al.'s design.
    for (const ri of [DAY, 7 * DAY, 35 * DAY]) {
      expect(retentionAt(spaced, spaced.lastReview + ri)).toBeGreaterThan(retentionAt(massed, massed.lastReview + ri));
    }
    expect(spaced.reviews).toBe(3);
    expect(massed.reviews).toBe(3);
  });

  it('a review grows stability more when retention had fallen further', () => {
    const s = initialRetentionState(T0, 0);
    const early = reinforce(s, T0 + MINUTE, 0);
    const late = reinforce(s, T0 + 2 * DAY, 0);
    expect(late.traces[0]!.stability).toBeGreaterThan(early.traces[0]!.stability);
    expect(early.traces[0]!.stability).toBeGreaterThanOrEqual(s.traces[0]!.stability);
  });

  it('higher importance → slower forgetting', () => {
    for (const t of [HOUR, DAY, 7 * DAY, 30 * DAY]) {
      const low = retention(initialTraces(0), t);
      const mid = retention(initialTraces(0.5), t);
      const high = retention(initialTraces(1), t);
      expect(mid).toBeGreaterThan(low);
      expect(high).toBeGreaterThan(mid);
    }
    expect(() => initialTraces(1.5)).toThrow(/importance/);
  });

  it('transfer (consolidation) moves weight to slow traces and slows forgetting', () => {
    const s = initialRetentionState(T0, 0);
    const slept = transferTraces(s, 0.5);
    expect(weightSum(slept)).toBeCloseTo(1, 12);
    expect(retentionAt(slept, T0)).toBeCloseTo(1, 12);
    expect(slept.traces[0]!.weight).toBeLessThan(s.traces[0]!.weight);
    expect(slept.traces.at(-1)!.weight).toBeGreaterThan(s.traces.at(-1)!.weight);
    for (const t of [20 * MINUTE, DAY, 31 * DAY]) expect(retentionAt(slept, T0 + t)).toBeGreaterThan(retentionAt(s, T0 + t));
    expect(transferTraces(s, 0)).toEqual(s);
    expect(() => transferTraces(s, 2)).toThrow(RangeError);
  });

  it('timeUntilRetention finds when retention reaches a floor', () => {
    const traces = initialTraces(0);
    const t = timeUntilRetention(traces, 0.3);
    expect(retention(traces, t)).toBeCloseTo(0.3, 6);
    expect(timeUntilRetention(traces, 1)).toBe(0);
  });

  it('validates parameters: trace weights must sum to 1', () => {
    expect(() => EbbinghausParamsSchema.parse({ traces: [{ weight: 0.5, stability: DAY }] })).toThrow(/sum to 1/);
    expect(EBBINGHAUS_DEFAULT_TRACES.reduce((a, t) => a + t.weight, 0)).toBeCloseTo(1, 12);
  });
});
