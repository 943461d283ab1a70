/**
 * Fail-open under injected faults, beyond test/hooks/hooks.test.ts (store throwing on every call,
 * breaker cycle on reads, timeouts): a full disk (writes fail, reads work), a failing or
 * garbage-returning embedder, garbage reaching the hub (bad signals, a damaged persisted
 * snapshot), throwing listeners and an overloaded outbound queue. Faults are injected by proxies
 * over the real Kùzu store and the real GloVe embedder.
 */
import { statfsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Embedder } from '../../native/embedder.js';
import { createGloveEmbedder } from '../../native/glove/embedder.js';
import { InsulaHooks } from '../../src/hooks/hooks.js';
import { Insula, type InsulaOptions } from '../../src/insula.js';
import { KuzuGraphStore, StoreFullError } from '../../src/memory/kuzu-store.js';
import { InsulaValidationError } from '../../src/memory/schema.js';
import { namespaceMetaKey, type GraphStore } from '../../src/memory/store.js';
import { tempDir } from '../helpers.js';

/** GraphStore methods that write; a full disk fails these and nothing else. */
const WRITES = new Set([
  'insertMemories',
  'updateMemoryStates',
  'upsertLinks',
  'deleteLinks',
  'deleteMemories',
  'deleteNamespace',
  'linkMentions',
  'addTriples',
  'closeTriples',
  'setCommunities',
  'setMeta',
]);

interface Faults {
  /** Every write rejects as a full disk would. */
  diskFull: boolean;
  /** Every call waits for this before it runs. */
  gate: Promise<void> | null;
  embedder: 'ok' | 'throws' | 'nan' | 'short';
}

function enospc(method: string): Error {
  return Object.assign(new Error(`ENOSPC: no space left on device, ${method}`), { code: 'ENOSPC' });
}

function faultyStore(real: KuzuGraphStore, faults: Faults): GraphStore {
  return new Proxy(real, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || prop === 'close') return value;
      return async (...args: unknown[]) => {
        if (faults.gate) await faults.gate;
        if (faults.diskFull && WRITES.has(String(prop))) throw enospc(String(prop));
        return value.apply(target, args);
      };
    },
  }) as GraphStore;
}

function faultyEmbedder(real: Embedder, faults: Faults): Embedder {
  return {
    name: real.name,
    dims: real.dims,
    close: () => real.close(),
    async embed(texts) {
      if (faults.embedder === 'throws') throw new Error('injected embedder failure: onnxruntime session lost');
      const vectors = await real.embed(texts);
      if (faults.embedder === 'nan') return vectors.map((v) => v.map((x, i) => (i === 0 ? Number.NaN : x)));
      if (faults.embedder === 'short') return vectors.map((v) => v.slice(1));
      return vectors;
    },
  };
}

let dir: string;
let cleanup: () => void;
const opened: Insula[] = [];
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(async () => {
  for (const mem of opened.splice(0)) await mem.close();
  cleanup();
});

async function close(mem: Insula): Promise<void> {
  opened.splice(opened.indexOf(mem), 1);
  await mem.close();
}

async function open(faults: Faults, options: Omit<InsulaOptions, 'store' | 'embedder' | 'path'> = {}): Promise<Insula> {
  const real = await KuzuGraphStore.open({ path: join(dir, 'db.kuzu'), dims: 100, bufferPoolBytes: 64 * 1024 * 1024 });
  const mem = await Insula.open({ store: faultyStore(real, faults), embedder: faultyEmbedder(await createGloveEmbedder({ threads: 1 }), faults), ...options });
  opened.push(mem);
  return mem;
}

function healthy(): Faults {
  return { diskFull: false, gate: null, embedder: 'ok' };
}

const QUESTION = 'How do we roll back the payments service after a bad deploy?';
const ANSWER = 'Roll back with the blue-green switch: point the router at the previous colour, then drain.';

