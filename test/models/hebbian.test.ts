import { describe, expect, it } from 'vitest';
import {
  type Neighbour,
  SpreadOptionsSchema,
  decay,
  downscale,
  fanFactor,
  shouldPrune,
  spread,
  strengthen,
} from '../../src/memory/models/hebbian.js';

const DAY = 24 * 3600 * 1000;

/** Undirected graph helper: neighbours(id) from an edge list. */
function graph(edges: Array<[string, string, number]>): (id: string) => Neighbour<string>[] {
  const adj = new Map<string, Neighbour<string>[]>();
  for (const [a, b, w] of edges) {
    adj.set(a, [...(adj.get(a) ?? []), { id: b, weight: w }]);
    adj.set(b, [...(adj.get(b) ?? []), { id: a, weight: w }]);
  }
  return (id) => adj.get(id) ?? [];
}

describe('Hebbian strengthening', () => {
  it('converges toward 1 without exceeding it: w_n = 1 − (1 − η)^n from 0', () => {
    let w = 0;
    for (let n = 1; n <= 200; n++) {
      const next = strengthen(w, { rate: 0.1 });
      expect(next).toBeGreaterThan(w);
      expect(next).toBeLessThanOrEqual(1);
      w = next;
      if (n === 10) expect(w).toBeCloseTo(1 - 0.9 ** 10, 12);
    }
    expect(w).toBeGreaterThan(0.9999);
    expect(strengthen(1, { rate: 1 })).toBe(1);
  });

  it('is gated by outcome: positive strengthens, negative weakens, neutral leaves it', () => {
    const w = 0.5;
    expect(strengthen(w, { rate: 0.2, outcome: 1 })).toBeGreaterThan(strengthen(w, { rate: 0.2, outcome: 0.3 }));
    expect(strengthen(w, { rate: 0.2, outcome: 0.3 })).toBeGreaterThan(w);
    expect(strengthen(w, { rate: 0.2, outcome: 0 })).toBe(w);
    expect(strengthen(w, { rate: 0.2, outcome: -0.5 })).toBeLessThan(w);
    expect(strengthen(w, { rate: 0.2, outcome: -1 })).toBeLessThan(strengthen(w, { rate: 0.2, outcome: -0.5 }));
    // Repeated recall with bad outcomes drives the link toward 0, never below.
    let x = 0.9;
    for (let i = 0; i < 500; i++) x = strengthen(x, { rate: 1, outcome: -1 });
    expect(x).toBeGreaterThanOrEqual(0);
    expect(x).toBeLessThan(1e-6);
    expect(() => strengthen(0.5, { rate: 0.1, outcome: 2 })).toThrow();
    expect(() => strengthen(1.5)).toThrow(RangeError);
  });

  it('decays with the given half-life', () => {
    expect(decay(0.8, 10 * DAY, 10 * DAY)).toBeCloseTo(0.4, 12);
    expect(decay(0.8, 20 * DAY, 10 * DAY)).toBeCloseTo(0.2, 12);
    expect(decay(0.8, 0, 10 * DAY)).toBe(0.8);
    expect(decay(0.8, -5, 10 * DAY)).toBe(0.8);
  });

  it('downscaling (Tononi & Cirelli 2006) shrinks all weights but preserves order and ratios', () => {
    const ws = [0.9, 0.5, 0.3, 0.05];
    const scaled = ws.map((w) => downscale(w, 0.8));
    for (let i = 0; i < ws.length - 1; i++) {
      expect(scaled[i]!).toBeGreaterThan(scaled[i + 1]!);
      expect(scaled[i]! / scaled[i + 1]!).toBeCloseTo(ws[i]! / ws[i + 1]!, 12);
    }
    expect(scaled.every((s, i) => s < ws[i]!)).toBe(true);
  });

  it('prunes below the floor', () => {
    expect(shouldPrune(0.01, 0.05)).toBe(true);
    expect(shouldPrune(0.05, 0.05)).toBe(false);
  });
});

describe('spreading activation', () => {
  it('fan effect (Anderson 1974): more associates → less activation per associate', () => {
    const per = (fan: number) => {
      const edges = Array.from({ length: fan }, (_, i) => ['cue', `m${i}`, 1] as [string, string, number]);
      return spread(new Map([['cue', 1]]), graph(edges)).get('m0') ?? 0;
    };
    const values = [1, 2, 3, 5, 10].map(per);
    for (let i = 0; i < values.length - 1; i++) expect(values[i]!).toBeGreaterThan(values[i + 1]!);
    expect(values[0]).toBe(1);
    // ACT-R S_ji = S − ln(fan), normalised by S = 3: fan 3 → (3 − ln 3) / 3.
    expect(values[2]).toBeCloseTo((3 - Math.log(3)) / 3, 12);
    expect(fanFactor(100)).toBe(0);
  });

  it('2-hop activation is weaker than 1-hop, and hops = 1 stops at direct neighbours', () => {
    const g = graph([
      ['a', 'b', 0.8],
      ['b', 'c', 0.8],
    ]);
    const one = spread(new Map([['a', 1]]), g);
    expect(one.has('c')).toBe(false);
    const two = spread(new Map([['a', 1]]), g, { hops: 2 });
    expect(two.get('c')!).toBeGreaterThan(0);
    expect(two.get('c')!).toBeLessThan(two.get('b')!);
    expect(two.has('a')).toBe(false); // no echo back to the seed
  });

  it('stays bounded in [0, 1] however many sources converge', () => {
    const edges: Array<[string, string, number]> = [];
    const seeds = new Map<string, number>();
    for (let i = 0; i < 50; i++) {
      edges.push([`s${i}`, 'hub', 1]);
      seeds.set(`s${i}`, 1);
    }
    const out = spread(seeds, graph(edges), { hops: 2 });
    for (const v of out.values()) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    expect(out.get('hub')).toBeCloseTo(1, 9);
  });

  it('scales with link weight and seed activation; ignores zero seeds', () => {
    const g = graph([
      ['a', 'x', 0.9],
      ['a', 'y', 0.3],
    ]);
    const full = spread(new Map([['a', 1]]), g);
    expect(full.get('x')!).toBeGreaterThan(full.get('y')!);
    const half = spread(new Map([['a', 0.5]]), g);
    expect(half.get('x')!).toBeCloseTo(full.get('x')! / 2, 12);
    expect(spread(new Map([['a', 0]]), g).size).toBe(0);
  });

  it('validates options', () => {
    expect(() => SpreadOptionsSchema.parse({ hops: 0 })).toThrow();
    expect(() => spread(new Map(), () => [], { decayPerHop: 2 })).toThrow();
  });
});
