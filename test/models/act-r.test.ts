import { describe, expect, it } from 'vitest';
import { linearRegression } from 'simple-statistics';
import {
  ACTR_DEFAULT_DECAY,
  ACTR_DEFAULT_RECENT_COUNT,
  ActRParamsSchema,
  type AccessState,
  baseLevelActivation,
  exactBaseLevelActivation,
  initialAccessState,
  recordAccess,
} from '../../src/memory/models/act-r.js';
import { seededRandom } from '../../src/random.js';

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2024, 0, 1);

/** Builds a state and the matching full history from a list of access times (first = creation). */
function history(times: number[]): { state: AccessState; times: number[] } {
  let state = initialAccessState(times[0]!);
  for (const t of times.slice(1)) state = recordAccess(state, t);
  return { state, times };
}

describe('ACT-R base-level activation', () => {
  it('uses the documented defaults (d = 0.5, Anderson & Schooler 1991; k = 8)', () => {
    expect(ACTR_DEFAULT_DECAY).toBe(0.5);
    expect(ACTR_DEFAULT_RECENT_COUNT).toBe(8);
    expect(() => ActRParamsSchema.parse({ decay: 1 })).toThrow();
  });

  it('equals the exact sum B = ln Σ t_j^-d while n ≤ k', () => {
    const times = [0, 10, 60, 300, 3600, 7200, 86_400, 90_000].map((s) => T0 + s * SECOND);
    const { state } = history(times);
    expect(state.count).toBe(8);
    const now = T0 + 2 * DAY;
    expect(baseLevelActivation(state, now)).toBeCloseTo(exactBaseLevelActivation(times, now), 12);
    // Hand check for one presentation 100 s ago: B = -0.5 ln 100.
    expect(baseLevelActivation(initialAccessState(T0), T0 + 100 * SECOND)).toBeCloseTo(-0.5 * Math.log(100), 12);
  });

  it('approximates the exact sum closely for 500 evenly spaced accesses (Petrov 2006 hybrid; measured error ≈ 0.004)', () => {
    const times = Array.from({ length: 500 }, (_, i) => T0 + i * HOUR);
    const { state } = history(times);
    for (const lag of [1 * SECOND, HOUR, DAY, 30 * DAY]) {
      const now = times.at(-1)! + lag;
      const err = Math.abs(baseLevelActivation(state, now) - exactBaseLevelActivation(times, now));
      expect(err).toBeLessThan(0.01);
    }
  });

  it('approximates the exact sum for 500 randomly spaced accesses (error < 0.02 in ln units; measured ≈ 0.012)', () => {
    const rand = seededRandom(42);
    const times: number[] = [T0];
    // Exponential inter-access gaps with a mean of 2 h: bursty, irregular use.
    for (let i = 1; i < 500; i++) times.push(times[i - 1]! - Math.log(1 - rand()) * 2 * HOUR);
    const { state } = history(times);
    let worst = 0;
    for (const lag of [5 * SECOND, 10 * 60 * SECOND, HOUR, DAY, 7 * DAY, 90 * DAY]) {
      const now = times.at(-1)! + lag;
      worst = Math.max(worst, Math.abs(baseLevelActivation(state, now) - exactBaseLevelActivation(times, now)));
    }
    expect(worst).toBeLessThan(0.02);
  });

  it('decays as a power law: slope of ln-odds (B) vs ln-time is -d (Anderson & Schooler 1991)', () => {
    const single = initialAccessState(T0);
    const pts = [10, 100, 1e3, 1e4, 1e5, 1e6, 1e7].map((s) => [Math.log(s), baseLevelActivation(single, T0 + s * SECOND)]);
    expect(linearRegression(pts).m).toBeCloseTo(-ACTR_DEFAULT_DECAY, 9);

    // Several presentations in the first hour: at long retention intervals the slope tends to -d too.
    const { state } = history([0, 600, 1200, 1800, 3600].map((s) => T0 + s * SECOND));
    const far = [1, 3, 10, 30, 100, 300].map((d) => [Math.log(d * DAY), baseLevelActivation(state, T0 + d * DAY)]);
    expect(Math.abs(linearRegression(far).m + ACTR_DEFAULT_DECAY)).toBeLessThan(0.02);
  });

  it('shows a frequency effect: more accesses, same recency → higher activation', () => {
    const now = T0 + 10 * DAY;
    const last = T0 + 9 * DAY;
    const few = history([T0, last]).state;
    const many = history([T0, T0 + DAY, T0 + 3 * DAY, T0 + 5 * DAY, last]).state;
    expect(baseLevelActivation(many, now)).toBeGreaterThan(baseLevelActivation(few, now));
  });

  it('shows a recency effect: same count, more recent use → higher activation', () => {
    const now = T0 + 10 * DAY;
    const old = history([T0, T0 + DAY, T0 + 2 * DAY]).state;
    const recent = history([T0, T0 + 8 * DAY, T0 + 9 * DAY]).state;
    expect(baseLevelActivation(recent, now)).toBeGreaterThan(baseLevelActivation(old, now));
  });

  it('keeps state bounded: cost does not grow with history', () => {
    let state = initialAccessState(T0);
    for (let i = 1; i <= 10_000; i++) state = recordAccess(state, T0 + i * 60 * SECOND);
    expect(state.count).toBe(10_001);
    expect(state.recent).toHaveLength(ACTR_DEFAULT_RECENT_COUNT);
    expect(state.recent.at(-1)).toBe(T0 + 10_000 * 60 * SECOND);
    const roundTrip = JSON.parse(JSON.stringify(state)) as AccessState;
    expect(baseLevelActivation(roundTrip, T0 + 20 * DAY)).toBe(baseLevelActivation(state, T0 + 20 * DAY));
  });

  it('guards t → 0 with the minimum lag (finite activation for an access just now)', () => {
    const b = baseLevelActivation(initialAccessState(T0), T0);
    expect(Number.isFinite(b)).toBe(true);
    expect(b).toBeCloseTo(0, 12); // ln(1 s ^ -0.5) = 0
  });

  it('respects a custom k', () => {
    let state = initialAccessState(T0);
    for (let i = 1; i < 20; i++) state = recordAccess(state, T0 + i * HOUR, { recentCount: 3 });
    expect(state.recent).toHaveLength(3);
    expect(state.recent).toEqual([T0 + 17 * HOUR, T0 + 18 * HOUR, T0 + 19 * HOUR]);
  });
});
