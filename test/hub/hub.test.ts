import { describe, expect, it } from 'vitest';
import { InteroceptiveHub } from '../../src/hub/hub.js';
import { seededRandom } from '../../src/random.js';

describe('hub signal boundary', () => {
  it('rejects bad signals with the field named and leaves the state untouched', () => {
    const hub = new InteroceptiveHub();
    hub.signal('ns', { source: 'emotion', domain: 'coding', valence: -0.5, arousal: 0.5 });
    const before = hub.snapshot('ns');
    expect(() => hub.signal('ns', { source: 'emotion', valence: Number.NaN })).toThrow(/valence/);
    expect(() => hub.signal('ns', { source: 'emotion', valence: Infinity })).toThrow(/valence/);
    expect(() => hub.signal('ns', { source: 'emotion', valence: 1.5 })).toThrow(/valence/);
    expect(() => hub.signal('ns', { source: 'emotion', valence: 0, arousal: -0.1 })).toThrow(/arousal/);
    expect(() => hub.signal('ns', { source: 'gut' as never, valence: 0 })).toThrow(/source/);
    expect(() => hub.signal('ns', { source: 'emotion', valence: 0, context: { blob: 'x'.repeat(500), more: 'y'.repeat(500), evenMore: 'z'.repeat(500), last: 'w'.repeat(500), one: 'v'.repeat(200) } })).toThrow(/context/);
    expect(() => hub.metric('ns', { metric: 'latency', value: Number.NaN })).toThrow(/value/);
    expect(hub.snapshot('ns')).toBe(before);
  });

  it('keeps memory bounded under a burst of signals over ever new domains', () => {
    const hub = new InteroceptiveHub({ maxDomains: 32, signalBuffer: 16 });
    const r = seededRandom(3);
    for (let i = 0; i < 200_000; i++) hub.signal('ns', { source: 'emotion', domain: `d${i}`, valence: 2 * r() - 1, time: i });
    const state = hub.state('ns');
    expect(Object.keys(state.domains)).toHaveLength(32);
    // The signal buffer holds the latest 16, oldest first, also after a snapshot round trip.
    expect(hub.recentSignals('ns').map((sig) => sig.domain)).toEqual(Array.from({ length: 16 }, (_, i) => `d${199_984 + i}`));
    const copy = new InteroceptiveHub({ maxDomains: 32, signalBuffer: 16 });
    copy.restore('ns', hub.snapshot('ns'));
    expect(copy.recentSignals('ns')).toEqual(hub.recentSignals('ns'));
    expect(state.events).toBe(200_000);
    // The most recently updated domains survive.
    expect(state.domains['d199999']).toBeDefined();
    expect(state.domains['d0']).toBeUndefined();
  });
});