describe('a full disk', () => {
  it('lets every host turn complete, counts what failed, cycles the breaker and loses nothing acknowledged', async () => {
    const faults = healthy();
    const mem = await open(faults);
    let now = 0;
    const hooks = new InsulaHooks(mem, { breaker: { failureThreshold: 2, cooldownMs: 1000 } }, () => now);
    await hooks.beforeOutbound({ sessionId: 'a', userText: QUESTION, assistantText: ANSWER, outcome: 'success', strategy: 'blue-green' });
    await hooks.flush();
    await mem.flush();
    const [stored] = await mem.store.scanMemories('default', null, 10);

    faults.diskFull = true;
    // Reads still work: the turn gets its memories; recording the access fails in the background.
    const during = await hooks.beforeInbound({ sessionId: 'b', userText: QUESTION });
    expect(during.degraded).toBe(false);
    expect(during.memories[0]!.content).toContain('blue-green switch');
    await mem.signal({ source: 'host', domain: 'ops', valence: -0.8, arousal: 0.9 });
    await mem.flush();
    expect(mem.backgroundStatus).toMatchObject({ pending: 0, unsavedHubs: 1 });
    expect(mem.backgroundStatus.failures).toBeGreaterThanOrEqual(2);
    expect(mem.backgroundStatus.lastError).toMatch(/ENOSPC/);
    const acknowledged = mem.hub!.snapshot('default');

    // Stores fail after the host's turn has already gone on; two in a row open the breaker.
    for (const session of ['c', 'd']) {
      const receipt = await hooks.beforeOutbound({ sessionId: session, userText: QUESTION, assistantText: 'Retry the deploy.', outcome: 'failure' });
      expect(receipt).toMatchObject({ queued: true, degraded: false });
    }
    await hooks.flush();
    expect(hooks.health()).toMatchObject({ incidents: 2, breaker: 'open', pending: 0 });
    expect(hooks.health().lastError).toMatch(/ENOSPC/);
    const skipped = await hooks.beforeInbound({ sessionId: 'e', userText: QUESTION });
    expect(skipped).toMatchObject({ degraded: true, block: '', state: { incidents: 2, breaker: 'open' } });

    // Space is freed; after the cooldown one trial closes the breaker.
    faults.diskFull = false;
    now = 1000;
    expect(hooks.health().breaker).toBe('half-open');
    const healed = await hooks.beforeInbound({ sessionId: 'e', userText: QUESTION });
    expect(healed).toMatchObject({ degraded: false, state: { incidents: 2, breaker: 'closed' } });
    // Later background work is not poisoned by the failed tasks: this recall's access is recorded,
    // and the hub state the failed save left unwritten is written by the next flush.
    const failures = mem.backgroundStatus.failures;
    await mem.flush();
    expect((await mem.get(stored!.id))!.access.count).toBe(stored!.access.count + 1);
    expect(mem.backgroundStatus).toMatchObject({ failures, unsavedHubs: 0 });
    await hooks.close();
    await close(mem);

    const reopened = await open(healthy());
    expect(await reopened.store.countMemories('default')).toBe(1);
    await reopened.state();
    const events = (snapshot: string) => (JSON.parse(snapshot) as { events: number }).events;
    expect(events(reopened.hub!.snapshot('default'))).toBeGreaterThan(events(acknowledged));
    expect(reopened.hub!.snapshot('default')).toBe(mem.hub!.snapshot('default'));
  });

  it('writes hub state a failed save left behind when the host closes without further changes', async () => {
    const faults = healthy();
    const mem = await open(faults);
    faults.diskFull = true;
    await mem.feedback({ domain: 'ops', strategy: 'canary', success: false });
    await mem.flush();
    expect(mem.backgroundStatus.unsavedHubs).toBe(1);
    faults.diskFull = false;
    const before = mem.hub!.snapshot('default');
    await close(mem);
    const reopened = await open(healthy());
    expect((await reopened.state()).domains['ops']!.strategies['canary']).toMatchObject({ trials: 1 });
    expect(reopened.hub!.snapshot('default')).toBe(before);
  });
});

