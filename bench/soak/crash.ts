/**
 * Crash durability soak: a child process (bench/soak/crash-child.ts) works one store through the
 * public API and reports each result only after its call returned; this parent kills it with
 * SIGKILL at seeded random moments, reopens the store and checks that
 *  - every acknowledged memory is there with its content and embedding intact (else `lost`), and
 *    a remember / rememberMany cut off by the kill left all of its batch or none (else `tornBatches`),
 *  - the HNSW and full-text indexes find it: vector search with its own embedding and text search
 *    with its distinctive words put it in the top 10, acknowledged deletions are gone from the
 *    indexes, and the namespace counters equal the nodes (else `indexMismatches`),
 *  - the hub state on disk is not older than the last hub checkpoint (else `hubCheckpointsLost`).
 * A hub checkpoint is acknowledged when `await flush()` returned. The child reports the hub state
 * (event count and a hash of `state()`) after every call and at each checkpoint; per namespace, the
 * state found after reopening must be
 *  1. one the child reported at or after its last checkpoint (same events and hash), or
 *  2. a state inside a later call that completed (events between those the child reported before
 *     and after that call: the background save may run at the call's awaits), or
 *  3. with a call in flight at the kill, that call's doing (events at least the last reported).
 * Anything else (older than the checkpoint, or ahead of anything the child did) is a lost checkpoint.
 *
 * The store carries over from cycle to cycle, so damage would accumulate. Some kills land while the
 * child is still opening; after some kills ("chained") the next child opens the store first, so
 * Kùzu replays the killed writer's WAL in a process that may be killed in turn; the next
 * verification covers both cycles. A store that no longer opens (or opens but cannot be read, or
 * keeps a writer opening it for two minutes) is a reopen failure and ends the run, as does a
 * writer dying by itself; a writer's contained background failure (a hub save that threw) fails it too.
 *
 *   npm run soak:crash -- --cycles 100 [--seed 1] [--embedder glove|use-lite] [--dir <dir>] [--keep]
 *
 * Prints one progress line per cycle on stderr and the summary as the last line on stdout.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Insula } from '../../src/insula.js';
import { seededRandom } from '../../src/random.js';

export const NAMESPACES = ['soak-a', 'soak-b'] as const;
const CHILD = join(import.meta.dirname, 'crash-child.ts');
const TOP_K = 10;
/** Second look after a top-10 miss: with it the beam covers the whole store up to a few thousand memories. */
const WIDE_K = 1000;
const WRITER_OPEN_LIMIT_MS = 120_000;

/** Ordinary words the GloVe vocabulary knows (frequent, purely alphabetic entries). */
export function soakWords(): string[] {
  const vocab = readFileSync(join(import.meta.dirname, '../../native/models/glove-100d-vocab.txt'), 'utf8').split('\n');
  return vocab.slice(200, 8000).filter((w) => /^[a-z]{4,12}$/.test(w));
}

/** A number as lowercase letters: one word token for both the full-text tokenizer and GloVe. */
export function letters(n: number): string {
  let s = '';
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26);
  } while (n > 0);
  return s;
}

export interface HubMark {
  events: number;
  hash: string;
}

/** What the soak compares of a hub state: its event count and a hash of the whole public state. */
export async function hubMarks(mem: Insula): Promise<Record<string, HubMark>> {
  const out: Record<string, HubMark> = {};
  for (const ns of NAMESPACES) {
    const state = await mem.state(ns);
    out[ns] = { events: state.events, hash: createHash('sha256').update(JSON.stringify(state)).digest('hex').slice(0, 16) };
  }
  return out;
}

export const CrashSoakDefaults = {
  cycles: 100,
  seed: 1,
  embedder: 'glove' as 'glove' | 'use-lite',
  /** A kill lands this long after the child reported ready (uniform). */
  minRunMs: 50,
  maxRunMs: 1500,
  /** Share of kills aimed at the child's start-up (the last 40% of it, where the store opens) instead of its writing. */
  earlyKills: 0.15,
  /** Share of kills after which the next child, not the verifier, opens the store first. */
  chained: 0.2,
  /** Older acknowledged memories whose index entries are checked per verification (all at the end). */
  sample: 40,
};
export type CrashSoakOptions = Partial<typeof CrashSoakDefaults> & { dir?: string; keep?: boolean; log?: (line: string) => void };

