import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { createGloveEmbedder } from '../native/glove/embedder.js';
import { Insula, type InsulaOptions } from '../src/insula.js';
import type { NewMemory } from '../src/memory/store.js';

/** A fresh temp directory, removed by the returned cleanup. */
export function tempDir(prefix = 'insula-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A real Insula on a real Kùzu file, with the small GloVe embedder so suites stay fast. */
export async function openTestInsula(path: string, options: Omit<InsulaOptions, 'path' | 'embedder'> = {}): Promise<Insula> {
  return Insula.open({ path, embedder: await createGloveEmbedder({ threads: 1 }), ...options });
}

/** Registers a fresh Insula on a temp-dir Kùzu file for each test; `reopen` reopens the same file. */
export function useTestInsula(): { mem: Insula; dir: string; reopen(options?: Omit<InsulaOptions, 'path' | 'embedder'>): Promise<Insula> } {
  let cleanup = () => undefined as void;
  const ctx = {
    mem: undefined as unknown as Insula,
    dir: '',
    async reopen(options: Omit<InsulaOptions, 'path' | 'embedder'> = {}) {
      await ctx.mem.close();
      ctx.mem = await openTestInsula(join(ctx.dir, 'db.kuzu'), options);
      return ctx.mem;
    },
  };
  beforeEach(async () => {
    ({ dir: ctx.dir, cleanup } = tempDir());
    ctx.mem = await openTestInsula(join(ctx.dir, 'db.kuzu'));
  });
  afterEach(async () => {
    await ctx.mem.close();
    cleanup();
  });
  return ctx;
}

/** A barrier for `parties` concurrent branches: resolves once all arrived, fails if they never run together. */
export function barrier(parties: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return async () => {
    if (++arrived === parties) open();
    await Promise.race([opened, new Promise((_, reject) => setTimeout(() => reject(new Error('branches did not run in parallel')), 5000))]);
  };
}

/** A store-level memory record (for tests that drive KuzuGraphStore directly), fresh at time 0. */
export function newMemory(fields: Pick<NewMemory, 'id' | 'namespace' | 'content' | 'embedding'>): NewMemory {
  return {
    type: 'episodic',
    importance: 0.5,
    valence: 0,
    domain: 'general',
    createdAt: 0,
    occurredAt: 0,
    session: null,
    access: { createdAt: 0, count: 1, recent: [0] },
    retention: { traces: [{ weight: 1, stability: 1 }], lastReview: 0, reviews: 0 },
    pinned: false,
    source: null,
    metadata: null,
    ...fields,
  };
}