describe("a disk below the store's reserve", () => {
  // A real full disk, against Kùzu itself, is `npm run soak:disk-full` (it mounts a small tmpfs).
  it('refuses writes before Kùzu starts them, keeps reads working and changes nothing', async () => {
    const path = join(dir, 'db.kuzu');
    const embedder = await createGloveEmbedder({ threads: 1 });
    const first = await Insula.open({ path, embedder, hub: false });
    const { id } = await first.remember({ content: 'The rollback runbook lives in the ops wiki.' });
    await first.close();

    const fs = statfsSync(dir);
    const reserve = fs.bavail * fs.bsize + 1024 ** 3;
    const full = await Insula.open({ path, embedder: await createGloveEmbedder({ threads: 1 }), hub: false, minFreeBytes: reserve });
    opened.push(full);
    const refused = await full.remember({ content: 'Never stored.' }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(StoreFullError);
    expect((refused as StoreFullError).code).toBe('ENOSPC');
    expect((refused as Error).message).toContain(path);
    expect((await full.recall('where is the rollback runbook?'))[0]!.id).toBe(id);
    const hooks = new InsulaHooks(full);
    const receipt = await hooks.beforeOutbound({ sessionId: 's', userText: 'Where is the runbook?', assistantText: 'In the ops wiki.' });
    expect(receipt.degraded).toBe(false);
    await hooks.flush();
    expect(hooks.health()).toMatchObject({ incidents: 1, pending: 0 });
    expect(hooks.health().lastError).toMatch(/no space left for store/);
    await hooks.close();
    await close(full);

    const again = await Insula.open({ path, embedder: await createGloveEmbedder({ threads: 1 }), hub: false });
    opened.push(again);
    expect(await again.store.countMemories('default')).toBe(1);
    expect((await again.remember({ content: 'Stored once space is back.' })).id).toBeTruthy();
  });
});

describe('a failing embedder', () => {
  it('degrades the turn, counts the incident and recovers', async () => {
    const faults = healthy();
    const mem = await open(faults);
    const hooks = new InsulaHooks(mem);
    faults.embedder = 'throws';
    const inbound = await hooks.beforeInbound({ sessionId: 's', userText: QUESTION });
    expect(inbound).toMatchObject({ degraded: true, block: '', state: { incidents: 1 } });
    expect(inbound.error).toMatch(/session lost/);
    expect(await hooks.beforeOutbound({ sessionId: 's', userText: QUESTION, assistantText: ANSWER })).toMatchObject({ queued: true });
    await hooks.flush();
    expect(hooks.health()).toMatchObject({ incidents: 2, breaker: 'closed', pending: 0 });
    expect(await mem.store.countMemories('default')).toBe(0);

    faults.embedder = 'ok';
    await hooks.beforeOutbound({ sessionId: 's', userText: QUESTION, assistantText: ANSWER });
    await hooks.flush();
    const next = await hooks.beforeInbound({ sessionId: 't', userText: QUESTION });
    expect(next.degraded).toBe(false);
    expect(next.memories).toHaveLength(1);
    expect(next.state.incidents).toBe(2);
  });

  it('refuses vectors with NaN or the wrong length before they reach the index or the hub', async () => {
    const faults = healthy();
    const mem = await open(faults);
    const [kept] = await mem.rememberMany([{ content: ANSWER }]);
    const events = (await mem.state()).events;
    for (const mode of ['nan', 'short'] as const) {
      faults.embedder = mode;
      await expect(mem.remember({ content: 'The rollback runbook lives in the ops wiki.' })).rejects.toThrow(/malformed/);
      await expect(mem.recall(QUESTION)).rejects.toThrow(/malformed/);
      await expect(mem.feedback({ domain: 'ops', success: false, situation: QUESTION, memoryIds: [kept!.id] })).rejects.toThrow(/malformed/);
    }
    faults.embedder = 'ok';
    // The hub's own entry point refuses a non-finite situation too (it would turn every marker it touches into NaN).
    expect(() => mem.hub!.feedback('default', { domain: 'ops', success: false, memoryIds: [kept!.id] }, new Float32Array(100).fill(Number.NaN))).toThrow(InsulaValidationError);
    expect(await mem.store.countMemories('default')).toBe(1);
    expect(await mem.state()).toMatchObject({ events, somaticMarkers: 0 });
    const [hit] = await mem.recall(QUESTION);
    expect(Number.isFinite(hit!.score)).toBe(true);
  });
});

describe('garbage reaching the hub', () => {
  it('rejects bad signals, metrics and feedback with the field named and changes nothing', async () => {
    const mem = await open(healthy());
    await mem.signal({ source: 'emotion', domain: 'ops', valence: 0.2 });
    const before = mem.hub!.snapshot('default');
    const garbage: Array<() => Promise<unknown>> = [
      () => mem.signal({ source: 'emotion', valence: Number.NaN }),
      () => mem.signal({ source: 'emotion', valence: 0.1, arousal: 7 }),
      () => mem.signal({ source: 'gossip', valence: 0.1 } as never),
      () => mem.signal({ source: 'host', valence: 0.1, context: { note: 'x'.repeat(5000) } }),
      () => mem.metric({ metric: 'latency', value: Number.POSITIVE_INFINITY }),
      () => mem.metric({ metric: '../../etc', value: 3 }),
      () => mem.feedback({ domain: 'ops', success: 2 as never }),
      () => mem.feedback({ domain: 'not a domain!', success: true }),
    ];
    for (const call of garbage) await expect(call()).rejects.toBeInstanceOf(InsulaValidationError);
    expect(mem.hub!.snapshot('default')).toBe(before);
    expect(mem.backgroundStatus.failures).toBe(0);
  });

  it('starts a namespace afresh from a damaged snapshot, counts it and keeps the damaged text', async () => {
    const faults = healthy();
    let mem = await open(faults);
    await mem.signal({ source: 'emotion', domain: 'ops', valence: 0.5 }, 'a');
    await close(mem);
    for (const damaged of ['{"version":1,"domains":"oops"}', '{"version":1,', JSON.stringify({ ...JSON.parse(mem.hub!.snapshot('a')), arousal: null })]) {
      mem = await open(faults);
      await mem.store.setMeta(namespaceMetaKey('a', 'hub'), damaged);
      const hooks = new InsulaHooks(mem);
      const context = await hooks.beforeInbound({ namespace: 'a', sessionId: 's', userText: QUESTION });
      expect(context.degraded).toBe(false);
      expect(context.state.incidents).toBe(0);
      expect(mem.backgroundStatus.failures).toBe(1);
      expect(mem.backgroundStatus.lastError).toMatch(/hub snapshot|JSON/);
      await mem.signal({ source: 'emotion', domain: 'ops', valence: -0.2 }, 'a');
      await mem.flush();
      expect(await mem.store.getMeta(namespaceMetaKey('a', 'hub-damaged'))).toBe(damaged);
      await close(mem);
      // The namespace's state is whole again: the next process restores it without a failure.
      mem = await open(faults);
      expect((await mem.state('a')).events).toBe(2);
      expect(mem.backgroundStatus.failures).toBe(0);
      await close(mem);
    }
  });
});

describe('listeners and queues under faults', () => {
  it('a throwing onError or onIncident poisons no later work and never fails the host turn', async () => {
    const faults = healthy();
    const mem = await open(faults, {
      onError: () => {
        throw new Error('listener bug');
      },
    });
    const hooks = new InsulaHooks(mem, {
      onIncident: () => {
        throw new Error('listener bug');
      },
    });
    const [m] = await mem.rememberMany([{ content: ANSWER }]);
    faults.diskFull = true;
    // regulate: false keeps the hub (and its saves) out of it: the one failing task is the access record.
    await mem.recall(QUESTION, { regulate: false });
    await mem.flush();
    expect(mem.backgroundStatus.failures).toBe(1);
    faults.embedder = 'throws';
    expect(await hooks.beforeInbound({ sessionId: 's', userText: QUESTION })).toMatchObject({ degraded: true, state: { incidents: 1 } });
    faults.diskFull = false;
    faults.embedder = 'ok';
    await mem.recall(QUESTION, { regulate: false });
    await mem.flush();
    // Access recording ran after the failed one: the queue's chain survived the throwing listener.
    expect((await mem.get(m!.id))!.access.count).toBe(2);
  });

  it('answers degraded once the outbound queue is full instead of growing it', async () => {
    const faults = healthy();
    const mem = await open(faults);
    const hooks = new InsulaHooks(mem, { maxQueued: 3, breaker: { failureThreshold: 100 } });
    let release!: () => void;
    faults.gate = new Promise((resolve) => (release = resolve));
    const receipts = [];
    for (let i = 0; i < 5; i++) receipts.push(await hooks.beforeOutbound({ sessionId: `s${i}`, userText: `${QUESTION} (${i})`, assistantText: ANSWER }));
    expect(receipts.map((r) => r.queued)).toEqual([true, true, true, false, false]);
    expect(receipts[4]).toMatchObject({ degraded: true });
    expect(receipts[4]!.error).toMatch(/queue full/);
    expect(hooks.health()).toMatchObject({ pending: 3, incidents: 2 });
    // The refused turns left no pending verdict behind; the queued ones are all stored once the store answers.
    expect(hooks.sessionTurn('default', 's4')).toBeNull();
    faults.gate = null;
    release();
    await hooks.flush();
    expect(await mem.store.countMemories('default')).toBe(3);
    expect(hooks.health()).toMatchObject({ pending: 0, incidents: 2 });
  });
});