export interface CrashSoakReport {
  ok: boolean;
  cycles: number;
  acked: number;
  lost: number;
  reopenFailures: number;
  /** Writers that died by themselves (an error, a native crash) instead of by the kill. */
  writerFailures: number;
  indexMismatches: number;
  /** Top-10 vector misses found by the wide search: approximate-search recall, not lost entries. */
  vectorRecallMisses: number;
  hubCheckpointsLost: number;
  hubCheckpoints: number;
  /** Deferred writes that failed in a writer (contained by its background queue, so silent to the caller). */
  backgroundErrors: number;
  forgets: number;
  deletedResurfaced: number;
  /** remember / rememberMany calls cut off by a kill, and those found partly stored (must be 0). */
  batchesInFlight: number;
  tornBatches: number;
  verifications: number;
  earlyKills: number;
  /** Kills that landed before the writer had opened the store (some early kills come after it). */
  killsBeforeReady: number;
  chainedKills: number;
  walLeftByKill: number;
  memoriesInStore: number;
  seconds: number;
  /** The first few failures, described. */
  problems: string[];
  dir?: string;
}

interface Acked {
  namespace: string;
  content: string;
}

/** Per namespace: the hub states one writer reported, the last acknowledged one, and whether an operation was in flight. */
export class HubLedger {
  private states: HubMark[] = [];
  private acked = 0;
  inFlight = false;

  constructor(start: HubMark) {
    this.states = [start];
  }

  report(mark: HubMark, checkpoint: boolean): void {
    this.states.push(mark);
    if (checkpoint) this.acked = this.states.length - 1;
  }

  /** How a state found on disk relates to the reported ones, for problem reports. */
  describe(found: HubMark): string {
    const seen = this.states.findLastIndex((s) => s.hash === found.hash && s.events === found.events);
    const near = this.states.map((s, i) => `#${i}:${s.events}/${s.hash.slice(0, 6)}`).filter((_, i) => Math.abs(this.states[i]!.events - found.events) <= 3 || i === this.acked);
    return (
      `found ${found.events}/${found.hash.slice(0, 6)} (${seen < 0 ? 'never reported' : `reported as #${seen}`}); checkpoint #${this.acked}; ` +
      `reported near it: ${near.join(' ')}; ${this.states.length} reported, ${this.inFlight ? 'a call in flight' : 'none in flight'}`
    );
  }

  /** Whether a state found on disk keeps the guarantee (see the file comment). */
  admits(found: HubMark): boolean {
    const reported = this.states.findLastIndex((s) => s.hash === found.hash && s.events === found.events);
    if (reported >= 0) return reported >= this.acked;
    // A state inside a call that completed: saves run at the call's awaits (between the memories of
    // a batch, between recall's somatic reading and its confidence check).
    for (let i = this.acked; i + 1 < this.states.length; i++) {
      if (this.states[i]!.events <= found.events && found.events <= this.states[i + 1]!.events) return true;
    }
    return this.inFlight && found.events >= this.states[this.states.length - 1]!.events;
  }
}

