/**
 * Bounded resources: every structure that grows with use stops at its cap. A small run of the
 * soak (bench/soak/resources.ts, `npm run soak:resources` for a million operations) with small
 * caps, and the caps' semantics one by one: which entry goes, what is counted, what survives.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runResources } from '../../bench/soak/resources.js';
import { createGloveEmbedder } from '../../native/glove/embedder.js';
import { InteroceptiveHub } from '../../src/hub/hub.js';
import { Insula, type InsulaOptions } from '../../src/insula.js';
import { KuzuGraphStore } from '../../src/memory/kuzu-store.js';
import { namespaceMetaKey, type GraphStore } from '../../src/memory/store.js';
import { newMemory, tempDir } from '../helpers.js';

describe('the resources soak, small', () => {
  it('keeps every structure at or under its cap while the caps are reached', async () => {
    const caps = { sessions: 20, pendingRetrievals: 10, queued: 8, hookSessions: 15, hookQueued: 1000, domains: 16, metrics: 8, strategies: 8, markers: 32, signalBuffer: 16 };
    const report = await runResources({ seed: 3, ops: 12_000, window: 6_000, recalls: 50, burst: 25, library: 20, outbounds: 12, inbounds: 24, poolMB: 64, caps });
    expect(report.overCap).toEqual([]);
    // Filled to the cap, not merely under it: the run pushed past every one of these.
    expect(report.max).toMatchObject({
      workingMemorySessions: 20,
      workingMemoryItems: 7,
      hookSessions: 15,
      domains: 16,
      metrics: 8,
      strategiesPerDomain: 8,
      markers: 32,
      outcomesPerMarker: 16,
      signalBuffer: 16,
      accessRecent: 8,
    });
    expect(report.max.gut).toBeGreaterThan(0);
    expect(report).toMatchObject({ backgroundFailures: 0, hookIncidents: 0, degradedTurns: 0 });
  });
});

/** A real store whose `methods` wait for `release()` while held: a slow disk, to let queues fill. */
function heldStore(real: GraphStore, methods: string[]): { store: GraphStore; hold(): void; release(): void } {
  let gate: Promise<void> | null = null;
  let open = () => undefined as void;
  const store = new Proxy(real, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || !methods.includes(String(prop))) return value;
      return async (...args: unknown[]) => {
        if (gate) await gate;
        return value.apply(target, args);
      };
    },
  }) as GraphStore;
  return {
    store,
    hold: () => void (gate = new Promise((resolve) => (open = resolve))),
    release: () => {
      gate = null;
      open();
    },
  };
}

describe('caps, one by one', () => {
  let dir: string;
  let cleanup: () => void;
  let mem: Insula | null = null;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(async () => {
    await mem?.close();
    mem = null;
    cleanup();
  });

  async function open(methods: string[], options: Omit<InsulaOptions, 'store' | 'embedder' | 'path'>) {
    const held = heldStore(await KuzuGraphStore.open({ path: join(dir, 'db.kuzu'), dims: 100, bufferPoolBytes: 64 * 1024 * 1024 }), methods);
    mem = await Insula.open({ store: held.store, embedder: await createGloveEmbedder({ threads: 1 }), ...options });
    return { mem, ...held };
  }

  it('drops the least recently used session’s working memory past maxSessions', async () => {
    const { mem } = await open([], { maxSessions: 3 });
    await mem.rememberMany([{ content: 'The billing service retries failed charges nightly.' }, { content: 'Charges over 10k need a second approval.' }]);
    const recallIn = (session: string) => mem.recall('How are failed charges retried?', { session });
    for (const s of ['a', 'b', 'c']) await recallIn(s);
    await recallIn('b');
    await recallIn('d');
    expect(mem.resources.workingMemorySessions).toBe(3);
    // 'a' was the least recently used; 'b' was used again after 'c'.
    expect(mem.workingMemory('a')).toEqual([]);
    for (const s of ['b', 'c', 'd']) expect(mem.workingMemory(s)).toHaveLength(2);
    await recallIn('e');
    expect(mem.workingMemory('c')).toEqual([]);
    expect(mem.workingMemory('b')).toHaveLength(2);
  });

  it('sheds the oldest access records past maxPendingRetrievals and counts each one', async () => {
    const { mem, hold, release } = await open(['updateMemoryStates'], { maxPendingRetrievals: 5 });
    const stored = await mem.rememberMany(['Rotate the API keys every quarter.', 'Keys live in the vault under /api.', 'The vault is sealed on restart.'].map((content) => ({ content })));
    hold();
    for (let i = 0; i < 20; i++) await mem.recall('Where do the API keys live and when are they rotated?', { k: 3, regulate: false });
    expect(mem.resources.pendingRetrievals).toBe(5);
    const { dropped } = mem.backgroundStatus;
    expect(dropped).toBeGreaterThanOrEqual(14);
    release();
    await mem.flush();
    // Every recall returned all three memories: each was recorded once per recall not shed.
    for (const m of stored) expect((await mem.get(m.id))!.access.count).toBe(1 + 20 - dropped);
    expect(mem.backgroundStatus).toMatchObject({ pending: 0, failures: 0 });
  });

  it('refuses optional work past maxQueued, counts it, and still writes the hub state', async () => {
    const { mem: first, hold, release } = await open(['upsertLinks', 'setMeta'], { maxQueued: 3 });
    hold();
    for (let i = 0; i < 12; i++) await first.remember({ content: `Incident ${i}: the ${['cache', 'queue', 'disk', 'dns'][i % 4]} alarm fired at ${i} am.`, session: 'ops-shift' });
    expect(first.resources.queued).toBeLessThanOrEqual(3);
    expect(first.backgroundStatus.dropped).toBeGreaterThan(0);
    // The hub save is refused by the full queue too; the next flush writes it.
    const flushed = first.flush();
    release();
    await flushed;
    await first.flush();
    expect(first.backgroundStatus).toMatchObject({ pending: 0, failures: 0, unsavedHubs: 0 });
    const state = first.hub!.snapshot('default');
    await first.close();
    mem = null;
    mem = await Insula.open({ path: join(dir, 'db.kuzu'), embedder: await createGloveEmbedder({ threads: 1 }) });
    await mem.state();
    expect(mem.hub!.snapshot('default')).toBe(state);
  });

  it('trims a snapshot written under larger caps to the restoring hub’s caps', () => {
    const big = new InteroceptiveHub({ maxDomains: 50, maxStrategies: 50, signalBuffer: 200, somatic: { capacity: 50 } });
    for (let i = 0; i < 300; i++) {
      big.signal('ns', { source: 'emotion', domain: `d${i % 40}`, valence: 0.1, time: i });
      big.feedback('ns', { domain: 'ops', strategy: `s${i % 30}`, success: i % 2 === 0, memoryIds: [`m${i}`] }, Float32Array.from({ length: 8 }, (_, j) => (j === i % 8 ? 1 : 0.01 * i)));
    }
    const small = new InteroceptiveHub({ maxDomains: 10, maxStrategies: 5, signalBuffer: 16, somatic: { capacity: 4 } });
    small.restore('ns', big.snapshot('ns'));
    const state = small.state('ns');
    expect(Object.keys(state.domains)).toHaveLength(10);
    expect(Object.keys(state.domains['ops']!.strategies)).toHaveLength(5);
    expect(small.recentSignals('ns')).toHaveLength(16);
    expect(small.recentSignals('ns').at(-1)).toEqual(big.recentSignals('ns').at(-1));
    expect(state.somaticMarkers).toBe(4);
    // The most recently updated strategies are the ones kept.
    expect(Object.keys(state.domains['ops']!.strategies).sort()).toEqual(['s25', 's26', 's27', 's28', 's29']);
  });
});

