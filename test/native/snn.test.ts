import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { rocAuc } from '../../bench/snn.js';
import { hubEnergy, learnIntuition, loadIntuition, saveIntuition, senseIntuition, SnnIntuition, SNN_SIGNAL_SOURCE } from '../../native/snn/intuition.js';
import { analyticRate, LifParamsSchema, simulatedRate } from '../../native/snn/lif.js';
import { forwardReference } from '../../native/snn/network.js';
import { drawUniforms } from '../../native/snn/poisson.js';
import { createStdpTraces, StdpParamsSchema, stdpStep, stdpWindow } from '../../native/snn/stdp.js';
import { alphaFromEnergy, atanStep, atanSurrogate, SurrogateGainSchema } from '../../native/snn/surrogate.js';
import { InteroceptiveHub } from '../../src/hub/hub.js';
import { seededRandom } from '../../src/random.js';
import { openTestInsula, tempDir } from '../helpers.js';

const TIMEOUT = 120_000;

function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

function unit(v: Float32Array): Float32Array {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function randomSituations(count: number, dims: number, seed: number): Float32Array[] {
  const r = seededRandom(seed);
  return Array.from({ length: count }, () => unit(Float32Array.from({ length: dims }, () => normal(r))));
}

describe('LIF neuron', () => {
  it('fires at the analytic f–I rate 1/(t_ref + τ ln(RI/(RI − θ))) within 2 % under constant input', () => {
    const p = LifParamsSchema.parse({ dt: 0.01, tau: 10, threshold: 1, reset: 0, refractory: 2 });
    for (const current of [1.05, 1.2, 1.5, 2, 3, 5, 10]) {
      const expected = analyticRate(current, p);
      const simulated = simulatedRate(current, 10_000, p);
      expect(Math.abs(simulated - expected) / expected, `R·I = ${current}`).toBeLessThan(0.02);
    }
    // Below and at threshold the membrane settles at R·I and never fires.
    expect(simulatedRate(0.99, 1000, p)).toBe(0);
    expect(analyticRate(1, p)).toBe(0);
  });

  it('saturates at 1 / t_ref and rejects a reset above threshold', () => {
    const p = LifParamsSchema.parse({ dt: 0.01, tau: 10, refractory: 2 });
    expect(simulatedRate(1e4, 1000, p)).toBeGreaterThan(0.98 * (1 / (p.refractory + p.dt)));
    expect(() => LifParamsSchema.parse({ reset: 2, threshold: 1 })).toThrow(/reset must be below threshold/);
  });
});

describe('STDP', () => {
  const p = StdpParamsSchema.parse({});

  /** Δw of one synapse for a single pre spike at tPre and a single post spike at tPost. */
  function pairChange(tPre: number, tPost: number): number {
    const w = new Float64Array(1);
    const traces = createStdpTraces(1, 1);
    for (let t = 0; t <= Math.max(tPre, tPost); t++) stdpStep(traces, Uint8Array.of(t === tPre ? 1 : 0), Uint8Array.of(t === tPost ? 1 : 0), w, p, 1);
    return w[0]!;
  }

  it('has the documented window: A+ e^(−Δt/τ+) for Δt ≥ 0, −A− e^(Δt/τ−) for Δt < 0', () => {
    for (let dt = -30; dt <= 30; dt++) {
      const change = pairChange(40, 40 + dt);
      expect(change).toBeCloseTo(stdpWindow(dt, p), 12);
      // Sign: causal pairs strengthen, anti-causal ones weaken.
      expect(Math.sign(change)).toBe(dt >= 0 ? 1 : -1);
    }
    // Exponential decay: each step further apart multiplies the change by e^(−1/τ).
    expect(pairChange(10, 15) / pairChange(10, 14)).toBeCloseTo(Math.exp(-1 / p.tauPlus), 12);
    expect(pairChange(15, 10) / pairChange(14, 10)).toBeCloseTo(Math.exp(-1 / p.tauMinus), 12);
    expect(Math.abs(pairChange(10, 60))).toBeLessThan(0.01 * p.aPlus);
  });

  it('is asymmetric: depression outweighs potentiation over the window, so uncorrelated spikes weaken a synapse', () => {
    let area = 0;
    for (let dt = -200; dt <= 200; dt++) area += stdpWindow(dt, p);
    expect(area).toBeLessThan(0);
    const r = seededRandom(3);
    const w = new Float64Array(1);
    const traces = createStdpTraces(1, 1);
    for (let t = 0; t < 20_000; t++) stdpStep(traces, Uint8Array.of(r() < 0.05 ? 1 : 0), Uint8Array.of(r() < 0.05 ? 1 : 0), w, p, 1);
    expect(w[0]).toBeLessThan(0);
  });
});

describe('ArcTan surrogate', () => {
  it('is the derivative of ½ + arctan(παu/2)/π: peak α/2, unit area', () => {
    for (const alpha of [1, 2, 4]) {
      expect(atanSurrogate(0, alpha)).toBeCloseTo(alpha / 2, 12);
      for (const u of [-0.7, -0.1, 0.3, 1.2]) expect(atanSurrogate(u, alpha)).toBeCloseTo((atanStep(u + 1e-6, alpha) - atanStep(u - 1e-6, alpha)) / 2e-6, 5);
      expect(atanStep(1e9, alpha) - atanStep(-1e9, alpha)).toBeCloseTo(1, 6);
    }
  });

  it("reads the hub's energy as 1 − the metabolism's hunger where a lifeform reports one, else global arousal", () => {
    const hub = new InteroceptiveHub();
    hub.signal('ns', { source: 'feedback', domain: 'support', valence: 0.5, arousal: 0.6, time: 1 });
    const arousal = hub.state('ns').arousal;
    expect(arousal).toBeGreaterThan(0);
    expect(hubEnergy(hub.state('ns'))).toBe(arousal);
    // What the lifeform's heartbeat sends at hunger 0.8 (docs/lifeform.md).
    hub.signal('ns', { source: 'host', domain: 'metabolism', valence: -0.8, arousal: 0.8, time: 2 });
    expect(hubEnergy(hub.state('ns'))).toBeCloseTo(0.2, 12);
  });

  it('takes α from the hub energy level, clamped to [minAlpha, maxAlpha]', () => {
    const gain = SurrogateGainSchema.parse({});
    expect(alphaFromEnergy(0, gain)).toBe(gain.minAlpha);
    expect(alphaFromEnergy(1, gain)).toBe(gain.maxAlpha);
    expect(alphaFromEnergy(0.25, gain)).toBeLessThan(alphaFromEnergy(0.75, gain));
    expect(alphaFromEnergy(7, gain)).toBe(gain.maxAlpha);
  });
});

describe('SNN intuition', () => {
  const open: SnnIntuition[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    vi.restoreAllMocks();
  });
  async function create(options: Parameters<typeof SnnIntuition.create>[0]): Promise<SnnIntuition> {
    const snn = await SnnIntuition.create({ threads: 1, device: 'cpu', ...options });
    open.push(snn);
    return snn;
  }

  it(
    'runs the ONNX graph with the same result as the TypeScript reference on the same uniforms',
    async () => {
      const dims = 48;
      const snn = await create({ network: { dims, hidden: 64, steps: 24 }, seed: 5 });
      // Learning first, so the readout fires and the comparison is not between two silent networks.
      const train = randomSituations(40, dims, 11);
      for (let i = 0; i < 200; i++) snn.learn(train[i % 40]!, i % 40 < 20 ? 1 : -1, 0.5);
      const situations = randomSituations(32, dims, 12);
      const r = seededRandom(13);
      const { steps } = snn.params;
      const uniforms = new Float32Array(situations.length * steps * dims);
      const flat = new Float32Array(situations.length * dims);
      situations.forEach((s, b) => {
        flat.set(s, b * dims);
        uniforms.set(drawUniforms(r, steps, dims), b * steps * dims);
      });
      const graph = await snn.run(flat, uniforms, situations.length);
      const reference = situations.map((s, b) => forwardReference(snn.forwardWeights(), snn.params, s, uniforms.subarray(b * steps * dims, (b + 1) * steps * dims)).valence);
      expect(reference.filter((v) => v !== 0).length).toBeGreaterThan(situations.length / 2);
      for (let b = 0; b < situations.length; b++) expect(Math.abs(graph[b]! - reference[b]!)).toBeLessThanOrEqual(1e-5);
    },
    TIMEOUT,
  );

  it(
    'learns online: AUC on held-out situations of a clustered situation → outcome stream rises well above chance',
    async () => {
      const dims = 64;
      const r = seededRandom(21);
      const centroids = randomSituations(6, dims, 22);
      const valence = [0.9, -0.9, 0.7, -0.7, 0.8, -0.8];
      const sample = (n: number) =>
        Array.from({ length: n }, () => {
          const c = Math.floor(r() * centroids.length);
          return { situation: unit(centroids[c]!.map((x) => x + (0.5 / Math.sqrt(dims)) * normal(r))), outcome: r() < (1 + valence[c]!) / 2 ? 1 : 0 };
        });
      const heldOut = sample(300);
      const snn = await create({ network: { dims }, seed: 23 });
      const auc = async () => rocAuc(await snn.predict(heldOut.map((e) => e.situation)), heldOut.map((e) => e.outcome));
      const before = await auc();
      for (const e of sample(600)) snn.learn(e.situation, 2 * e.outcome - 1, 0.5);
      const after = await auc();
      expect(before).toBeLessThan(0.65);
      expect(after).toBeGreaterThan(0.75);
      expect(after - before).toBeGreaterThan(0.15);
    },
    TIMEOUT,
  );

  const cudaProvider = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so');
  it.skipIf(existsSync(cudaProvider))(
    "falls back to CPU with a clear log line when device 'cuda' is asked for on a host without CUDA",
    async () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
      const snn = await create({ network: { dims: 16, hidden: 8, steps: 4 }, device: 'cuda' });
      expect(snn.device).toBe('cpu');
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/device 'cuda'.*running on CPU/));
      const [v] = await snn.predict(randomSituations(1, 16, 1));
      expect(v).toBeGreaterThanOrEqual(-1);
      expect(v).toBeLessThanOrEqual(1);
    },
    TIMEOUT,
  );

  it(
    'restores from a snapshot with the same weights and noise stream, and rejects a damaged one',
    async () => {
      const dims = 32;
      const snn = await create({ network: { dims, hidden: 32, steps: 16 }, seed: 8 });
      const xs = randomSituations(20, dims, 9);
      for (let i = 0; i < 60; i++) snn.learn(xs[i % 20]!, i % 2 ? 1 : -1, 0.3);
      const json = snn.snapshot();
      const copy = await SnnIntuition.restore(json, { device: 'cpu', threads: 1 });
      open.push(copy);
      expect(copy.learned).toBe(60);
      expect(copy.forwardWeights()).toEqual(snn.forwardWeights());
      expect(await copy.predict(xs)).toEqual(await snn.predict(xs));
      const damaged = JSON.parse(json) as { weights: { output: string } };
      damaged.weights.output = damaged.weights.output.slice(0, 8);
      await expect(SnnIntuition.restore(JSON.stringify(damaged))).rejects.toThrow(/weights.output/);
      await expect(SnnIntuition.create({ network: { dims: 0 } })).rejects.toThrow(/network\.dims/);
    },
    TIMEOUT,
  );

  it(
    "delivers its gut valence to the hub as a 'snn-intuition' signal and persists per namespace in the store",
    async () => {
      const { dir, cleanup } = tempDir();
      const mem = await openTestInsula(join(dir, 'db.kuzu'));
      try {
        const snn = await create({ network: { dims: mem.embedder.dims, hidden: 32, steps: 16 }, seed: 2 });
        await learnIntuition(mem, snn, 'the refund request was handled quickly', true, { namespace: 'team', domain: 'support' });
        const valence = await senseIntuition(mem, snn, 'a customer asks for a refund', { namespace: 'team', domain: 'support' });
        const signal = mem.hub!.recentSignals('team').find((s) => s.source === SNN_SIGNAL_SOURCE);
        expect(signal).toMatchObject({ domain: 'support', valence, arousal: Math.abs(valence) });
        const loaded = await loadIntuition(mem, 'team', { device: 'cpu', threads: 1 });
        expect(loaded).not.toBeNull();
        open.push(loaded!);
        expect(loaded!.learned).toBe(1);
        expect(loaded!.forwardWeights()).toEqual(snn.forwardWeights());
        expect(await loadIntuition(mem, 'other')).toBeNull();
        await saveIntuition(mem, snn, 'other');
        await mem.forgetNamespace('other');
        expect(await loadIntuition(mem, 'other')).toBeNull();
      } finally {
        await mem.close();
        cleanup();
      }
    },
    TIMEOUT,
  );
});