export async function runCrashSoak(options: CrashSoakOptions = {}): Promise<CrashSoakReport> {
  const o = { ...CrashSoakDefaults, ...options };
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'insula-crash-'));
  const path = join(dir, 'soak.kuzu');
  // Cycle plans come from their own stream, so they do not depend on how much each writer got done.
  const rand = seededRandom(o.seed);
  const sampling = seededRandom(o.seed + 1);
  const embedder = { kind: o.embedder, threads: 1 } as const;

  const acked = new Map<string, Acked>();
  const deleted = new Map<string, Acked>();
  let ledgers: Record<string, HubLedger> | null = null;
  const report: CrashSoakReport = {
    ok: false,
    cycles: 0,
    acked: 0,
    lost: 0,
    reopenFailures: 0,
    writerFailures: 0,
    indexMismatches: 0,
    vectorRecallMisses: 0,
    hubCheckpointsLost: 0,
    hubCheckpoints: 0,
    backgroundErrors: 0,
    forgets: 0,
    deletedResurfaced: 0,
    batchesInFlight: 0,
    tornBatches: 0,
    verifications: 0,
    earlyKills: 0,
    killsBeforeReady: 0,
    chainedKills: 0,
    walLeftByKill: 0,
    memoriesInStore: 0,
    seconds: 0,
    problems: [],
  };
  const problem = (text: string) => {
    if (report.problems.length < 20) report.problems.push(text);
    log(`  problem: ${text}`);
  };
  /** Checks a hub state found on disk against what the last writer acknowledged, then starts a new ledger from it. */
  const settleHub = (found: Record<string, HubMark>, where: string) => {
    for (const ns of NAMESPACES) {
      if (ledgers && !ledgers[ns]!.admits(found[ns]!)) {
        report.hubCheckpointsLost++;
        problem(`${where}: hub state of ${ns} on disk is older than its last checkpoint or was never reported: ${ledgers[ns]!.describe(found[ns]!)}; writer's last lines: ${tail.join(' ')}`);
      }
    }
    ledgers = Object.fromEntries(NAMESPACES.map((ns) => [ns, new HubLedger(found[ns]!)]));
  };

  let readyMs = 1500;
  /** The writer's last lines, for problem reports. */
  const tail: string[] = [];
  let thisCycleNew: string[] = [];
  /** Contents of batches a kill cut off since the last check: each must be stored whole or not at all. */
  let cutBatches: string[][] = [];
  let stopped = false;
  for (let cycle = 1; cycle <= o.cycles; cycle++) {
    const early = rand() < o.earlyKills;
    const chained = cycle < o.cycles && rand() < o.chained;
    const runMs = early ? (0.6 + 0.4 * rand()) * readyMs : o.minRunMs + rand() * (o.maxRunMs - o.minRunMs);
    const seed = Math.floor(rand() * 2 ** 31);
    if (early) report.earlyKills++;

    // The writer: spawn, follow its lines, kill it.
    const spawnedAt = Date.now();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CHILD, '--path', path, '--seed', String(seed), '--tag', `zq${letters(cycle).padStart(3, 'a')}`, '--embedder', o.embedder],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('close', (code, signal) => done({ code, signal })));
    let killTimer: NodeJS.Timeout | undefined;
    const kill = () => child.kill('SIGKILL');
    if (early) killTimer = setTimeout(kill, runMs);
    let ready = false;
    // A writer stuck opening the store (a recovery that never ends) is a reopen failure, not a wait forever.
    let hung = false;
    const hangTimer = setTimeout(() => ((hung = true), kill()), WRITER_OPEN_LIMIT_MS);
    const forgetting = new Set<string>();
    let batch: string[] = [];
    createInterface({ input: child.stdout }).on('line', (text) => {
      tail.push(text.length > 200 ? `${text.slice(0, 200)}…` : text);
      if (tail.length > 8) tail.shift();
      const line = JSON.parse(text) as {
        t: string;
        hub?: Record<string, HubMark>;
        memories?: Array<Acked & { id: string }>;
        batch?: string[];
        id?: string;
        where?: string;
        message?: string;
      };
      switch (line.t) {
        case 'ready':
          ready = true;
          clearTimeout(hangTimer);
          readyMs = Date.now() - spawnedAt;
          settleHub(line.hub!, `cycle ${cycle} writer start`);
          if (!early) killTimer = setTimeout(kill, runMs);
          break;
        case 'begin':
          for (const l of Object.values(ledgers!)) l.inFlight = true;
          batch = line.batch!;
          break;
        case 'acked':
          batch = [];
          for (const m of line.memories!) {
            acked.set(m.id, { namespace: m.namespace, content: m.content });
            thisCycleNew.push(m.id);
          }
          report.acked += line.memories!.length;
          break;
        case 'background-error':
          report.backgroundErrors++;
          problem(`cycle ${cycle}: the writer's background ${line.where} failed: ${line.message}`);
          break;
        case 'forgetting':
          forgetting.add(line.id!);
          break;
        case 'forgot':
          forgetting.delete(line.id!);
          deleted.set(line.id!, acked.get(line.id!)!);
          acked.delete(line.id!);
          report.forgets++;
          break;
        case 'hub':
        case 'checkpoint':
          for (const ns of NAMESPACES) {
            ledgers![ns]!.report(line.hub![ns]!, line.t === 'checkpoint');
            ledgers![ns]!.inFlight = false;
          }
          if (line.t === 'checkpoint') report.hubCheckpoints++;
          break;
      }
    });
    const end = await exited;
    clearTimeout(killTimer);
    clearTimeout(hangTimer);
    // A deletion in flight at the kill may or may not have happened: that memory is no longer owed.
    for (const id of forgetting) acked.delete(id);
    report.cycles = cycle;
    if (end.signal !== 'SIGKILL' || hung) {
      const why = hung ? `did not open the store within ${WRITER_OPEN_LIMIT_MS / 1000} s` : `died by itself (${end.signal ?? `exit ${end.code}`})`;
      if (ready) report.writerFailures++;
      else report.reopenFailures++;
      problem(`cycle ${cycle}: the writer ${why}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
      stopped = true;
      break;
    }
    if (!ready) report.killsBeforeReady++;
    if (batch.length > 0) {
      cutBatches.push(batch);
      report.batchesInFlight++;
    }
    if (existsSync(`${path}.wal`)) report.walLeftByKill++;
    const how = !ready
      ? `killed ${Date.now() - spawnedAt} ms after start, before it had opened the store`
      : early
        ? `killed ${Date.now() - spawnedAt} ms after start, soon after it opened the store`
        : `killed ${Math.round(runMs)} ms after it opened the store`;
    if (chained) {
      report.chainedKills++;
      log(`cycle ${cycle}: ${how}; the next writer opens the store first`);
      continue;
    }

    // The verifier: reopen, compare everything acknowledged, check the indexes.
    const t0 = Date.now();
    let mem: Insula;
    try {
      mem = await Insula.open({ path, embedder });
    } catch (err) {
      report.reopenFailures++;
      problem(`cycle ${cycle}: reopening failed: ${(err as Error).message}`);
      stopped = true;
      break;
    }
    try {
      const before = { lost: report.lost, index: report.indexMismatches, hub: report.hubCheckpointsLost };
      try {
        await verify(mem, cycle === o.cycles);
        settleHub(await hubMarks(mem), `cycle ${cycle} verification`);
      } catch (err) {
        // The store opened but cannot be read back: as bad as not opening.
        report.reopenFailures++;
        problem(`cycle ${cycle}: reading the reopened store failed: ${(err as Error).message}`);
        stopped = true;
        break;
      }
      report.verifications++;
      log(
        `cycle ${cycle}: ${how}; ${acked.size} memories owed, ` +
          `lost ${report.lost - before.lost}, index mismatches ${report.indexMismatches - before.index}, hub lost ${report.hubCheckpointsLost - before.hub} ` +
          `(verified in ${Date.now() - t0} ms)`,
      );
    } finally {
      await mem.close();
    }
    thisCycleNew = [];
  }

  /** Checks acknowledged memories and deletions; index checks for this cycle's new memories and a sample (all when `full`). */
  async function verify(mem: Insula, full: boolean): Promise<void> {
    const store = mem.store;
    const byNs = new Map<string, string[]>();
    for (const [id, m] of acked) byNs.set(m.namespace, [...(byNs.get(m.namespace) ?? []), id]);
    const present = new Set<string>();
    for (const [ns, ids] of byNs) {
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = ids.slice(i, i + 500);
        const found = new Map((await store.getMemories(ns, chunk)).map((m) => [m.id, m]));
        const vectors = await store.getEmbeddings(ns, chunk);
        const expected = await mem.embedder.embed(chunk.map((id) => acked.get(id)!.content));
        for (const [j, id] of chunk.entries()) {
          const m = found.get(id);
          const v = vectors.get(id);
          if (!m) problem(`memory ${id} (${ns}) acknowledged but missing`);
          else if (m.content !== acked.get(id)!.content) problem(`memory ${id} content changed: ${JSON.stringify(m.content)}`);
          else if (!v || cosine(v, expected[j]!) < 0.9999) problem(`memory ${id} embedding damaged`);
          else {
            present.add(id);
            continue;
          }
          report.lost++;
        }
      }
    }
    for (const [id, m] of deleted) {
      if ((await store.getMemories(m.namespace, [id])).length > 0) {
        report.deletedResurfaced++;
        problem(`memory ${id} was forgotten (acknowledged) but is back`);
      }
    }

    const fresh = new Set(thisCycleNew);
    const older = [...present].filter((id) => !fresh.has(id));
    const sample = full ? older : shuffle(older, sampling).slice(0, o.sample);
    const check = [...fresh].filter((id) => present.has(id)).concat(sample);
    const vectors = await mem.embedder.embed(check.map((id) => acked.get(id)!.content));
    for (const [i, id] of check.entries()) {
      const { namespace, content } = acked.get(id)!;
      let inVector = (await store.vectorSearch(namespace, vectors[i]!, TOP_K)).some((r) => r.id === id);
      if (!inVector) {
        // HNSW is approximate: Kùzu's index misses a few exact matches at the default beam in a store
        // that was never killed too. A far wider search tells a recall miss from a missing entry.
        inVector = (await store.vectorSearch(namespace, vectors[i]!, WIDE_K)).some((r) => r.id === id);
        if (inVector) report.vectorRecallMisses++;
      }
      const inText = (await store.textSearch(namespace, content.split(' ').slice(0, 3).join(' '), TOP_K)).some((r) => r.id === id);
      if (!inVector || !inText) {
        report.indexMismatches++;
        problem(`memory ${id} (${namespace}) not found by ${[inVector ? '' : 'vector', inText ? '' : 'full-text'].filter(Boolean).join(' and ')} search`);
      }
    }
    // Deleted memories must be gone from the full-text index too (a dangling entry is a mismatch).
    for (const [id, m] of deleted) {
      if ((await store.textSearch(m.namespace, m.content.split(' ')[0]!, TOP_K)).some((r) => r.id === id)) {
        report.indexMismatches++;
        problem(`forgotten memory ${id} still in the full-text index`);
      }
    }
    let total = 0;
    const contents = new Set<string>();
    for (const ns of NAMESPACES) {
      let n = 0;
      for (let after: string | null = null; ; ) {
        const page = await store.scanMemories(ns, after, 1000);
        if (page.length === 0) break;
        n += page.length;
        for (const m of page) contents.add(m.content);
        after = page[page.length - 1]!.id;
      }
      const counted = await store.countMemories(ns);
      if (counted !== n) {
        report.indexMismatches++;
        problem(`namespace ${ns}: counter says ${counted}, the store holds ${n}`);
      }
      total += n;
    }
    report.memoriesInStore = total;
    for (const cut of cutBatches) {
      const stored = cut.filter((c) => contents.has(c)).length;
      if (stored > 0 && stored < cut.length) {
        report.tornBatches++;
        problem(`a batch of ${cut.length} cut off by a kill is partly stored (${stored}): ${cut[0]}`);
      }
    }
    cutBatches = [];
  }

  report.ok =
    !stopped &&
    report.lost === 0 &&
    report.reopenFailures === 0 &&
    report.writerFailures === 0 &&
    report.indexMismatches === 0 &&
    report.hubCheckpointsLost === 0 &&
    report.deletedResurfaced === 0 &&
    report.tornBatches === 0 &&
    report.backgroundErrors === 0;
  report.seconds = Math.round((Date.now() - started) / 100) / 10;
  if (report.ok && !options.keep && !options.dir) rmSync(dir, { recursive: true, force: true });
  else report.dir = dir;
  return report;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

function shuffle<T>(xs: readonly T[], rand: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      cycles: { type: 'string' },
      seed: { type: 'string' },
      embedder: { type: 'string' },
      dir: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  if (values.embedder && values.embedder !== 'glove' && values.embedder !== 'use-lite') throw new Error('--embedder: glove or use-lite');
  const result = await runCrashSoak({
    ...(values.cycles ? { cycles: Number(values.cycles) } : {}),
    ...(values.seed ? { seed: Number(values.seed) } : {}),
    ...(values.embedder ? { embedder: values.embedder as 'glove' | 'use-lite' } : {}),
    ...(values.dir ? { dir: values.dir } : {}),
    keep: values.keep,
    log: (line) => console.error(line),
  });
  console.log(JSON.stringify(result));
  process.exitCode = result.ok ? 0 : 1;
}
