/**
 * Isolation soak: random interleavings of remember, recall (with sessions), reinforce, feedback
 * (situation + memory ids), signal, add_triples, consolidate, forget and forgetNamespace over
 * several namespaces that share texts, session names and entity names, with ids picked from every
 * namespace (so calls try to reach across).
 *
 * After every operation on namespace X: every other namespace is exactly as it was (memories and
 * their state, links, triples, entities, hub state in memory and persisted); X's recall results,
 * links, working memory and somatic markers hold only X's ids. After forgetNamespace(X): nothing of
 * X through the store's API, and at checkpoints the raw database (a second Kùzu handle on the file)
 * holds no node, link, mention, triple, entity, session, count or meta key of X, the vector and
 * full-text indexes return none of X's memories, and a reopened Insula has no hub state for X.
 *
 *   npm run soak:isolation -- --cases 10000 [--seed 7]
 *
 * The last line printed is one JSON object: cases, operations, problems, seconds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import kuzu from 'kuzu';
import { createGloveEmbedder } from '../../native/glove/embedder.js';
import { Insula } from '../../src/insula.js';
import { namespaceMetaKey, type StoredMemory } from '../../src/memory/store.js';
import { WORDS } from './fuzz.js';

export const ISOLATION_NAMESPACES = ['iso-a', 'iso-b', 'iso-c'];
const SESSIONS = ['s1', 's2', 's3'];
const ENTITIES = ['Ana', 'bob', 'deploy', 'Lisbon'];
const DOMAINS = ['general', 'deploy', 'ops'];

export type Op =
  | { kind: 'remember'; ns: string; content: string; session: string | null; entities: string[] }
  | { kind: 'recall'; ns: string; query: string; session: string | null }
  | { kind: 'reinforce'; ns: string; picks: number[]; outcome: number }
  | { kind: 'feedback'; ns: string; situation: string; picks: number[]; success: boolean; domain: string; strategy: string | null }
  | { kind: 'signal'; ns: string; domain: string; valence: number; arousal: number }
  | { kind: 'triples'; ns: string; subject: string; object: string; pick: number }
  | { kind: 'consolidate'; ns: string }
  | { kind: 'forget'; ns: string; pick: number }
  | { kind: 'forgetNamespace'; ns: string };

/** Shared words, so the same texts live in every namespace and the indexes rank them together. */
const text = fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 5 }).map((w) => w.join(' '));
const ns = fc.constantFrom(...ISOLATION_NAMESPACES);
const session = fc.option(fc.constantFrom(...SESSIONS), { nil: null });
const picks = fc.array(fc.nat(), { minLength: 1, maxLength: 6 });

export const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('remember' as const), ns, content: text, session, entities: fc.subarray(ENTITIES, { maxLength: 2 }) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('recall' as const), ns, query: text, session }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reinforce' as const), ns, picks, outcome: fc.double({ min: -1, max: 1, noNaN: true }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('feedback' as const),
      ns,
      situation: text,
      picks,
      success: fc.boolean(),
      domain: fc.constantFrom(...DOMAINS),
      strategy: fc.option(fc.constantFrom('blue-green', 'canary'), { nil: null }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('signal' as const), ns, domain: fc.constantFrom(...DOMAINS), valence: fc.double({ min: -1, max: 1, noNaN: true }), arousal: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('triples' as const), ns, subject: fc.constantFrom(...ENTITIES), object: fc.constantFrom(...ENTITIES), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('consolidate' as const), ns }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('forget' as const), ns, pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('forgetNamespace' as const), ns }) },
);

/** One case: an interleaving of operations across the namespaces. */
export const interleaving = fc.array(opArbitrary, { minLength: 1, maxLength: 8 });

export interface IsolationHarness {
  /** Runs one interleaving; returns the problems it found. */
  run(ops: readonly Op[]): Promise<string[]>;
  /** Forgets one namespace, then checks the raw database, the indexes and a reopened hub for any trace of it. */
  checkpoint(ns: string): Promise<string[]>;
  operations: number;
  close(): Promise<void>;
}

