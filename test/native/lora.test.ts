import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createGloveEmbedder } from '../../native/glove/embedder.js';
import type { Embedder } from '../../native/embedder.js';
import { QaLogger } from '../../native/lora/qa-logger.js';
import { buildRouterGraph, routeReference, ROUTER_INPUTS, ROUTER_OUTPUTS } from '../../native/lora/router-graph.js';
import { probabilityOf, SkillRouter } from '../../native/lora/router.js';
import {
  addSkill,
  centroid,
  emptySkillRegistry,
  learnExamples,
  loadSkillRegistry,
  parseSkillRegistry,
  recordOutcome,
  recordRouted,
  removeSkill,
  saveSkillRegistry,
  serialiseSkillRegistry,
  successRate,
  updateSkill,
} from '../../native/lora/skill-registry.js';
import { composeDelta, factorLowRank } from '../../native/lora/svd-factor.js';
import { createSession, cudaInstalled, ort } from '../../native/onnx/session.js';
import { createHooks } from '../../src/hooks/index.js';
import { InteroceptiveHub } from '../../src/hub/hub.js';
import { RegulationActionSchema } from '../../src/hub/regulation/actions.js';
import { seededRandom } from '../../src/random.js';
import { openTestInsula, tempDir } from '../helpers.js';

/** Deterministic uniform numbers in [-1, 1). */
function seeded(seed: number): () => number {
  const r = seededRandom(seed);
  return () => r() * 2 - 1;
}

const vector = (r: () => number, d: number, scale = 1) => Float32Array.from({ length: d }, () => r() * scale);

const SKILLS = {
  cooking: {
    card: { name: 'chef-lora', description: 'cooking recipes, baking, kitchen techniques and ingredients', baseModel: 'qwen2.5-7b', adapter: 'adapters/chef' },
    examples: ['how long should I bake bread in the oven', 'a recipe for tomato soup with fresh basil', 'how do I caramelise onions in a pan'],
  },
  code: {
    card: { name: 'coder-lora', description: 'programming, debugging software, compilers and code review', baseModel: 'qwen2.5-7b', adapter: 'adapters/coder' },
    examples: ['my typescript function throws a type error', 'how do I fix this segmentation fault in my c program', 'write a python script that parses a json file'],
  },
  travel: {
    card: { name: 'travel-lora', description: 'travel planning, flights, hotels and sightseeing', baseModel: 'qwen2.5-7b', adapter: 'adapters/travel' },
    examples: ['book a cheap flight to lisbon in may', 'which hotel near the train station in rome', 'what to visit in kyoto in three days'],
  },
};

describe('router graph', () => {
  it('computes the TypeScript reference within 1e-5, with and without the gate, zero vectors included', async () => {
    const r = seeded(7);
    const d = 32;
    const n = 7;
    const centroids = Array.from({ length: n }, (_, j) => vector(r, d, 0.5 + j));
    const embeddings = [...Array.from({ length: 4 }, () => vector(r, d, 3)), new Float32Array(d)];
    const gate = { weights: vector(r, d * n, 0.3), bias: vector(r, n, 0.2) };
    const flat = new Float32Array(n * d);
    centroids.forEach((c, j) => flat.set(c, j * d));
    for (const gated of [false, true]) {
      const { session } = await createSession(buildRouterGraph({ centroids: flat, skills: n, dims: d, ...(gated ? { gate } : {}) }), { device: 'cpu', threads: 1 });
      const batch = new Float32Array(embeddings.length * d);
      embeddings.forEach((e, b) => batch.set(e, b * d));
      const out = await session.run({
        [ROUTER_INPUTS.embedding]: new ort.Tensor('float32', batch, [embeddings.length, d]),
        [ROUTER_INPUTS.temperature]: new ort.Tensor('float32', Float32Array.of(0.2), [1]),
      });
      const reference = routeReference(embeddings, centroids, 0.2, gated ? gate : undefined);
      const probs = out[ROUTER_OUTPUTS.probabilities]!.data as Float32Array;
      const sims = out[ROUTER_OUTPUTS.similarity]!.data as Float32Array;
      expect(probs.length).toBe(embeddings.length * n);
      let worst = 0;
      probs.forEach((p, i) => (worst = Math.max(worst, Math.abs(p - reference.probabilities[i]!), Math.abs(sims[i]! - reference.similarity[i]!))));
      expect(worst).toBeLessThan(1e-5);
      // The zero embedding has similarity 0 with every centroid: uniform without the gate.
      if (!gated) for (let j = 0; j < n; j++) expect(probs[4 * n + j]).toBeCloseTo(1 / n, 6);
      await session.release();
    }
  });
});

