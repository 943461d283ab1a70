import { mean, quantile } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { AnomalyTracker, AnomalyTrackerOptionsSchema } from '../../src/hub/signals/anomaly-tracker.js';
import { seededRandom } from '../../src/random.js';

/** Standard normal samples (Box–Muller) from the project's seeded PRNG. */
function gaussian(seed: number): () => number {
  const r = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

function scores(series: (t: number) => number, n: number, tracker = new AnomalyTracker()): number[] {
  const out: number[] = [];
  for (let t = 0; t < n; t++) out.push(tracker.update(series(t), t * 60_000));
  return out;
}

describe('AnomalyTracker', () => {
  it('scores a spike in a noisy stationary series far above normal points', () => {
    const g = gaussian(1);
    const s = scores((t) => 10 + g() + (t === 4000 ? 12 : 0), 6000);
    const normal = [...s.slice(1000, 4000), ...s.slice(4200)];
    expect(s[4000]).toBeGreaterThan(0.95);
    expect(mean(normal)).toBeLessThan(0.15);
    expect(s[4000]! - quantile(normal, 0.99)).toBeGreaterThan(0.3);
  });

  it('alarms on a level shift, then re-baselines', () => {
    const g = gaussian(2);
    const tracker = new AnomalyTracker();
    const s = scores((t) => (t >= 3000 ? 20 : 0) + g(), 6000, tracker);
    expect(Math.max(...s.slice(3000, 3010))).toBeGreaterThan(0.95);
    const after = s.slice(3500);
    expect(mean(after)).toBeLessThan(0.02);
    expect(Math.max(...after)).toBeLessThan(0.5);
    expect(tracker.baseline.mean).toBeGreaterThan(19);
    expect(tracker.baseline.mean).toBeLessThan(21);
    expect(tracker.baseline.scale).toBeLessThan(2);
  });

  it('stays low on a seasonal series without anomalies', () => {
    const g = gaussian(3);
    const s = scores((t) => 10 * Math.sin((2 * Math.PI * t) / 288) + g(), 6000).slice(1000);
    expect(mean(s)).toBeLessThan(0.05);
    expect(quantile(s, 0.99)).toBeLessThan(0.4);
    expect(Math.max(...s)).toBeLessThan(0.9);
  });

  it('stays mostly low on a linear trend without anomalies, and still ranks a spike on it first', () => {
    const g = gaussian(4);
    const s = scores((t) => 0.01 * t + g() + (t === 5000 ? 15 : 0), 6000);
    const normal = [...s.slice(1000, 5000), ...s.slice(5200)];
    expect(mean(normal)).toBeLessThan(0.1);
    // A trend keeps entering never-seen values; those crossings may score, but rarely.
    expect(normal.filter((x) => x >= 0.9).length / normal.length).toBeLessThan(0.01);
    expect(s[5000]).toBeGreaterThan(quantile(normal, 0.995));
  });

  it('restores a snapshot that reproduces later scores exactly', () => {
    const g = gaussian(5);
    const series = Array.from({ length: 8000 }, (_, t) => 5 * Math.sin(t / 20) + g() + (t % 1500 === 0 ? 9 : 0));
    const a = new AnomalyTracker();
    for (let t = 0; t < 3000; t++) a.update(series[t]!);
    const snap = JSON.parse(JSON.stringify(a.snapshot()));
    const b = AnomalyTracker.restore(snap);
    expect(b.baseline).toEqual(a.baseline);
    for (let t = 3000; t < 8000; t++) expect(b.update(series[t]!)).toBe(a.update(series[t]!));
  });

  it('rejects NaN and infinities without changing state', () => {
    const g = gaussian(6);
    const tracker = new AnomalyTracker();
    for (let t = 0; t < 500; t++) tracker.update(g());
    const before = JSON.stringify(tracker.snapshot());
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => tracker.update(bad)).toThrow(/finite/);
    }
    expect(() => tracker.update(1, Number.NaN)).toThrow(/finite/);
    expect(JSON.stringify(tracker.snapshot())).toBe(before);
  });

  it('keeps a constant state size over 1M points', () => {
    const g = gaussian(7);
    const tracker = new AnomalyTracker();
    for (let t = 0; t < 1000; t++) tracker.update(g());
    const size = JSON.stringify(tracker.snapshot()).length;
    for (let t = 0; t < 1_000_000; t++) tracker.update(Math.sin(t / 50) * 3 + g() + t * 1e-5);
    expect(JSON.stringify(tracker.snapshot()).length).toBe(size);
  });

  it('documents its defaults in the options schema', () => {
    const o = AnomalyTrackerOptionsSchema.parse({});
    expect(o.bins).toBe(6);
    expect(o.blockSize).toBe(8);
    expect(o.refractoryPeriod).toBe(100);
    expect(() => AnomalyTrackerOptionsSchema.parse({ bins: 1 })).toThrow();
  });
});