const sorted = <T>(items: T[], key: (t: T) => string) => [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

export async function openIsolationHarness(dir: string, open: (path: string) => Promise<Insula>): Promise<IsolationHarness> {
  const path = join(dir, 'isolation.kuzu');
  let mem = await open(path);
  /** Ids ever stored, in any namespace: picks index into them, so calls name other namespaces' ids. */
  const known: string[] = [];
  let operations = 0;

  const memories = async (namespace: string): Promise<StoredMemory[]> => {
    const out: StoredMemory[] = [];
    for (let after: string | null = null; ; ) {
      const page = await mem.store.scanMemories(namespace, after, 500);
      out.push(...page);
      if (page.length < 500) return out;
      after = page[page.length - 1]!.id;
    }
  };

  /** Everything of a namespace another namespace's operation must leave alone. */
  const fingerprint = async (namespace: string): Promise<string> => {
    const ms = await memories(namespace);
    return JSON.stringify({
      memories: ms.map((m) => [m.id, m.content, m.importance, m.access.count, m.retention.reviews, m.session, m.seq]),
      links: sorted(await mem.store.allLinks(namespace), (l) => `${l.a}|${l.b}`).map((l) => [l.a, l.b, l.weight]),
      triples: sorted(await mem.triples({}, namespace), (t) => t.id).map((t) => [t.id, t.subject, t.predicate, t.object, t.validTo, t.memoryId]),
      entities: await mem.store.entities(namespace),
      hub: mem.hub?.has(namespace) ? mem.hub.snapshot(namespace) : null,
      persisted: await mem.store.getMeta(namespaceMetaKey(namespace, 'hub')),
      count: await mem.store.countMemories(namespace),
    });
  };

  // Half the picks among the last three ids: the operations of one interleaving then name each other's memories.
  const pick = (i: number) => (known.length > 0 ? known[known.length - 1 - (i % Math.min(known.length, i % 2 ? known.length : 3))]! : 'none-yet');

  /** X's own data holds only X's ids. */
  const ownOnly = async (namespace: string, problems: string[], where: string): Promise<void> => {
    const ids = new Set((await memories(namespace)).map((m) => m.id));
    for (const l of await mem.store.allLinks(namespace)) {
      if (!ids.has(l.a) || !ids.has(l.b)) problems.push(`${where}: link ${l.a}–${l.b} of ${namespace} reaches outside it`);
    }
    for (const s of SESSIONS) {
      for (const item of mem.workingMemory(s, namespace)) if (!ids.has(item.id)) problems.push(`${where}: working memory ${namespace}/${s} holds ${item.id} from elsewhere`);
    }
    if (mem.hub?.has(namespace)) {
      const snapshot = JSON.parse(mem.hub.snapshot(namespace)) as { somatic: { markers: Array<{ outcomes: Array<[string, number]> }> } };
      for (const marker of snapshot.somatic.markers) {
        for (const [id] of marker.outcomes) if (!ids.has(id)) problems.push(`${where}: a somatic marker of ${namespace} holds ${id} from elsewhere`);
      }
    }
  };

  /** After forgetNamespace: nothing of it through the store's API (each of these reads Kùzu). */
  const gone = async (namespace: string, problems: string[], where: string): Promise<void> => {
    const left = {
      count: await mem.store.countMemories(namespace),
      memories: (await memories(namespace)).length,
      links: (await mem.store.allLinks(namespace)).length,
      triples: (await mem.triples({}, namespace)).length,
      entities: (await mem.store.entities(namespace)).length,
      hub: await mem.store.getMeta(namespaceMetaKey(namespace, 'hub')),
      consolidated: await mem.store.getMeta(namespaceMetaKey(namespace, 'consolidatedUpTo')),
      inMemoryHub: mem.hub?.has(namespace) ?? false,
      workingMemory: SESSIONS.reduce((n, s) => n + mem.workingMemory(s, namespace).length, 0),
    };
    if (Object.values(left).some((v) => v !== 0 && v !== null && v !== false)) problems.push(`${where}: ${namespace} left ${JSON.stringify(left)}`);
    const state = await mem.state(namespace);
    if (state.events !== 0 || state.somaticMarkers !== 0 || Object.keys(state.domains).length > 0) problems.push(`${where}: ${namespace} has hub state again: ${JSON.stringify(state).slice(0, 200)}`);
  };

  const apply = async (op: Op, problems: string[], where: string): Promise<void> => {
    switch (op.kind) {
      case 'remember': {
        const r = await mem.remember({ namespace: op.ns, content: op.content, ...(op.session ? { session: op.session } : {}), entities: op.entities });
        known.push(r.id);
        return;
      }
      case 'recall': {
        const ids = new Set((await memories(op.ns)).map((m) => m.id));
        const report = await mem.recallWithReport(op.query, { namespace: op.ns, k: 10, ...(op.session ? { session: op.session } : {}) });
        for (const r of report.results) {
          if (r.memory.namespace !== op.ns || !ids.has(r.id)) problems.push(`${where}: recall in ${op.ns} returned ${r.id} of ${r.memory.namespace} (via ${r.sources.join(', ')})`);
        }
        return;
      }
      case 'reinforce':
        await mem.reinforce({ namespace: op.ns, ids: op.picks.map(pick), outcome: op.outcome });
        return;
      case 'feedback':
        await mem.feedback({ namespace: op.ns, situation: op.situation, memoryIds: op.picks.map(pick), success: op.success, domain: op.domain, ...(op.strategy ? { strategy: op.strategy } : {}) });
        return;
      case 'signal':
        await mem.signal({ source: 'emotion', domain: op.domain, valence: op.valence, arousal: op.arousal }, op.ns);
        return;
      case 'triples':
        await mem.addTriples([{ subject: op.subject, predicate: 'relates_to', object: op.object, memoryId: pick(op.pick) }], op.ns);
        return;
      case 'consolidate':
        await mem.consolidate({ namespace: op.ns });
        return;
      case 'forget':
        await mem.forget(pick(op.pick), { namespace: op.ns });
        return;
      case 'forgetNamespace':
        await mem.forgetNamespace(op.ns);
        await mem.flush();
        await gone(op.ns, problems, where);
    }
  };

  return {
    get operations() {
      return operations;
    },
    async run(ops) {
      const problems: string[] = [];
      for (const [i, op] of ops.entries()) {
        const where = `op ${i} ${op.kind}(${op.ns})`;
        await mem.flush();
        const others = ISOLATION_NAMESPACES.filter((n) => n !== op.ns);
        const before = await Promise.all(others.map(fingerprint));
        try {
          await apply(op, problems, where);
        } catch (err) {
          problems.push(`${where}: threw ${err instanceof Error ? err.message : String(err)}`);
        }
        operations++;
        await mem.flush();
        const after = await Promise.all(others.map(fingerprint));
        for (const [j, other] of others.entries()) if (after[j] !== before[j]) problems.push(`${where}: changed namespace ${other}`);
        await ownOnly(op.ns, problems, where);
      }
      const status = mem.backgroundStatus;
      if (status.failures > 0) problems.push(`background failures: ${status.lastError}`);
      return problems;
    },
    async checkpoint(namespace) {
      const problems: string[] = [];
      const doomed = await memories(namespace);
      const embeddings = await mem.store.getEmbeddings(namespace, doomed.map((m) => m.id));
      await mem.forgetNamespace(namespace);
      await gone(namespace, problems, 'checkpoint');
      const doomedIds = new Set(doomed.map((m) => m.id));
      await mem.close();
      try {
        problems.push(...(await rawTraces(path, namespace, doomedIds, doomed.map((m) => [m.content, embeddings.get(m.id)] as const))));
      } finally {
        mem = await open(path);
      }
      await gone(namespace, problems, 'checkpoint after reopening');
      return problems;
    },
    async close() {
      await mem.close();
    },
  };
}

/** Traces of a forgotten namespace in the raw database, read through a second Kùzu handle. */
async function rawTraces(path: string, namespace: string, ids: ReadonlySet<string>, forgotten: ReadonlyArray<readonly [string, Float32Array | undefined]>): Promise<string[]> {
  // The store's own buffer pool size: opening replays the write-ahead log, HNSW updates included.
  const db = new kuzu.Database(path, 1024 * 1024 * 1024, true, false, 0, false);
  await db.init();
  const conn = new kuzu.Connection(db);
  await conn.init();
  const problems: string[] = [];
  const rows = async (cypher: string, params: Record<string, kuzu.KuzuValue> = {}) => {
    const stmt = await conn.prepare(cypher);
    if (!stmt.isSuccess()) throw new Error(stmt.getErrorMessage());
    const result = await conn.execute(stmt, params);
    const last = Array.isArray(result) ? result[result.length - 1]! : result;
    return last.getAll();
  };
  try {
    const ns = { ns: namespace };
    const checks: Array<[string, string, Record<string, kuzu.KuzuValue>]> = [
      ['memory nodes', 'MATCH (m:Memory) WHERE m.namespace = $ns RETURN count(m) AS n', ns],
      ['entities', 'MATCH (e:Entity) WHERE e.namespace = $ns RETURN count(e) AS n', ns],
      ['sessions', 'MATCH (s:Session) WHERE s.namespace = $ns RETURN count(s) AS n', ns],
      ['namespace count', 'MATCH (n:Namespace {name: $ns}) RETURN count(n) AS n', ns],
      ['meta keys', 'MATCH (x:Meta) WHERE starts_with(x.key, $prefix) RETURN count(x) AS n', { prefix: namespaceMetaKey(namespace, '') }],
      ['links', 'MATCH (a:Memory)-[l:Link]-(b:Memory) WHERE a.namespace = $ns OR b.namespace = $ns RETURN count(l) AS n', ns],
      ['mentions', 'MATCH (m:Memory)-[r:Mentions]->(e:Entity) WHERE m.namespace = $ns OR e.namespace = $ns RETURN count(r) AS n', ns],
      ['triples', 'MATCH (s:Entity)-[t:Triple]->(o:Entity) WHERE s.namespace = $ns OR o.namespace = $ns RETURN count(t) AS n', ns],
    ];
    for (const [what, cypher, params] of checks) {
      const n = Number((await rows(cypher, params))[0]?.n ?? 0);
      if (n > 0) problems.push(`raw: ${n} ${what} of ${namespace} left`);
    }
    // (An empty list would not bind: Kùzu cannot type it.)
    const leftIds = ids.size > 0 ? await rows('UNWIND $ids AS id MATCH (m:Memory {id: id}) RETURN m.id AS id', { ids: [...ids] }) : [];
    if (leftIds.length > 0) problems.push(`raw: ${leftIds.length} forgotten memories still stored`);
    for (const [content, embedding] of forgotten.slice(0, 20)) {
      if (embedding && embedding.some((x) => x !== 0)) {
        const hits = await rows(`CALL QUERY_VECTOR_INDEX('Memory', 'memory_embedding', $v, 50) RETURN node.id AS id, node.namespace AS ns`, { v: Array.from(embedding) });
        for (const h of hits) if (h.ns === namespace || ids.has(h.id as string)) problems.push(`raw: vector index still returns ${h.id as string} of ${namespace}`);
      }
      const words = content.replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
      if (words) {
        const hits = await rows(`CALL QUERY_FTS_INDEX('Memory', 'memory_content', $q, top := 50) RETURN node.id AS id, node.namespace AS ns`, { q: words });
        for (const h of hits) if (h.ns === namespace || ids.has(h.id as string)) problems.push(`raw: full-text index still returns ${h.id as string} of ${namespace}`);
      }
    }
  } finally {
    await conn.close();
    await db.close();
  }
  return problems;
}

export interface IsolationReport {
  seed: number;
  cases: number;
  operations: number;
  checkpoints: number;
  problems: number;
  seconds: number;
  examples: string[];
}

export async function runIsolation(opts: { cases: number; seed: number; checkpointEvery: number; onProgress?: (done: number) => void }): Promise<IsolationReport> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'insula-isolation-'));
  try {
    const h = await openIsolationHarness(dir, async (path) => Insula.open({ path, embedder: await createGloveEmbedder({ threads: 1 }) }));
    const problems: string[] = [];
    let checkpoints = 0;
    const BATCH = 100;
    for (let done = 0; done < opts.cases; ) {
      const n = Math.min(BATCH, opts.cases - done);
      for (const ops of fc.sample(interleaving, { seed: opts.seed + done, numRuns: n })) {
        const found = await h.run(ops).catch((err: unknown) => [`case threw: ${String(err)}`]);
        problems.push(...found.map((p) => `${p} in ${JSON.stringify(ops).slice(0, 400)}`));
        done++;
        if (done % opts.checkpointEvery === 0 || done === opts.cases) {
          problems.push(...(await h.checkpoint(ISOLATION_NAMESPACES[checkpoints % ISOLATION_NAMESPACES.length]!).catch((err: unknown) => [`checkpoint threw: ${String(err)}`])));
          checkpoints++;
        }
        opts.onProgress?.(done);
      }
    }
    const operations = h.operations;
    await h.close();
    return { seed: opts.seed, cases: opts.cases, operations, checkpoints, problems: problems.length, seconds: Math.round((performance.now() - started) / 100) / 10, examples: problems.slice(0, 20) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function argValue(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name}: expected a positive integer`);
  return value;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const cases = argValue('cases', 1000);
  const report = await runIsolation({
    cases,
    seed: argValue('seed', 7),
    checkpointEvery: argValue('checkpoint-every', 100),
    onProgress: (done) => {
      if (done % 500 === 0) process.stderr.write(`isolation: ${done}/${cases} cases, ${Math.round(performance.now() / 1000)} s, rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB\n`);
    },
  });
  for (const p of report.examples) console.log(p);
  console.log(JSON.stringify(report));
  process.exitCode = report.problems > 0 ? 1 : 0;
}
