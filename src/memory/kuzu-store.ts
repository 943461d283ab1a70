/**
 * GraphStore on embedded Kùzu (kuzu@0.11.3, vector + FTS extensions statically linked).
 * All Cypher is parameterised; the only interpolated values are integers and index names we own.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, renameSync, statfsSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdir, open as openFile, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import kuzu from 'kuzu';
import type { Connection, Database, KuzuValue, PreparedStatement, QueryResult } from 'kuzu';
import { z } from 'zod';
import {
  namespaceMetaKey,
  pairKey,
  type EntityRecord,
  type GraphStore,
  type LinkEdge,
  type MemoryStateUpdate,
  type NewMemory,
  type ScoredId,
  type SessionNeighbour,
  type StoredMemory,
  type StoredTriple,
  type TripleInput,
  type MemoryType,
} from './store.js';
import { SharedExclusive } from '../background.js';
import { dequantise, MemoryCache, quantise, sessionKey } from './memory-cache.js';

export const KuzuStoreOptionsSchema = z
  .object({
    /** Database file path; created when missing. */
    path: z.string().min(1),
    dims: z.number().int().min(2).max(4096),
    /** Kùzu buffer pool in bytes. HNSW maintenance needs room: 128 MiB ran out near 40k 512-d memories. */
    bufferPoolBytes: z.number().int().min(16 * 1024 * 1024).default(1024 * 1024 * 1024),
    /** HNSW graph degree (upper / lower layer) and construction beam. */
    hnsw: z
      .object({ mu: z.number().int().min(4).max(128).default(24), ml: z.number().int().min(8).max(256).default(48), efc: z.number().int().min(8).max(1000).default(100) })
      .prefault({}),
    /** Memories held in the in-process write-through cache (records + int8 embeddings). */
    cacheCapacity: z.number().int().min(0).default(200_000),
    /** Search beam for vector queries (measured: recall@10 0.94 at 100k with efs 200, ~2.6 ms). */
    efs: z.number().int().min(8).max(2000).default(200),
    /**
     * Free space kept on the store's filesystem: a write that would start with less is refused
     * (StoreFullError) before Kùzu touches the disk. Room for a checkpoint (the WAL folds into the
     * file at 32 MiB) and then some; 0 turns the check off.
     */
    minFreeBytes: z.number().int().min(0).default(64 * 1024 * 1024),
  })
  .strict();
export type KuzuStoreOptions = z.input<typeof KuzuStoreOptionsSchema>;

const SCHEMA_VERSION = '1';
const WAL_CHECKPOINT_BYTES = 32 * 1024 * 1024;
/**
 * Kùzu 0.11.3 holds about 16 KiB of buffer pool per committed write transaction until the next
 * checkpoint, whatever the WAL size (measured: 3,944 one-row updates filled a 64 MiB pool; with a
 * checkpoint every 1,000 they ran on indefinitely). The store counts commits and checkpoints before
 * they hold an eighth of the pool.
 */
const POOL_BYTES_PER_COMMIT = 16 * 1024;
/**
 * Meta values longer than this are kept in files beside the database (`<path>.meta/`). Kùzu 0.11.3
 * keeps every version of an updated string in the buffer pool until a checkpoint and grows the
 * file at each checkpoint by a multiple of the strings updated since: rewriting a hub snapshot
 * (up to ~1 MB) every few hundred milliseconds filled a 1 GiB pool within minutes, after which
 * every call of the store failed.
 */
const META_INLINE_CHARS = 1024;
/** The Meta value of a key whose value is in its file (short enough for Kùzu to store inline). */
const IN_FILE = '\u0000file';

const MEMORY_COLUMNS = `m.id AS id, m.namespace AS namespace, m.content AS content, m.type AS type,
  m.importance AS importance, m.valence AS valence, m.domain AS domain, m.createdAt AS createdAt,
  m.occurredAt AS occurredAt, m.session AS session, m.seq AS seq, m.accessCount AS accessCount,
  m.accessRecent AS accessRecent, m.traceWeights AS traceWeights, m.traceStabilities AS traceStabilities,
  m.lastReview AS lastReview, m.reviews AS reviews, m.pinned AS pinned, m.source AS source, m.metadata AS metadata`;

type Row = Record<string, KuzuValue | undefined>;

/**
 * The disk holding the store is (nearly) full. The write was refused before Kùzu started it, so
 * nothing changed and the store stays usable; writes succeed again once space is freed.
 */
export class StoreFullError extends Error {
  readonly code = 'ENOSPC';
  constructor(
    readonly path: string,
    readonly freeBytes: number,
    readonly reserveBytes: number,
  ) {
    super(`no space left for store ${path}: ${mib(freeBytes)} free, the store keeps ${mib(reserveBytes)} in reserve; write refused, nothing changed (free some space, or lower minFreeBytes)`);
    this.name = 'StoreFullError';
  }
}

/**
 * Kùzu failed to read or write the disk (a full disk it was not warned of, an I/O error). Kùzu
 * 0.11.3 does not recover from that in-process: the failed commit leaves its in-memory state
 * inconsistent (later writes fail with duplicate keys and write conflicts) and closing the
 * database aborts the process. So the store refuses every further call, and `close()` leaves the
 * native handles alone. What was acknowledged is in the write-ahead log: restarting the process
 * reopens the store with it.
 */
export class StoreFailedError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`store ${path} failed an I/O operation and is closed for this process (${reason}); acknowledged writes are safe in its write-ahead log: restart the process to reopen it`);
    this.name = 'StoreFailedError';
  }
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

/** Shared by a store's connections: the reserve check before writes, and the failure that closes them all. */
class StoreGuard {
  failure: StoreFailedError | null = null;
  /** Set when close() begins: work queued after that is refused, not run on a closed handle. */
  closed = false;

  constructor(
    readonly path: string,
    private readonly minFreeBytes: number,
  ) {}

  /** Throws StoreFullError when the filesystem has less than the reserve. A statfs call: microseconds. */
  checkSpace(): void {
    if (this.minFreeBytes === 0) return;
    const fs = statfsSync(dirname(this.path));
    const free = fs.bavail * fs.bsize;
    if (free < this.minFreeBytes) throw new StoreFullError(this.path, free, this.minFreeBytes);
  }

  /** Kùzu's I/O errors are the ones it does not survive in-process (see StoreFailedError). */
  observe(err: unknown): unknown {
    const message = err instanceof Error ? err.message : String(err);
    if (!/IO exception/i.test(message)) return err;
    this.failure ??= new StoreFailedError(this.path, message.slice(0, 300));
    return this.failure;
  }
}