describe('skill registry', () => {
  it('keeps the exact running mean of the examples and renormalises it for routing', () => {
    const r = seeded(3);
    const examples = Array.from({ length: 6 }, () => vector(r, 16));
    let reg = addSkill(emptySkillRegistry('test-embedder', 16), { name: 'a', baseModel: 'm', adapter: 'x' }, examples.slice(0, 2), 1);
    reg = learnExamples(reg, 'a', examples.slice(2), 2);
    const card = reg.cards[0]!;
    expect(card.examples).toBe(6);
    for (let k = 0; k < 16; k++) expect(card.mean[k]).toBeCloseTo(examples.reduce((s, e) => s + e[k]!, 0) / 6, 6);
    const c = centroid(card);
    expect(Math.hypot(...c)).toBeCloseTo(1, 6);
    expect(card.updatedAt).toBe(2);
  });

  it('adds, updates, removes and counts usage; bad input names the field', () => {
    const r = seeded(4);
    let reg = emptySkillRegistry('test-embedder', 8);
    reg = addSkill(reg, { name: 'a', baseModel: 'm', adapter: 'x' }, [vector(r, 8)]);
    reg = addSkill(reg, { name: 'b', baseModel: 'm', adapter: 'y', description: 'second' }, [vector(r, 8)]);
    expect(() => addSkill(reg, { name: 'a', baseModel: 'm', adapter: 'z' }, [vector(r, 8)])).toThrow(/already exists/);
    expect(() => addSkill(reg, { name: 'c', baseModel: 'm', adapter: 'z' }, [vector(r, 5)])).toThrow(/5 dims.*gives 8/);
    expect(() => addSkill(reg, { name: 'bad name!', baseModel: 'm', adapter: 'z' }, [vector(r, 8)])).toThrow(/name/);
    expect(() => addSkill(reg, { name: 'c', baseModel: '', adapter: 'z' }, [vector(r, 8)])).toThrow(/baseModel/);
    reg = updateSkill(reg, 'b', { adapter: 'y2' });
    expect(reg.cards[1]!.adapter).toBe('y2');
    expect(() => updateSkill(reg, 'nope', { adapter: 'q' })).toThrow(/no skill named "nope"/);
    reg = recordRouted(reg, 'a', 100);
    reg = recordOutcome(reg, 'a', true);
    reg = recordOutcome(reg, 'a', 0);
    expect(reg.cards[0]!.stats).toEqual({ routed: 1, outcomes: 2, successes: 1, lastRouted: 100 });
    expect(successRate(reg.cards[0]!.stats)).toBeCloseTo(0.5, 9);
    reg = removeSkill(reg, 'a');
    expect(reg.cards.map((c) => c.name)).toEqual(['b']);
  });

  it('round-trips through the insula store across a restart and refuses a damaged registry', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const r = seeded(5);
      const reg = addSkill(emptySkillRegistry('glove-100d-int8', 100), { name: 'a', baseModel: 'm', adapter: 'x' }, [vector(r, 100), vector(r, 100)]);
      let mem = await openTestInsula(join(dir, 'db.kuzu'));
      await saveSkillRegistry(mem.store, reg);
      await mem.close();
      mem = await openTestInsula(join(dir, 'db.kuzu'));
      const loaded = await loadSkillRegistry(mem.store);
      await mem.close();
      expect(loaded).toEqual(reg);
      const damaged = JSON.parse(serialiseSkillRegistry(reg)) as { cards: Array<{ mean: string }> };
      damaged.cards[0]!.mean = damaged.cards[0]!.mean.slice(0, 40);
      expect(() => parseSkillRegistry(JSON.stringify(damaged))).toThrow(/centroid is not 100 finite numbers/);
    } finally {
      cleanup();
    }
  });
});