describe("the store's share of Kùzu's buffer pool", () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  const SMALLEST_POOL = 16 * 1024 * 1024;

  it('checkpoints by commits, so a stream of small writes never fills the pool', async () => {
    const store = await KuzuGraphStore.open({ path: join(dir, 'db.kuzu'), dims: 4, bufferPoolBytes: SMALLEST_POOL });
    try {
      const memory = newMemory({ id: 'm', namespace: 'n', content: 'a memory whose access record is written over and over', embedding: Float32Array.from([1, 0, 0, 0]) });
      await store.insertMemories([memory]);
      // Each update is a commit holding ~16 KiB until a checkpoint: about 1,000 fill a 16 MiB pool.
      for (let i = 1; i <= 1200; i++) await store.updateMemoryStates('n', [{ id: 'm', importance: (i % 100) / 100 }]);
      expect((await store.getMemories('n', ['m']))[0]!.importance).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('keeps long meta values (hub snapshots) out of the pool, in files it replaces atomically and deletes with the namespace', async () => {
    const path = join(dir, 'db.kuzu');
    let store = await KuzuGraphStore.open({ path, dims: 4, bufferPoolBytes: SMALLEST_POOL });
    const key = namespaceMetaKey('tenant', 'hub');
    // 200 rewrites of a 200 KB value: rewritten in Kùzu these filled a 16 MiB pool within a few dozen.
    for (let i = 0; i < 200; i++) await store.setMeta(key, `${i}:${'x'.repeat(200_000)}`);
    await store.setMeta(namespaceMetaKey('tenant', 'small'), 'inline');
    expect(await store.getMeta(key)).toBe(`199:${'x'.repeat(200_000)}`);
    expect(readdirSync(`${path}.meta`)).toHaveLength(1);
    await store.close();
    store = await KuzuGraphStore.open({ path, dims: 4, bufferPoolBytes: SMALLEST_POOL });
    try {
      expect((await store.getMeta(key))!.startsWith('199:')).toBe(true);
      await store.setMeta(key, 'short again');
      expect(await store.getMeta(key)).toBe('short again');
      expect(readdirSync(`${path}.meta`)).toHaveLength(0);
      await store.setMeta(key, 'y'.repeat(5000));
      await store.deleteNamespace('tenant');
      expect(await store.getMeta(key)).toBeNull();
      expect(await store.getMeta(namespaceMetaKey('tenant', 'small'))).toBeNull();
      expect(existsSync(`${path}.meta`) && readdirSync(`${path}.meta`).length).toBe(0);
    } finally {
      await store.close();
    }
  });
});