/** Kùzu handles of failed stores, kept reachable so no finalizer ever closes them (which aborts). */
const abandoned: unknown[] = [];

/** Runs one task at a time on a connection: Kùzu connections are not safe for overlapping queries. */
class SerialConnection {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly statements = new Map<string, PreparedStatement>();
  /** Runs after each committed transaction (the writer checkpoints from here). */
  afterCommit: (() => Promise<void>) | undefined;

  constructor(
    readonly conn: Connection,
    private readonly guard: StoreGuard,
  ) {}

  run<T>(task: (c: SerialConnection) => Promise<T>): Promise<T> {
    // A query on a closed Kùzu connection crashes the process instead of throwing.
    if (this.guard.closed) return Promise.reject(new Error(`store ${this.guard.path} is closed`));
    const next = this.tail.then(() => {
      if (this.guard.failure) throw this.guard.failure;
      return task(this);
    });
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** Executes directly; only call inside `run`. */
  async exec(cypher: string, params?: Record<string, KuzuValue>): Promise<Row[]> {
    try {
      return await this.execUnguarded(cypher, params);
    } catch (err) {
      throw this.guard.observe(err);
    }
  }

  private async execUnguarded(cypher: string, params?: Record<string, KuzuValue>): Promise<Row[]> {
    let result: QueryResult | QueryResult[];
    if (params) {
      let stmt = this.statements.get(cypher);
      if (!stmt) {
        stmt = await this.conn.prepare(cypher);
        if (!stmt.isSuccess()) throw new Error(`${stmt.getErrorMessage()} in: ${cypher.slice(0, 120)}`);
        this.statements.set(cypher, stmt);
      }
      result = await this.conn.execute(stmt, params);
    } else {
      result = await this.conn.query(cypher);
    }
    const last = Array.isArray(result) ? result[result.length - 1] : result;
    if (!last) return [];
    const rows = await last.getAll();
    if (Array.isArray(result)) result.forEach((r) => r.close());
    else result.close();
    return rows;
  }

  async transaction<T>(body: () => Promise<T>): Promise<T> {
    this.guard.checkSpace();
    await this.exec('BEGIN TRANSACTION');
    let out: T;
    try {
      out = await body();
      await this.exec('COMMIT');
    } catch (err) {
      if (!this.guard.failure) await this.exec('ROLLBACK').catch(() => undefined);
      throw err;
    }
    // Committed: what follows (a checkpoint) must not turn an acknowledged write into an error.
    // A checkpoint that fails is retried after a later commit, or closes the store if it was I/O.
    await this.afterCommit?.().catch(() => undefined);
    return out;
  }
}

/** Replaces `path` with `text` atomically (temp file, fsync, rename, fsync of the directory). */
async function writeDurably(dir: string, path: string, text: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const file = await openFile(tmp, 'w');
  try {
    await file.writeFile(text, 'utf8');
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
  const folder = await openFile(dir, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

function entityKey(namespace: string, name: string): string {
  return `${namespace}\u001f${name.trim().toLowerCase()}`;
}

function num(v: KuzuValue | undefined): number {
  return typeof v === 'bigint' ? Number(v) : (v as number);
}

function toMemory(r: Row): StoredMemory {
  const weights = (r.traceWeights as number[] | null) ?? [];
  const stabilities = (r.traceStabilities as number[] | null) ?? [];
  return {
    id: r.id as string,
    namespace: r.namespace as string,
    content: r.content as string,
    type: r.type as MemoryType,
    importance: r.importance as number,
    valence: r.valence as number,
    domain: r.domain as string,
    createdAt: num(r.createdAt),
    occurredAt: num(r.occurredAt),
    session: (r.session as string | null) ?? null,
    seq: num(r.seq),
    access: {
      createdAt: num(r.createdAt),
      count: num(r.accessCount),
      recent: ((r.accessRecent as number[] | null) ?? []).map(num),
    },
    retention: {
      traces: weights.map((weight, i) => ({ weight, stability: stabilities[i] ?? 0 })),
      lastReview: num(r.lastReview),
      reviews: num(r.reviews),
    },
    pinned: Boolean(r.pinned),
    source: (r.source as string | null) ?? null,
    metadata: r.metadata ? (JSON.parse(r.metadata as string) as Record<string, unknown>) : null,
  };
}

function toTriple(r: Row): StoredTriple {
  return {
    id: r.id as string,
    subject: r.subject as string,
    predicate: r.predicate as string,
    object: r.object as string,
    validFrom: num(r.validFrom),
    validTo: r.validTo === null ? null : num(r.validTo),
    confidence: r.confidence as number,
    memoryId: (r.memoryId as string | null) ?? null,
    createdAt: num(r.createdAt),
  };
}

/** FTS query text: words only, so punctuation never reaches the FTS parser. */
function ftsQueryText(query: string): string {
  return query
    .normalize('NFKC')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** A process that holds a store open, as far as it can be told. */
export interface StoreHolder {
  pid: number;
  /** Its command line, when known. */
  command: string | null;
}

/**
 * Kùzu lets one process at a time open a database file (an OS lock on the file). insula turns
 * Kùzu's bare "Could not set lock on file" into this error, naming the holder and the way out.
 */
export class StoreLockedError extends Error {
  constructor(
    readonly path: string,
    readonly holder: StoreHolder | null,
    readonly sameProcess = false,
  ) {
    const who = holder ? `pid ${holder.pid}${holder.command ? ` (${holder.command})` : ''}` : 'a process whose pid could not be found';
    super(
      sameProcess
        ? `store ${path} is already open in this process; share that Insula instance (or close it first) instead of opening the store twice`
        : `store ${path} is held by another process: ${who}. Only one process can open an insula store at a time: ` +
            'run one shared `insula mcp --http` and connect the agents to it (see docs/mcp.md), or stop that process first',
    );
    this.name = 'StoreLockedError';
  }
}

/**
 * Stores open in this process, by real path, with their holder files. Kùzu's lock is a POSIX
 * record lock, which never conflicts within one process: a second open here would succeed and
 * two Database objects would write the same file.
 */
const openHere = new Map<string, string>();
/** Stores that failed in this process (see StoreFailedError): they stay locked until it exits. */
const failedHere = new Map<string, StoreFailedError>();
let exitHookInstalled = false;

/**
 * Records this process as the holder next to the database (`<path>.holder`: pid and argv) so
 * another process's open can name it. Informational only: the lock itself is Kùzu's, which the
 * kernel releases when the process dies, so a holder file left by a killed process is harmless.
 */
function writeHolder(holderPath: string): void {
  const tmp = `${holderPath}.${process.pid}.tmp`;
  const argv = [process.argv[0]!, ...process.execArgv, ...process.argv.slice(1)];
  writeFileSync(tmp, JSON.stringify({ pid: process.pid, argv, since: new Date().toISOString() }));
  renameSync(tmp, holderPath);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => openHere.forEach(dropHolder));
  }
}

function dropHolder(holderPath: string): void {
  try {
    if ((JSON.parse(readFileSync(holderPath, 'utf8')) as { pid?: unknown }).pid === process.pid) unlinkSync(holderPath);
  } catch {
    // Missing or unreadable: nothing of ours to remove.
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function commandOf(argv: readonly string[]): string | null {
  const text = argv.join(' ').replace(/\s+/g, ' ').trim();
  return text ? (text.length > 300 ? `${text.slice(0, 297)}...` : text) : null;
}

/**
 * Who holds the store: the holder file's process if it is alive and (where the kernel can tell)
 * really owns the lock — a pid may have been reused since — else the lock's owner from the kernel.
 */
function findHolder(path: string): StoreHolder | null {
  const owner = lockOwner(path);
  let recorded: StoreHolder | null = null;
  try {
    const raw = JSON.parse(readFileSync(`${path}.holder`, 'utf8')) as { pid?: unknown; argv?: unknown };
    if (typeof raw.pid === 'number' && alive(raw.pid)) recorded = { pid: raw.pid, command: Array.isArray(raw.argv) ? commandOf(raw.argv.map(String)) : null };
  } catch {
    // No holder file: the holder is not insula, or is still opening.
  }
  if (recorded && (owner === null || owner === recorded.pid)) return recorded;
  if (owner === null) return null;
  let command: string | null = null;
  try {
    command = commandOf(readFileSync(`/proc/${owner}/cmdline`, 'utf8').split('\0'));
  } catch {
    // The holder may have exited meanwhile, or /proc hides it.
  }
  return { pid: owner, command };
}

/** The pid holding a POSIX lock on the file, from /proc/locks (Linux only; null elsewhere). */
function lockOwner(path: string): number | null {
  let locks: string;
  let file: { dev: number; ino: number };
  try {
    locks = readFileSync('/proc/locks', 'utf8');
    file = statSync(path);
  } catch {
    return null;
  }
  // glibc's dev_t encoding, as the kernel prints it: major:minor in hex.
  const major = (file.dev >>> 8) & 0xfff;
  const minor = (file.dev & 0xff) | ((file.dev >>> 12) & 0xfff00);
  // Lines look like "4: POSIX  ADVISORY  WRITE 23754 fe:00:2147268 0 EOF" (pid, major:minor:inode).
  for (const line of locks.split('\n')) {
    const m = /^\d+: POSIX\s+\S+\s+\S+\s+(\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
    if (m && parseInt(m[2]!, 16) === major && parseInt(m[3]!, 16) === minor && Number(m[4]) === file.ino) return Number(m[1]);
  }
  return null;
}

export class KuzuGraphStore implements GraphStore {
  readonly dims: number;
  private readonly holderPath: string;
  private readonly writer: SerialConnection;
  /** Two readers so vector and full-text candidate queries overlap on separate threads. */
  private readonly readers: SerialConnection[];
  private readonly counts = new Map<string, number>();
  private total = 0;
  /** Last sequence number per session (namespace\u001fsession). */
  private readonly sessionSeqs = new Map<string, number>();
  private readonly cache: MemoryCache;
  /**
   * Index queries must not overlap inserts into the indexed table. Kùzu 0.11.3 corrupts its heap
   * when a full-text query runs while another connection inserts (concurrent insertMemories +
   * textSearch aborted the process within a few hundred calls), and a vector query during an
   * insert misses nodes it finds once the insert is done (7 of 100 queries missed an untouched
   * namespace's memories). Queries share the gate with each other; an insert holds it alone.
   */
  private readonly indexGate = new SharedExclusive();
  /** Buffer pool held by commits since the last checkpoint, estimated (see POOL_BYTES_PER_COMMIT). */
  private heldByCommits = 0;
  private readonly metaDir: string;

  private constructor(
    private readonly db: Database,
    connections: SerialConnection[],
    dims: number,
    private readonly efs: number,
    cacheCapacity: number,
    private readonly walPath: string,
    private readonly key: string,
    private readonly checkpointPoolBytes: number,
    private readonly guard: StoreGuard,
  ) {
    this.holderPath = `${key}.holder`;
    this.metaDir = `${key}.meta`;
    this.cache = new MemoryCache(cacheCapacity);
    this.dims = dims;
    this.writer = connections[0]!;
    this.readers = connections.slice(1);
    this.writer.afterCommit = () => this.checkpointIfLarge();
  }

  /**
   * Folds the write-ahead log into the database file once it passes WAL_CHECKPOINT_BYTES, or once
   * the commits since the last checkpoint hold an eighth of the buffer pool (POOL_BYTES_PER_COMMIT).
   * Runs on the writer between transactions while both readers are held, so no transaction is active.
   */
  private async checkpointIfLarge(): Promise<void> {
    this.heldByCommits += POOL_BYTES_PER_COMMIT;
    const size = statSync(this.walPath, { throwIfNoEntry: false })?.size ?? 0;
    if (size < WAL_CHECKPOINT_BYTES && this.heldByCommits < this.checkpointPoolBytes) return;
    // A checkpoint writes the log's pages into the file: without the reserve, leave it for later.
    this.guard.checkSpace();
    this.heldByCommits = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held = this.readers.map((r) => new Promise<void>((entered) => void r.run(async () => (entered(), gate))));
    try {
      await Promise.all(held);
      await this.writer.exec('CHECKPOINT');
    } finally {
      release();
    }
  }

  static async open(options: KuzuStoreOptions): Promise<KuzuGraphStore> {
    const opts = KuzuStoreOptionsSchema.parse(options);
    mkdirSync(dirname(opts.path), { recursive: true });
    const key = join(realpathSync(dirname(opts.path)), basename(opts.path));
    const failed = failedHere.get(key);
    if (failed) throw failed;
    if (openHere.has(key)) throw new StoreLockedError(opts.path, { pid: process.pid, command: null }, true);
    // Auto-checkpoint is off: Kùzu's waits for other connections' transactions and times out under
    // concurrent reads, so the store checkpoints itself with its readers held (see checkpointIfLarge).
    const db = new kuzu.Database(opts.path, opts.bufferPoolBytes, true, false, 0, false);
    try {
      await db.init();
    } catch (err) {
      if (err instanceof Error && /Could not set lock on file/.test(err.message)) throw new StoreLockedError(opts.path, findHolder(opts.path));
      throw err;
    }
    const guard = new StoreGuard(opts.path, opts.minFreeBytes);
    const conns = [0, 1, 2].map(() => new SerialConnection(new kuzu.Connection(db), guard));
    for (const c of conns) await c.conn.init();
    const store = new KuzuGraphStore(db, conns, opts.dims, opts.efs, opts.cacheCapacity, `${opts.path}.wal`, key, Math.floor(opts.bufferPoolBytes / 8), guard);
    openHere.set(key, store.holderPath);
    try {
      writeHolder(store.holderPath);
      await store.writer.run(() => store.ensureSchema(opts));
      await store.loadCounts();
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  private async ensureSchema(opts: z.output<typeof KuzuStoreOptionsSchema>): Promise<void> {
    const w = this.writer;
    await w.exec('CREATE NODE TABLE IF NOT EXISTS Meta(key STRING, value STRING, PRIMARY KEY(key))');
    const existing = await w.exec('MATCH (x:Meta {key: $key}) RETURN x.value AS value', { key: 'dims' });
    if (existing.length > 0) {
      const storedDims = Number(existing[0]!.value);
      if (storedDims !== opts.dims) {
        throw new Error(`store at ${opts.path} holds ${storedDims}-dimensional embeddings; the configured embedder gives ${opts.dims}`);
      }
      return;
    }
    const { mu, ml, efc } = opts.hnsw;
    // DDL runs in auto-commit mode (Kùzu requires it for index creation); every step is idempotent
    // and the dims marker is written last, so an interrupted creation completes on the next open.
    const tables = [
      `CREATE NODE TABLE IF NOT EXISTS Memory(id STRING, namespace STRING, content STRING, type STRING, importance DOUBLE,
        valence DOUBLE, domain STRING, createdAt INT64, occurredAt INT64, session STRING, seq INT64,
        accessCount INT64, accessRecent INT64[], traceWeights DOUBLE[], traceStabilities DOUBLE[],
        lastReview INT64, reviews INT64, pinned BOOLEAN, source STRING, metadata STRING,
        embedding FLOAT[${opts.dims}], PRIMARY KEY(id))`,
      'CREATE NODE TABLE IF NOT EXISTS Entity(key STRING, namespace STRING, name STRING, community INT64, PRIMARY KEY(key))',
      'CREATE NODE TABLE IF NOT EXISTS Session(key STRING, namespace STRING, seq INT64, PRIMARY KEY(key))',
      'CREATE NODE TABLE IF NOT EXISTS Namespace(name STRING, count INT64, PRIMARY KEY(name))',
      'CREATE REL TABLE IF NOT EXISTS Link(FROM Memory TO Memory, weight DOUBLE, updatedAt INT64)',
      'CREATE REL TABLE IF NOT EXISTS Mentions(FROM Memory TO Entity)',
      `CREATE REL TABLE IF NOT EXISTS Triple(FROM Entity TO Entity, id STRING, predicate STRING, validFrom INT64, validTo INT64,
        confidence DOUBLE, memoryId STRING, createdAt INT64)`,
    ];
    for (const stmt of tables) await w.exec(stmt);
    const indexes = new Set((await w.exec('CALL SHOW_INDEXES() RETURN index_name AS name')).map((r) => r.name as string));
    if (!indexes.has('memory_embedding')) {
      await w.exec(`CALL CREATE_VECTOR_INDEX('Memory', 'memory_embedding', 'embedding', metric := 'cosine', mu := ${mu}, ml := ${ml}, efc := ${efc})`);
    }
    if (!indexes.has('memory_content')) {
      await w.exec(`CALL CREATE_FTS_INDEX('Memory', 'memory_content', ['content'], stemmer := 'english')`);
    }
    await w.exec('MERGE (x:Meta {key: $key}) SET x.value = $value', { key: 'schemaVersion', value: SCHEMA_VERSION });
    await w.exec('MERGE (x:Meta {key: $key}) SET x.value = $value', { key: 'dims', value: String(opts.dims) });
  }

  private async loadCounts(): Promise<void> {
    const rows = await this.writer.run((c) => c.exec('MATCH (n:Namespace) RETURN n.name AS name, n.count AS count'));
    this.counts.clear();
    this.total = 0;
    for (const r of rows) {
      this.counts.set(r.name as string, num(r.count));
      this.total += num(r.count);
    }
  }

  private async bumpCounts(c: SerialConnection, deltas: Map<string, number>): Promise<void> {
    for (const [ns, delta] of deltas) {
      await c.exec('MERGE (n:Namespace {name: $ns}) ON CREATE SET n.count = $d ON MATCH SET n.count = n.count + $d', { ns, d: delta });
    }
  }

  private applyCounts(deltas: Map<string, number>): void {
    for (const [ns, delta] of deltas) {
      this.counts.set(ns, (this.counts.get(ns) ?? 0) + delta);
      this.total += delta;
    }
  }

  /** Last sequence number used in a session, -1 for a new session. */
  private async lastSeq(c: SerialConnection, namespace: string, session: string): Promise<number> {
    const key = sessionKey(namespace, session);
    const cached = this.sessionSeqs.get(key);
    if (cached !== undefined) return cached;
    const rows = await c.exec('MATCH (s:Session {key: $key}) RETURN s.seq AS seq', { key });
    const seq = rows.length > 0 ? num(rows[0]!.seq) : -1;
    this.sessionSeqs.set(key, seq);
    return seq;
  }

  async insertMemories(memories: NewMemory[]): Promise<StoredMemory[]> {
    for (const m of memories) {
      if (m.embedding.length !== this.dims) throw new Error(`embedding: expected ${this.dims} dimensions, got ${m.embedding.length}`);
    }
    return this.indexGate.runExclusive(() => this.writer.run(async (c) => {
      const seqs = new Map<string, number>();
      const newSessions = new Set<string>();
      const stored: StoredMemory[] = [];
      const deltas = new Map<string, number>();
      for (const m of memories) {
        let seq = -1;
        if (m.session !== null) {
          const key = sessionKey(m.namespace, m.session);
          if (!seqs.has(key)) {
            const last = await this.lastSeq(c, m.namespace, m.session);
            if (last < 0) newSessions.add(key);
            seqs.set(key, last);
          }
          seq = seqs.get(key)! + 1;
          seqs.set(key, seq);
        }
        deltas.set(m.namespace, (deltas.get(m.namespace) ?? 0) + 1);
        const { embedding: _embedding, ...memory } = m;
        stored.push({ ...memory, seq });
      }
      await c.transaction(async () => {
        // One CREATE per row: Kùzu 0.11.3 corrupts FTS entries of rows created by UNWIND
        // (deleting them later crashes), so batching happens at the transaction level instead.
        for (const [i, m] of stored.entries()) {
          await c.exec(
            `CREATE (:Memory {id: $id, namespace: $namespace, content: $content, type: $type,
              importance: $importance, valence: $valence, domain: $domain, createdAt: $createdAt,
              occurredAt: $occurredAt, session: $session, seq: $seq, accessCount: $accessCount,
              accessRecent: $accessRecent, traceWeights: $traceWeights, traceStabilities: $traceStabilities,
              lastReview: $lastReview, reviews: $reviews, pinned: $pinned, source: $source,
              metadata: $metadata, embedding: CAST($embedding AS FLOAT[${this.dims}])})`,
            {
              id: m.id,
              namespace: m.namespace,
              content: m.content,
              type: m.type,
              importance: m.importance,
              valence: m.valence,
              domain: m.domain,
              createdAt: m.createdAt,
              occurredAt: m.occurredAt,
              session: m.session,
              seq: m.seq,
              accessCount: m.access.count,
              accessRecent: m.access.recent,
              traceWeights: m.retention.traces.map((t) => t.weight),
              traceStabilities: m.retention.traces.map((t) => t.stability),
              lastReview: m.retention.lastReview,
              reviews: m.retention.reviews,
              pinned: m.pinned,
              source: m.source,
              metadata: m.metadata ? JSON.stringify(m.metadata) : null,
              // As text: the binding converts a long JS number list far more slowly than Kùzu parses it.
              embedding: `[${Array.from(memories[i]!.embedding).join(',')}]`,
            },
          );
        }
        const sessionRows = [...seqs].map(([key, seq]) => ({ key, ns: key.split('\u001f')[0]!, seq }));
        if (sessionRows.length > 0) {
          for (const r of sessionRows) {
            await c.exec('MERGE (s:Session {key: $key}) ON CREATE SET s.namespace = $ns SET s.seq = $seq', r);
          }
        }
        await this.bumpCounts(c, deltas);
      });
      for (const [key, seq] of seqs) this.sessionSeqs.set(key, seq);
      this.applyCounts(deltas);
      for (const [i, m] of stored.entries()) {
        this.cache.put(m, quantise(memories[i]!.embedding));
        if (m.session !== null) this.cache.appendToSession(m.namespace, m.session, m.id, newSessions.has(sessionKey(m.namespace, m.session)));
      }
      return stored;
    }));
  }

  async getMemories(namespace: string, ids: readonly string[]): Promise<StoredMemory[]> {
    const found = new Map<string, StoredMemory>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const hit = this.cache.get(id);
      if (hit) {
        if (hit.memory.namespace === namespace) found.set(id, hit.memory);
      } else missing.push(id);
    }
    if (missing.length > 0) {
      const rows = await this.reader(0).run(async (c) => {
        const out: Row[] = [];
        for (const id of missing) out.push(...(await c.exec(`MATCH (m:Memory {id: $id}) RETURN ${MEMORY_COLUMNS}`, { id })));
        return out;
      });
      for (const m of rows.map(toMemory)) {
        this.cache.put(m, null);
        if (m.namespace === namespace) found.set(m.id, m);
      }
    }
    return ids.flatMap((id) => found.get(id) ?? []);
  }

  /** Embeddings for rescoring: from the cache (int8, dequantised) or the database. */
  async getEmbeddings(namespace: string, ids: readonly string[]): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const hit = this.cache.get(id);
      if (hit?.vector) {
        if (hit.memory.namespace === namespace) out.set(id, dequantise(hit.vector));
      } else missing.push(id);
    }
    if (missing.length > 0) {
      const rows = await this.reader(1).run(async (c) => {
        const out: Row[] = [];
        for (const id of missing) {
          out.push(...(await c.exec('MATCH (m:Memory {id: $id}) WHERE m.namespace = $ns RETURN m.id AS id, m.embedding AS e', { id, ns: namespace })));
        }
        return out;
      });
      for (const r of rows) {
        const v = Float32Array.from(r.e as number[]);
        out.set(r.id as string, v);
        const cached = this.cache.get(r.id as string);
        if (cached) this.cache.put(cached.memory, quantise(v));
      }
    }
    return out;
  }

  private reader(i: number): SerialConnection {
    return this.readers[i % this.readers.length]!;
  }

  /**
   * The HNSW and FTS indexes span all namespaces, so each query over-fetches in proportion to the
   * namespace's share of the store and then filters: results never cross namespaces.
   */
  private fetchSize(namespace: string, k: number): number {
    const n = this.counts.get(namespace) ?? 0;
    if (n === 0 || this.total === 0) return 0;
    const share = n / this.total;
    return Math.min(this.total, Math.ceil((k / share) * 1.2) + 5);
  }

  /** True when no other namespace holds memories, so index results need no namespace filter. */
  private soleNamespace(namespace: string): boolean {
    return (this.counts.get(namespace) ?? 0) === this.total;
  }

  async vectorSearch(namespace: string, vector: Float32Array, k: number): Promise<ScoredId[]> {
    if (vector.length !== this.dims) throw new Error(`query embedding: expected ${this.dims} dimensions, got ${vector.length}`);
    // Sized inside the gate: the namespace shares it sizes the query for are those of the rows it sees.
    const rows = await this.indexGate.runShared(async () => {
      const fetch = this.fetchSize(namespace, k);
      if (fetch === 0) return [];
      const filter = this.soleNamespace(namespace) ? '' : 'WHERE node.namespace = $ns';
      return this.reader(0).run((c) =>
        c.exec(
          `CALL QUERY_VECTOR_INDEX('Memory', 'memory_embedding', $v, $k, efs := $efs)
           WITH node, distance ${filter} RETURN node.id AS id, distance ORDER BY distance LIMIT $limit`,
          { v: Array.from(vector), k: fetch, efs: Math.max(this.efs, fetch), limit: k, ...(filter ? { ns: namespace } : {}) },
        ),
      );
    });
    return rows.map((r) => ({ id: r.id as string, score: 1 - (r.distance as number) }));
  }

  async textSearch(namespace: string, query: string, k: number): Promise<ScoredId[]> {
    const text = ftsQueryText(query);
    if (!text) return [];
    const rows = await this.indexGate.runShared(async () => {
      const fetch = this.fetchSize(namespace, k);
      if (fetch === 0) return [];
      const filter = this.soleNamespace(namespace) ? '' : 'WHERE node.namespace = $ns';
      return this.reader(1).run((c) =>
        c.exec(
          `CALL QUERY_FTS_INDEX('Memory', 'memory_content', $q, top := $k) WITH node, score
           ${filter} RETURN node.id AS id, score ORDER BY score DESC LIMIT $limit`,
          { q: text, k: fetch, limit: k, ...(filter ? { ns: namespace } : {}) },
        ),
      );
    });
    return rows.map((r) => ({ id: r.id as string, score: r.score as number }));
  }

  async updateMemoryStates(namespace: string, updates: readonly MemoryStateUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    // One primary-key lookup per row: Kùzu plans `UNWIND … MATCH ({id: r.id})` as a hash join over
    // the whole table, which made every access record O(n).
    await this.writer.run((c) =>
      c.transaction(async () => {
        for (const u of updates) {
          const sets: string[] = [];
          const params: Record<string, KuzuValue> = { id: u.id, ns: namespace };
          if (u.access) {
            sets.push('m.accessCount = $count', 'm.accessRecent = $recent');
            Object.assign(params, { count: u.access.count, recent: u.access.recent });
          }
          if (u.retention) {
            sets.push('m.traceWeights = $w', 'm.traceStabilities = $s', 'm.lastReview = $last', 'm.reviews = $reviews');
            Object.assign(params, {
              w: u.retention.traces.map((t) => t.weight),
              s: u.retention.traces.map((t) => t.stability),
              last: u.retention.lastReview,
              reviews: u.retention.reviews,
            });
          }
          if (u.importance !== undefined) {
            sets.push('m.importance = $importance');
            params.importance = u.importance;
          }
          if (u.pinned !== undefined) {
            sets.push('m.pinned = $pinned');
            params.pinned = u.pinned;
          }
          if (sets.length > 0) await c.exec(`MATCH (m:Memory {id: $id}) WHERE m.namespace = $ns SET ${sets.join(', ')}`, params);
        }
      }),
    );
    for (const u of updates) {
      const { id, ...change } = u;
      if (this.cache.get(id)?.memory.namespace !== namespace) continue;
      this.cache.patch(id, Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)));
    }
  }

  async sessionNeighbours(namespace: string, ids: readonly string[], window: number): Promise<SessionNeighbour[]> {
    if (ids.length === 0 || window < 1) return [];
    const out: SessionNeighbour[] = [];
    for (const m of await this.getMemories(namespace, ids)) {
      if (m.session === null) continue;
      const order = await this.sessionOrder(namespace, m.session);
      const at = order.indexOf(m.id);
      for (let lag = -window; lag <= window; lag++) {
        const other = lag !== 0 ? order[at + lag] : undefined;
        if (at >= 0 && other !== undefined) out.push({ from: m.id, id: other, lag });
      }
    }
    return out;
  }

  /** Ids of a session in order; loaded once per session, then kept current by the cache. */
  private async sessionOrder(namespace: string, session: string): Promise<string[]> {
    const cached = this.cache.sessionOrder(namespace, session);
    if (cached) return cached;
    const rows = await this.reader(0).run((c) =>
      c.exec('MATCH (m:Memory) WHERE m.namespace = $ns AND m.session = $s RETURN m.id AS id ORDER BY m.seq', { ns: namespace, s: session }),
    );
    const order = rows.map((r) => r.id as string);
    this.cache.setSessionOrder(namespace, session, order);
    return order;
  }

  async links(namespace: string, ids: readonly string[]): Promise<LinkEdge[]> {
    const edges = new Map<string, LinkEdge>();
    for (const { id } of await this.getMemories(namespace, ids)) {
      let links = this.cache.links(id);
      if (!links) {
        const rows = await this.reader(1).run((c) =>
          c.exec(
            `MATCH (m:Memory {id: $id})-[l:Link]-(n:Memory) WHERE m.namespace = $ns
             RETURN m.id AS a, n.id AS b, l.weight AS weight, l.updatedAt AS updatedAt`,
            { id, ns: namespace },
          ),
        );
        this.cache.setLinks(id, rows.map((r) => ({ a: r.a as string, b: r.b as string, weight: r.weight as number, updatedAt: num(r.updatedAt) })));
        links = this.cache.links(id)!;
      }
      for (const [other, l] of links) edges.set(pairKey(id, other), { ...l, a: id, b: other });
    }
    return [...edges.values()];
  }

  async allLinks(namespace: string): Promise<LinkEdge[]> {
    const rows = await this.reader(1).run((c) =>
      c.exec(
        `MATCH (a:Memory)-[l:Link]->(b:Memory) WHERE a.namespace = $ns
         RETURN a.id AS a, b.id AS b, l.weight AS weight, l.updatedAt AS updatedAt`,
        { ns: namespace },
      ),
    );
    return rows.map((r) => ({ a: r.a as string, b: r.b as string, weight: r.weight as number, updatedAt: num(r.updatedAt) }));
  }

  async upsertLinks(namespace: string, links: readonly LinkEdge[]): Promise<void> {
    if (links.length === 0) return;
    // One edge per unordered pair, stored in id order; one primary-key lookup per row (see updateMemoryStates).
    const rows = links.filter((l) => l.a !== l.b).map((l) => (l.a < l.b ? l : { ...l, a: l.b, b: l.a }));
    const applied: LinkEdge[] = [];
    await this.writer.run((c) =>
      c.transaction(async () => {
        for (const r of rows) {
          const written = await c.exec(
            `MATCH (a:Memory {id: $a}), (b:Memory {id: $b}) WHERE a.namespace = $ns AND b.namespace = $ns
             MERGE (a)-[l:Link]->(b) SET l.weight = $weight, l.updatedAt = $updatedAt RETURN count(l) AS n`,
            { a: r.a, b: r.b, weight: r.weight, updatedAt: r.updatedAt, ns: namespace },
          );
          if (num(written[0]?.n ?? 0) > 0) applied.push(r);
        }
      }),
    );
    for (const l of applied) this.cache.applyLink(l);
  }

  async deleteLinks(namespace: string, pairs: ReadonlyArray<{ a: string; b: string }>): Promise<void> {
    if (pairs.length === 0) return;
    // Links are stored in id order (see upsertLinks), so a directed match finds each one.
    const ordered = pairs.map((p) => (p.a < p.b ? { a: p.a, b: p.b } : { a: p.b, b: p.a }));
    await this.writer.run((c) =>
      c.transaction(async () => {
        for (const p of ordered) {
          await c.exec('MATCH (a:Memory {id: $a})-[l:Link]->(b:Memory {id: $b}) WHERE a.namespace = $ns DELETE l', { ...p, ns: namespace });
        }
      }),
    );
    for (const p of ordered) this.cache.applyLink({ ...p, deleted: true });
  }

  async scanMemories(namespace: string, afterId: string | null, limit: number): Promise<StoredMemory[]> {
    const rows = await this.reader(0).run((c) =>
      c.exec(`MATCH (m:Memory) WHERE m.namespace = $ns AND m.id > $after RETURN ${MEMORY_COLUMNS} ORDER BY m.id LIMIT $limit`, {
        ns: namespace,
        after: afterId ?? '',
        limit,
      }),
    );
    return rows.map(toMemory);
  }

  async deleteMemories(namespace: string, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return this.writer.run(async (c) => {
      const doomed: string[] = [];
      for (const id of new Set(ids)) {
        const found = await c.exec('MATCH (m:Memory {id: $id}) WHERE m.namespace = $ns RETURN m.id AS id', { id, ns: namespace });
        if (found.length > 0) doomed.push(id);
      }
      if (doomed.length === 0) return 0;
      await c.transaction(async () => {
        for (const id of doomed) {
          // Only this namespace's triples: another namespace may cite the same id, and keeps its facts.
          await c.exec('MATCH (s:Entity)-[t:Triple]->(:Entity) WHERE t.memoryId = $id AND s.namespace = $ns DELETE t', { id, ns: namespace });
          // One row per statement: see insertMemories on Kùzu's FTS maintenance.
          await c.exec('MATCH (m:Memory {id: $id}) DETACH DELETE m', { id });
        }
        await this.deleteOrphanEntities(c, namespace);
        await this.bumpCounts(c, new Map([[namespace, -doomed.length]]));
      });
      this.applyCounts(new Map([[namespace, -doomed.length]]));
      for (const id of doomed) this.cache.evict(id);
      return doomed.length;
    });
  }

  private async deleteOrphanEntities(c: SerialConnection, namespace: string): Promise<void> {
    await c.exec('MATCH (e:Entity) WHERE e.namespace = $ns AND NOT EXISTS { MATCH (e)-[]-() } DELETE e', { ns: namespace });
  }

  async deleteNamespace(namespace: string): Promise<number> {
    return this.writer.run(async (c) => {
      let deleted = 0;
      const prefix = namespaceMetaKey(namespace, '');
      const inFiles = (await c.exec('MATCH (x:Meta) WHERE starts_with(x.key, $prefix) AND x.value = $inFile RETURN x.key AS key', { prefix, inFile: IN_FILE })).map(
        (r) => r.key as string,
      );
      await c.transaction(async () => {
        const counted = await c.exec('MATCH (m:Memory) WHERE m.namespace = $ns RETURN count(m) AS n', { ns: namespace });
        deleted = num(counted[0]?.n ?? 0);
        await c.exec('MATCH (m:Memory) WHERE m.namespace = $ns DETACH DELETE m', { ns: namespace });
        await c.exec('MATCH (e:Entity) WHERE e.namespace = $ns DETACH DELETE e', { ns: namespace });
        await c.exec('MATCH (s:Session) WHERE s.namespace = $ns DELETE s', { ns: namespace });
        await c.exec('MATCH (n:Namespace {name: $ns}) DELETE n', { ns: namespace });
        await c.exec('MATCH (x:Meta) WHERE starts_with(x.key, $prefix) DELETE x', { prefix });
      });
      // After the commit: a crash in between leaves an unreferenced file, never a key without its value.
      for (const key of inFiles) await rm(this.metaFile(key), { force: true });
      for (const key of [...this.sessionSeqs.keys()]) if (key.startsWith(`${namespace}\u001f`)) this.sessionSeqs.delete(key);
      this.cache.evictNamespace(namespace);
      this.total -= this.counts.get(namespace) ?? 0;
      this.counts.delete(namespace);
      return deleted;
    });
  }

  async countMemories(namespace: string): Promise<number> {
    return this.counts.get(namespace) ?? 0;
  }

  async namespaces(): Promise<string[]> {
    return [...this.counts.keys()].filter((ns) => (this.counts.get(ns) ?? 0) > 0).sort();
  }

  async linkMentions(namespace: string, memoryId: string, entities: readonly string[]): Promise<void> {
    const names = [...new Set(entities.map((e) => e.trim()).filter(Boolean))];
    if (names.length === 0) return;
    await this.writer.run((c) =>
      c.transaction(async () => {
        await this.mergeEntities(c, namespace, names);
        await c.exec(
          `UNWIND $keys AS k MATCH (m:Memory {id: $id}), (e:Entity {key: k}) WHERE m.namespace = $ns
           MERGE (m)-[:Mentions]->(e)`,
          { keys: names.map((n) => entityKey(namespace, n)), id: memoryId, ns: namespace },
        );
      }),
    );
  }

  private async mergeEntities(c: SerialConnection, namespace: string, names: readonly string[]): Promise<void> {
    await c.exec('UNWIND $rows AS r MERGE (e:Entity {key: r.key}) ON CREATE SET e.namespace = $ns, e.name = r.name', {
      rows: names.map((name) => ({ key: entityKey(namespace, name), name: name.trim() })),
      ns: namespace,
    });
  }

  async addTriples(namespace: string, triples: readonly TripleInput[], now: number): Promise<StoredTriple[]> {
    if (triples.length === 0) return [];
    const stored = triples.map((t) => ({ ...t, id: randomUUID(), createdAt: now }));
    await this.writer.run((c) =>
      c.transaction(async () => {
        await this.mergeEntities(c, namespace, [...new Set(triples.flatMap((t) => [t.subject, t.object]))]);
        await c.exec(
          `UNWIND $rows AS r MATCH (s:Entity {key: r.s}), (o:Entity {key: r.o})
           CREATE (s)-[:Triple {id: r.id, predicate: r.predicate, validFrom: r.validFrom, validTo: CAST(r.validTo AS INT64),
             confidence: CAST(r.confidence AS DOUBLE), memoryId: r.memoryId, createdAt: r.createdAt}]->(o)`,
          {
            rows: stored.map((t) => ({
              s: entityKey(namespace, t.subject),
              o: entityKey(namespace, t.object),
              id: t.id,
              predicate: t.predicate,
              validFrom: t.validFrom,
              validTo: t.validTo,
              // As text: the binding types a whole number as INT64 and a fraction as DOUBLE, and rows
              // whose struct types differ (confidence 1 next to 0.9) fail to bind.
              confidence: String(t.confidence),
              memoryId: t.memoryId,
              createdAt: now,
            })),
          },
        );
        const mentions = stored.filter((t) => t.memoryId).flatMap((t) => [t.subject, t.object].map((e) => ({ m: t.memoryId!, k: entityKey(namespace, e) })));
        for (const r of mentions) {
          await c.exec('MATCH (m:Memory {id: $m}), (e:Entity {key: $k}) WHERE m.namespace = $ns MERGE (m)-[:Mentions]->(e)', { ...r, ns: namespace });
        }
      }),
    );
    return stored;
  }

  async closeTriples(namespace: string, subject: string, predicate: string, at: number): Promise<number> {
    return this.writer.run(async (c) => {
      // In a transaction, like every write, so its commit counts towards the next checkpoint.
      const rows = await c.transaction(() =>
        c.exec(
          `MATCH (s:Entity {key: $s})-[t:Triple]->(:Entity) WHERE t.predicate = $p AND t.validTo IS NULL AND t.validFrom <= $at
           SET t.validTo = $at RETURN count(t) AS n`,
          { s: entityKey(namespace, subject), p: predicate, at },
        ),
      );
      return num(rows[0]?.n ?? 0);
    });
  }

  async triples(namespace: string, filter: { subject?: string; predicate?: string; object?: string } = {}): Promise<StoredTriple[]> {
    const rows = await this.reader(0).run((c) =>
      c.exec(
        `MATCH (s:Entity)-[t:Triple]->(o:Entity) WHERE s.namespace = $ns
           AND ($s IS NULL OR s.key = $s) AND ($o IS NULL OR o.key = $o) AND ($p IS NULL OR t.predicate = $p)
         RETURN t.id AS id, s.name AS subject, t.predicate AS predicate, o.name AS object, t.validFrom AS validFrom,
           t.validTo AS validTo, t.confidence AS confidence, t.memoryId AS memoryId, t.createdAt AS createdAt
         ORDER BY t.validFrom, t.createdAt`,
        {
          ns: namespace,
          s: filter.subject ? entityKey(namespace, filter.subject) : null,
          o: filter.object ? entityKey(namespace, filter.object) : null,
          p: filter.predicate ?? null,
        },
      ),
    );
    return rows.map(toTriple);
  }

  async entities(namespace: string): Promise<EntityRecord[]> {
    const rows = await this.reader(0).run((c) =>
      c.exec(
        `MATCH (e:Entity) WHERE e.namespace = $ns OPTIONAL MATCH (m:Memory)-[:Mentions]->(e)
         RETURN e.name AS name, e.community AS community, count(m) AS mentions ORDER BY name`,
        { ns: namespace },
      ),
    );
    return rows.map((r) => ({ name: r.name as string, community: r.community === null ? null : num(r.community), mentions: num(r.mentions) }));
  }

  async setCommunities(namespace: string, communities: ReadonlyMap<string, number>): Promise<void> {
    const rows = [...communities].map(([name, community]) => ({ key: entityKey(namespace, name), community }));
    if (rows.length === 0) return;
    await this.writer.run((c) =>
      c.transaction(() => c.exec('UNWIND $rows AS r MATCH (e:Entity {key: r.key}) SET e.community = r.community', { rows })),
    );
  }

  async memoriesMentioning(namespace: string, entities: readonly string[]): Promise<string[]> {
    if (entities.length === 0) return [];
    const rows = await this.reader(0).run((c) =>
      c.exec('UNWIND $keys AS k MATCH (m:Memory)-[:Mentions]->(e:Entity {key: k}) WHERE m.namespace = $ns RETURN DISTINCT m.id AS id', {
        keys: entities.map((e) => entityKey(namespace, e)),
        ns: namespace,
      }),
    );
    return rows.map((r) => r.id as string);
  }

  async getMeta(key: string): Promise<string | null> {
    const rows = await this.reader(0).run((c) => c.exec('MATCH (x:Meta {key: $key}) RETURN x.value AS value', { key }));
    if (rows.length === 0) return null;
    const value = rows[0]!.value as string;
    if (value !== IN_FILE) return value;
    // A crash after the key was marked but before its first file was in place: no value yet.
    return readFile(this.metaFile(key), 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(err)));
  }

  /** Long values go to a file of their own (see META_INLINE_CHARS), replaced atomically and synced before this resolves. */
  async setMeta(key: string, value: string): Promise<void> {
    const set = 'MERGE (x:Meta {key: $key}) SET x.value = $value';
    await this.writer.run(async (c) => {
      if (value.length <= META_INLINE_CHARS) {
        await c.transaction(() => c.exec(set, { key, value }));
        await rm(this.metaFile(key), { force: true });
        return;
      }
      // The key is marked first, so a crash before the file is complete leaves the old file or none.
      await c.transaction(() => c.exec(set, { key, value: IN_FILE }));
      await writeDurably(this.metaDir, this.metaFile(key), value);
    });
  }

  private metaFile(key: string): string {
    return join(this.metaDir, createHash('sha256').update(key).digest('hex'));
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Let queued work finish before the native handles go; later work is refused.
    const drained = Promise.all([this.writer, ...this.readers].map((c) => c.run(async () => undefined).catch(() => undefined)));
    this.guard.closed = true;
    await drained;
    if (this.guard.failure) {
      // Closing would checkpoint a database Kùzu can no longer trust (measured: it aborts, or writes
      // a file whose nodes no longer read back). The handles stay referenced, so no finalizer closes
      // them; the lock and the holder file stay with this process, and the next one to open the
      // store replays the log. Measured too: the failed commit leaves Kùzu's heap damaged, and the
      // environment teardown at a normal exit frees the handles and aborts; leaving through
      // process.exit from an exit listener skips that teardown.
      abandoned.push(this.db, this.writer.conn, ...this.readers.map((r) => r.conn));
      failedHere.set(this.key, this.guard.failure);
      if (failedHere.size === 1) process.once('exit', (code) => process.exit(code));
      return;
    }
    for (const c of [this.writer, ...this.readers]) await c.conn.close();
    // The holder file goes while the lock is still ours, so it never removes the next holder's.
    dropHolder(this.holderPath);
    await this.db.close();
    openHere.delete(this.key);
  }
}