describe('skill router', () => {
  let embedder: Embedder;
  beforeAll(async () => {
    embedder = await createGloveEmbedder({ threads: 1 });
  });
  afterAll(async () => {
    await embedder.close();
  });

  async function routerWithSkills(options: Parameters<typeof SkillRouter.create>[1] = {}): Promise<SkillRouter> {
    const router = await SkillRouter.create(embedder, options);
    for (const s of Object.values(SKILLS)) await router.addSkill(s.card, s.examples);
    return router;
  }

  it('routes each request to the adapter of its domain, with probabilities that sum to 1, and counts usage', async () => {
    const router = await routerWithSkills();
    const decisions = await router.routeMany(['what temperature to roast a chicken and potatoes', 'the compiler reports an undefined variable in my code', 'find a hotel and a flight for a weekend in paris']);
    expect(decisions.map((d) => d.adapter?.name)).toEqual(['chef-lora', 'coder-lora', 'travel-lora']);
    for (const d of decisions) {
      expect(d.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(d.confidence).toBe(Math.max(...d.probabilities));
      expect(probabilityOf(d, d.adapter!.name)).toBe(d.confidence);
      expect(d.skills).toEqual(['chef-lora', 'coder-lora', 'travel-lora']);
      expect(d.choices).toBe(3);
    }
    expect(decisions[1]!.adapter).toMatchObject({ model: 'qwen2.5-7b', location: 'adapters/coder' });
    expect(router.registry.cards.map((c) => c.stats.routed)).toEqual([1, 1, 1]);
    await router.close();
  });

  it('answers an empty registry with no adapter, follows registry changes, and refuses a registry of another embedder', async () => {
    const router = await SkillRouter.create(embedder);
    expect(await router.route('anything')).toEqual({ adapter: null, confidence: 0, skills: [], probabilities: new Float32Array(0), similarity: new Float32Array(0), choices: 0 });
    // Centroids are graph constants: a registry change rebuilds the graph before the next decision.
    await router.addSkill(SKILLS.code.card, SKILLS.code.examples);
    expect((await router.route('a bug in my code')).adapter?.name).toBe('coder-lora');
    await router.addSkill(SKILLS.travel.card, SKILLS.travel.examples);
    const both = await router.route('a cheap flight to rome');
    expect([both.adapter?.name, both.choices]).toEqual(['travel-lora', 2]);
    await router.close();
    await expect(SkillRouter.create(embedder, {}, emptySkillRegistry('use-lite-512@x', 512))).rejects.toThrow(/use-lite-512@x.*glove-100d-int8/);
  });

  it('learns its gate from outcomes: repeated failures move an ambiguous request to the other adapter', async () => {
    const router = await routerWithSkills({ gateRate: 0.5 });
    const ambiguous = 'plan a dinner menu for a trip';
    const before = await router.route(ambiguous);
    const first = before.adapter!.name;
    for (let i = 0; i < 12; i++) await router.recordOutcome(first, false, ambiguous);
    const after = await router.route(ambiguous);
    expect(probabilityOf(after, first)).toBeLessThan(probabilityOf(before, first));
    expect(after.adapter!.name).not.toBe(first);
    expect(router.registry.cards.find((c) => c.name === first)!.gate).not.toBeNull();
    await router.close();
  });

  it('persists the registry (usage included) in the store given to it', async () => {
    const { dir, cleanup } = tempDir();
    try {
      let mem = await openTestInsula(join(dir, 'db.kuzu'));
      const router = await SkillRouter.create(mem.embedder, { store: mem.store });
      await router.addSkill(SKILLS.code.card, SKILLS.code.examples);
      await router.route('a bug in my javascript code');
      await router.close();
      await mem.close();
      mem = await openTestInsula(join(dir, 'db.kuzu'));
      const again = await SkillRouter.create(mem.embedder, { store: mem.store });
      expect(again.registry.cards.map((c) => [c.name, c.stats.routed])).toEqual([['coder-lora', 1]]);
      await again.close();
      await mem.close();
    } finally {
      cleanup();
    }
  });
});

describe('routing confidence in the hub', () => {
  it('judges confidence against the domain baseline and asks to learn when it falls', () => {
    const hub = new InteroceptiveHub();
    const r = seeded(9);
    // Cold start: below chance + 25% of the way to certainty (0.4375 among 4 adapters, 0.625 among 2) is low.
    expect(hub.observeRouting('ns', { domain: 'travel', adapter: 'chef', confidence: 0.5, choices: 4 }).low).toBe(false);
    expect(hub.observeRouting('ns', { domain: 'travel', adapter: 'chef', confidence: 0.5, choices: 2 }).low).toBe(true);
    for (let i = 0; i < 30; i++) expect(hub.observeRouting('ns', { domain: 'cooking', adapter: 'chef', confidence: 0.9 + 0.05 * r(), choices: 4 }).low).toBe(false);
    expect(hub.regulate('ns').filter((a) => a.kind === 'learn').map((a) => a.domain)).toEqual(['travel']);
    // 0.7 would pass any fixed cold threshold; it is low only against this domain's usual 0.9.
    const dip = hub.observeRouting('ns', { domain: 'cooking', adapter: 'chef', confidence: 0.7, choices: 4 });
    expect(dip.low).toBe(true);
    expect(dip.usual).toBeGreaterThan(0.85);
    const learn = hub.regulate('ns').find((a) => a.kind === 'learn' && a.domain === 'cooking');
    expect(RegulationActionSchema.parse(learn)).toMatchObject({ kind: 'learn', domain: 'cooking', adapter: 'chef', confidence: 0.7 });
    expect(learn!.reason).toMatch(/below this domain's usual 0\.[89]\d/);

    const restored = new InteroceptiveHub();
    restored.restore('ns', hub.snapshot('ns'));
    expect(restored.snapshot('ns')).toBe(hub.snapshot('ns'));
    expect(restored.regulate('ns').filter((a) => a.kind === 'learn').map((a) => a.domain)).toEqual(['travel', 'cooking']);
    expect(() => hub.observeRouting('ns', { domain: 'cooking', adapter: 'chef', confidence: 1.5, choices: 4 })).toThrow(/confidence/);
  });

  it('restores a snapshot written before routing existed', () => {
    const hub = new InteroceptiveHub();
    hub.signal('ns', { source: 'emotion', domain: 'ops', valence: 0.5 });
    const old = JSON.parse(hub.snapshot('ns')) as { domains: Array<[string, Record<string, unknown>]> };
    for (const [, d] of old.domains) {
      delete d.routing;
      delete d.lastRouting;
    }
    const restored = new InteroceptiveHub();
    restored.restore('ns', JSON.stringify(old));
    expect(restored.observeRouting('ns', { domain: 'ops', adapter: 'a', confidence: 0.95, choices: 2 }).low).toBe(false);
  });
});

describe('skill routing through the hooks', () => {
  it('puts the adapter in the generation parameters, and turns dissonance into a learn action and a QA pair', async () => {
    const { dir, cleanup } = tempDir();
    const mem = await openTestInsula(join(dir, 'db.kuzu'));
    let router: SkillRouter | undefined;
    let hooks: ReturnType<typeof createHooks> | undefined;
    try {
      router = await SkillRouter.create(mem.embedder, { store: mem.store });
      for (const s of Object.values(SKILLS)) await router.addSkill(s.card, s.examples);
      const qaLogger = new QaLogger({ dir: join(dir, 'qa') });
      hooks = createHooks(mem, { router, qaLogger });

      // Clear cooking requests build the domain's routing baseline.
      const clear = ['how long do I bake a loaf of bread', 'a recipe for soup with fresh basil and tomato', 'how do I fry onions in a pan', 'bake a cake with eggs and flour'];
      for (let i = 0; i < 24; i++) {
        const userText = clear[i % clear.length]!;
        const context = await hooks.beforeInbound({ sessionId: `s${i}`, userText, domain: 'cooking' });
        expect(context.degraded).toBe(false);
        expect(context.generation?.adapter).toMatchObject({ name: 'chef-lora', model: 'qwen2.5-7b', location: 'adapters/chef' });
        expect(context.actions.some((a) => a.kind === 'learn')).toBe(false);
        await hooks.beforeOutbound({ sessionId: `s${i}`, userText, assistantText: 'Bake it at 220 degrees for 35 minutes.', outcome: 'success' });
      }
      await hooks.flush();
      expect(router.registry.cards.find((c) => c.name === 'chef-lora')!.stats).toMatchObject({ routed: 24, outcomes: 24, successes: 24 });
      expect(await qaLogger.files('default')).toEqual([]);

      // A cooking turn the skills do not cover well: lower confidence than the domain's usual.
      const odd = 'my flight to rome was cancelled, what should I eat at the airport';
      const context = await hooks.beforeInbound({ sessionId: 'odd', userText: odd, domain: 'cooking' });
      const learn = context.actions.find((a) => a.kind === 'learn');
      expect(learn).toMatchObject({ kind: 'learn', domain: 'cooking' });
      expect(context.block).toMatch(/regulation \(learn\): skill routing confidence/);
      expect(learn).toMatchObject({ adapter: context.generation!.adapter!.name, confidence: context.generation!.adapter!.confidence });
      await hooks.beforeOutbound({ sessionId: 'odd', userText: odd, assistantText: 'Try the pasta place near gate B.', outcome: 'failure' });
      await hooks.flush();
      const lines = readFileSync(qaLogger.path('default', 'cooking'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ namespace: 'default', domain: 'cooking', input: odd, output: 'Try the pasta place near gate B.', outcome: -1, adapter: context.generation!.adapter!.name, confidence: context.generation!.adapter!.confidence });
      expect(lines[0]!.at).toMatch(/^\d{4}-\d\d-\d\dT/);
      // Usage stats were saved with the store.
      expect((await loadSkillRegistry(mem.store))!.cards.find((c) => c.name === 'chef-lora')!.stats.routed).toBeGreaterThanOrEqual(24);
      expect(hooks.health().incidents).toBe(0);

      // A failing router costs the turn its adapter, not its memories (fail-open).
      await router.close();
      const after = await hooks.beforeInbound({ sessionId: 'after', userText: 'how long do I bake a loaf of bread', domain: 'cooking' });
      expect(after.degraded).toBe(false);
      expect(after.memories.length).toBeGreaterThan(0);
      expect(after.generation).not.toBeNull();
      expect(after.generation!.adapter).toBeUndefined();
      expect(hooks.health()).toMatchObject({ incidents: 1, lastError: 'skill routing: skill router is closed' });
    } finally {
      // Queued outbound work must finish before the store closes, also when an assertion failed.
      await hooks?.flush().catch(() => undefined);
      await router?.close();
      await mem.close();
      cleanup();
    }
  });

  it('refuses a router when the hub is off', async () => {
    const { dir, cleanup } = tempDir();
    const mem = await openTestInsula(join(dir, 'db.kuzu'), { hub: false });
    try {
      const router = await SkillRouter.create(mem.embedder);
      expect(() => createHooks(mem, { router })).toThrow(/router: needs the interoceptive hub/);
      await router.close();
    } finally {
      await mem.close();
      cleanup();
    }
  });
});

describe('QA logger', () => {
  it('rotates at maxBytes, keeps a bounded number of files and forgets a namespace', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const logger = new QaLogger({ dir, maxBytes: 2048, keep: 2 });
      const text = 'x'.repeat(300);
      await Promise.all(Array.from({ length: 40 }, (_, i) => logger.log({ namespace: 'team:a', domain: 'ops/db', input: `${i} ${text}`, output: 'ok', outcome: null, adapter: null, confidence: 0.2 })));
      const files = await logger.files('team:a');
      expect(files.map((f) => f.slice(f.lastIndexOf('/') + 1))).toEqual(['ops%2Fdb.1.jsonl', 'ops%2Fdb.2.jsonl', 'ops%2Fdb.jsonl']);
      for (const f of files) expect(statSync(f).size).toBeLessThanOrEqual(2048);
      // Every line is whole JSON, and the newest record is in the current file.
      const lines = files.flatMap((f) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { input: string }));
      expect(lines.some((l) => l.input.startsWith('39 '))).toBe(true);
      expect(readFileSync(logger.path('team:a', 'ops/db'), 'utf8')).toContain('"39 ');
      await expect(logger.log({ domain: 'bad domain', input: 'a', output: 'b', outcome: null, adapter: null, confidence: 0 })).rejects.toThrow(/domain/);
      await logger.forgetNamespace('team:a');
      expect(await logger.files('team:a')).toEqual([]);
    } finally {
      cleanup();
    }
  });
});