describe('behaviour feedback and regulation', () => {
  it('names a strategy that stopped working and recommends the alternative', () => {
    const hub = new InteroceptiveHub();
    const r = seededRandom(5);
    for (let i = 0; i < 300; i++) {
      hub.feedback('ns', { domain: 'deploy', strategy: 'blue-green', success: r() < 0.9 });
      hub.feedback('ns', { domain: 'deploy', strategy: 'rolling', success: r() < 0.6 });
    }
    expect(hub.regulate('ns').filter((a) => a.kind === 'behaviour-shift')).toEqual([]);
    const restingExploration = hub.generation('ns').exploration;
    let detectedAfter = -1;
    for (let i = 0; i < 60 && detectedAfter < 0; i++) {
      if (hub.feedback('ns', { domain: 'deploy', strategy: 'blue-green', success: r() < 0.1 }).changed) detectedAfter = i + 1;
    }
    expect(detectedAfter).toBeGreaterThan(0);
    expect(detectedAfter).toBeLessThanOrEqual(15);
    // Surprise raises noradrenaline and with it exploration and recall depth.
    const g = hub.generation('ns');
    expect(g.exploration).toBeGreaterThan(restingExploration);
    expect(g.recallDepth).toBeGreaterThan(1);
    hub.feedback('ns', { domain: 'deploy', strategy: 'blue-green', success: false });
    const shift = hub.regulate('ns').find((a) => a.kind === 'behaviour-shift');
    expect(shift).toMatchObject({ kind: 'behaviour-shift', domain: 'deploy', failing: 'blue-green', alternative: 'rolling' });
    expect(hub.state('ns').domains['deploy']!.strategies['blue-green']!.successRate).toBeLessThan(0.5);
  });

  it('does not cry wolf on a stationary strategy', () => {
    const hub = new InteroceptiveHub();
    const r = seededRandom(9);
    let changes = 0;
    for (let i = 0; i < 5000; i++) if (hub.feedback('ns', { domain: 'd', strategy: 'a', success: r() < 0.5 }).changed) changes++;
    expect(changes).toBeLessThanOrEqual(5);
  });

  it('escalates to a systemic alert when several sources deviate together', () => {
    const hub = new InteroceptiveHub();
    hub.signal('ns', { source: 'emotion', domain: 'billing', valence: 0.3, arousal: 0.2 });
    expect(hub.regulate('ns').some((a) => a.kind === 'alert')).toBe(false);
    hub.signal('ns', { source: 'feedback', domain: 'billing', valence: -0.9, arousal: 0.9 });
    hub.signal('ns', { source: 'confidence', domain: 'billing', valence: -0.8, arousal: 0.9 });
    hub.signal('ns', { source: 'anomaly', domain: 'billing', valence: -1, arousal: 1 });
    const alert = hub.regulate('ns').find((a) => a.kind === 'alert' && a.domain === null);
    expect(alert).toMatchObject({ severity: 'critical' });
    expect(hub.state('ns').systemicAlert).toBe(true);
    // Deviations fade with later calm events, and the alert with them.
    for (let i = 0; i < 40; i++) hub.signal('ns', { source: 'emotion', domain: 'billing', valence: 0.5, arousal: 0.2 });
    expect(hub.state('ns').systemicAlert).toBe(false);
  });

  it('lowers the temperature under sustained stress', () => {
    const hub = new InteroceptiveHub();
    const rest = hub.generation('ns').temperature;
    for (let i = 0; i < 400; i++) hub.signal('ns', { source: 'emotion', domain: 'ops', valence: -0.9, arousal: 0.8 });
    const state = hub.state('ns');
    expect(state.neuromodulators.cortisol).toBeGreaterThan(0.4);
    expect(state.generation.temperature).toBeLessThan(rest);
    expect(hub.regulate('ns').some((a) => a.kind === 'drive-update' && a.domain === 'ops')).toBe(true);
  });
});

describe('hub snapshots', () => {
  it('restores a namespace exactly and continues identically', () => {
    const a = new InteroceptiveHub();
    const r = seededRandom(11);
    const situation = Float32Array.from({ length: 8 }, () => r() - 0.5);
    for (let i = 0; i < 500; i++) {
      a.signal('ns', { source: 'emotion', domain: `d${i % 3}`, valence: 2 * r() - 1, arousal: r(), time: i });
      a.feedback('ns', { domain: `d${i % 3}`, strategy: `s${i % 2}`, success: r() < 0.5, memoryIds: ['m1'] }, situation);
      a.metric('ns', { metric: 'latency', value: 100 + 10 * r(), time: i });
    }
    const b = new InteroceptiveHub();
    b.restore('ns', a.snapshot('ns'));
    expect(b.snapshot('ns')).toBe(a.snapshot('ns'));
    for (let i = 0; i < 50; i++) {
      for (const hub of [a, b]) hub.feedback('ns', { domain: 'd1', strategy: 's0', success: i % 3 === 0, time: 600 + i });
      expect(b.metric('ns', { metric: 'latency', value: 100 + i, time: 600 + i })).toBe(a.metric('ns', { metric: 'latency', value: 100 + i, time: 600 + i }));
    }
    expect(b.state('ns')).toEqual(a.state('ns'));
  });
});
