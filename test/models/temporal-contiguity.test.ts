import { describe, expect, it } from 'vitest';
import {
  CONTIGUITY_DEFAULT_MAX_BOOST,
  ContiguityParamsSchema,
  contiguityBoost,
} from '../../src/memory/models/temporal-contiguity.js';

/** Excess over no boost, relative to lag +1: comparable to CRP(lag) / CRP(+1). */
const rel = (lag: number) => (contiguityBoost(lag) - 1) / (contiguityBoost(1) - 1);

describe('temporal contiguity (Kahana 1996; Howard & Kahana 2002)', () => {
  it('is 1 at lag 0 and outside the window, maxBoost at lag +1, bounded everywhere', () => {
    expect(contiguityBoost(0)).toBe(1);
    expect(contiguityBoost(4)).toBe(1);
    expect(contiguityBoost(-4)).toBe(1);
    expect(contiguityBoost(1)).toBeCloseTo(CONTIGUITY_DEFAULT_MAX_BOOST, 12);
    for (let lag = -50; lag <= 50; lag++) {
      const b = contiguityBoost(lag);
      expect(b).toBeGreaterThanOrEqual(1);
      expect(b).toBeLessThanOrEqual(CONTIGUITY_DEFAULT_MAX_BOOST);
    }
  });

  it('shows forward asymmetry: lag +k beats lag −k', () => {
    for (const k of [1, 2, 3]) expect(contiguityBoost(k)).toBeGreaterThan(contiguityBoost(-k));
  });

  it('decays monotonically with |lag| in both directions', () => {
    for (const sign of [1, -1]) {
      for (let k = 1; k < 4; k++) expect(contiguityBoost(sign * k)).toBeGreaterThan(contiguityBoost(sign * (k + 1)));
    }
  });

  it("matches the shape of Kahana's lag-CRP at lags ±1..±3", () => {
    // Kahana (1996) lag-CRP, free recall (Murdock 1962 lists): CRP(+1) about twice CRP(−1); CRP
    // roughly halves from |lag| 1 to 2 and is about a third of it by |lag| 3 on each side. These are
    // approximate shape targets read off the published curves, so the ranges are loose.
    expect(rel(1) / rel(-1)).toBeGreaterThanOrEqual(1.5);
    expect(rel(1) / rel(-1)).toBeLessThanOrEqual(2.5);
    for (const sign of [1, -1]) {
      const base = rel(sign);
      expect(rel(2 * sign) / base).toBeGreaterThanOrEqual(0.3);
      expect(rel(2 * sign) / base).toBeLessThanOrEqual(0.7);
      expect(rel(3 * sign) / base).toBeGreaterThanOrEqual(0.15);
      expect(rel(3 * sign) / base).toBeLessThanOrEqual(0.55);
    }
    // Power law: log-log slope of the forward gradient equals −exponent (default 1).
    const slope = (Math.log(rel(3)) - Math.log(rel(1))) / Math.log(3);
    expect(slope).toBeCloseTo(-1, 12);
  });

  it('validates lag and params', () => {
    expect(() => contiguityBoost(1.5)).toThrow(RangeError);
    expect(() => ContiguityParamsSchema.parse({ maxBoost: 0.9 })).toThrow();
    expect(contiguityBoost(2, { window: 1 })).toBe(1);
    expect(contiguityBoost(1, { maxBoost: 1 })).toBe(1);
  });
});