describe('LoRA factors by truncated SVD', () => {
  it('recovers a rank-4 delta under noise and reports the explained variance', () => {
    const r = seeded(11);
    const [m, n, k] = [48, 36, 4];
    const u = Array.from({ length: k }, () => vector(r, m));
    const v = Array.from({ length: k }, () => vector(r, n));
    const clean = new Float64Array(m * n);
    for (let t = 0; t < k; t++) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) clean[i * n + j]! += (4 - t) * u[t]![i]! * v[t]![j]!;
    const noisy = Float64Array.from(clean, (x) => x + 0.01 * r());
    const frob = (a: ArrayLike<number>, b?: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, x, i) => s + (x - (b ? b[i]! : 0)) ** 2, 0));

    const f = factorLowRank({ rows: m, cols: n, data: noisy }, k);
    expect(f.b.length).toBe(m * k);
    expect(f.a.length).toBe(k * n);
    expect(f.explainedVariance).toBeGreaterThan(0.9999);
    const approx = composeDelta(f, m, n);
    // The rank-4 factors sit closer to the clean delta than the noisy input does.
    expect(frob(approx, clean)).toBeLessThan(frob(noisy, clean));
    expect(frob(approx, noisy) / frob(noisy)).toBeCloseTo(f.relativeError, 6);
    expect(f.singularValues).toHaveLength(n);
    expect([...f.singularValues].sort((a, b) => b - a)).toEqual(f.singularValues);

    // Rank 1 keeps only the largest direction: the explained variance is σ1² / Σσ².
    const one = factorLowRank({ rows: m, cols: n, data: noisy }, 1);
    expect(one.explainedVariance).toBeCloseTo(f.singularValues[0]! ** 2 / f.singularValues.reduce((s, x) => s + x * x, 0), 9);
    expect(one.explainedVariance).toBeLessThan(0.99);
    // Wide matrices (rows < cols) work too.
    const wide = factorLowRank({ rows: 3, cols: 5, data: [1, 2, 3, 4, 5, 2, 4, 6, 8, 10, 1, 0, 0, 0, 1] }, 2);
    expect(wide.explainedVariance).toBeCloseTo(1, 9);

    expect(() => factorLowRank({ rows: 3, cols: 5, data: new Float32Array(15) }, 4)).toThrow(/rank: at most min\(rows, cols\) = 3/);
    expect(() => factorLowRank({ rows: 3, cols: 5, data: new Float32Array(14) }, 1)).toThrow(/rows × cols/);
    expect(() => factorLowRank({ rows: 1, cols: 2, data: [1, Number.NaN] }, 1)).toThrow(/weight delta: data/);
  });
});

describe('device', () => {
  it.runIf(!cudaInstalled())("falls back from 'cuda' to CPU with a clear log line on a host without CUDA", async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const model = buildRouterGraph({ centroids: Float32Array.of(1, 0, 0, 1), skills: 2, dims: 2 });
      const loaded = await createSession(model, { device: 'cuda' });
      expect(loaded.device).toBe('cpu');
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^insula: device 'cuda': .*no CUDA execution provider.*; running on CPU$/));
      await loaded.session.release();
      // 'auto' on a CPU-only install is the ordinary case and stays quiet.
      warn.mockClear();
      const auto = await createSession(model, { device: 'auto' });
      expect(auto.device).toBe('cpu');
      expect(warn).not.toHaveBeenCalled();
      await auto.session.release();
      // The whole router runs on the fallback.
      const embedder = await createGloveEmbedder({ threads: 1, device: 'cuda' });
      const router = await SkillRouter.create(embedder, { device: 'cuda' });
      await router.addSkill(SKILLS.code.card, SKILLS.code.examples);
      await router.addSkill(SKILLS.travel.card, SKILLS.travel.examples);
      expect((await router.route('a null pointer bug in my code')).adapter!.name).toBe('coder-lora');
      await router.close();
      await embedder.close();
    } finally {
      warn.mockRestore();
    }
  });
});
