/**
 * Concurrency in one process: a seeded random schedule of remember / rememberMany / recall (with
 * sessions) / reinforce / feedback / signal / metric / consolidate calls and host-hook turns
 * (beforeInbound then beforeOutbound per session) is fired at once against one Insula, then
 * replayed one call at a time (each call's queued work drained before the next) on a fresh store.
 * What must not depend on the interleaving is compared exactly; see docs/reliability.md,
 * "Concurrency", for what is compared and why the rest legitimately depends on order.
 *
 *   npm run soak:concurrency -- --ops 3000
 *
 * Prints one JSON line last; exits 1 on any mismatch, rejected call or contained failure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { createGloveEmbedder } from '../../native/glove/embedder.js';
import { InsulaHooks } from '../../src/hooks/hooks.js';
import { detectAffect } from '../../src/hooks/turn-appraisal.js';
import { SIGNAL_SOURCES } from '../../src/hub/signals/signal.js';
import { Insula } from '../../src/insula.js';
import { KuzuGraphStore } from '../../src/memory/kuzu-store.js';
import type { MemoryInput } from '../../src/memory/schema.js';
import { seededRandom } from '../../src/random.js';
import { sentence } from '../corpus.js';

export interface ConcurrencyOptions {
  seed: number;
  /** Calls in the schedule (a host turn counts as one call: its two hooks). */
  ops: number;
  /** Tenants; each has a fixed, a growing and a hooks namespace. */
  tenants: number;
  /** Memories seeded into each fixed namespace before the schedule runs. */
  seeded: number;
  sessions: number;
  /** The store's in-process cache capacity; a small one sends reads to Kùzu. */
  cacheCapacity?: number;
}

const DOMAINS = ['alpha', 'beta', 'gamma'] as const;
/**
 * One valence per domain for remembered memories: the hub's valence tracker scores each domain's
 * valence sequence, and a constant sequence never raises an anomaly event in any order.
 */
const DOMAIN_VALENCE: Record<string, number> = { alpha: 0.4, beta: -0.3, gamma: 0 };
const STRATEGIES = ['retry', 'rollback', 'ask'];
const TOOLS = ['grep', 'shell'];
/** A per-memory bound on summed positive (and negative) importance changes: below 0.5 no order can clamp at 0 or 1. */
const IMPORTANCE_BUDGET = 0.45;

type Op =
  | { kind: 'remember'; input: MemoryInput }
  | { kind: 'rememberMany'; inputs: MemoryInput[] }
  | { kind: 'recall'; ns: string; query: string; session: string; k: number; domain?: string; hubDomain: string }
  | { kind: 'reinforce'; ns: string; seeds: number[]; outcome: number }
  | { kind: 'feedback'; ns: string; domain: string; strategy: string; success: boolean; seeds: number[]; situation: string }
  | { kind: 'signal'; ns: string; input: { source: (typeof SIGNAL_SOURCES)[number]; domain: string; valence: number; arousal: number } }
  | { kind: 'metric'; ns: string; input: { metric: string; value: number; domain: string } }
  | { kind: 'consolidate' }
  | {
      kind: 'turn';
      ns: string;
      session: string;
      domain: string;
      userText: string;
      assistantText: string;
      outcome?: 'success' | 'failure';
      strategy?: string;
      toolEvents: Array<{ name: string; ok: boolean; durationMs: number }>;
    };

interface Workload {
  seeds: Map<string, MemoryInput[]>;
  ops: Op[];
  /** Expected importance of each seeded memory (namespace → index → value). */
  importance: Map<string, number[]>;
}

const fixedNs = (t: number) => `t${t}-fixed`;
const growNs = (t: number) => `t${t}-grow`;
const hooksNs = (t: number) => `t${t}-hooks`;

/**
 * Host questions and verdicts carry no affect words, so every stored exchange has valence 0 and
 * no hub signal depends on which exchange is stored first (see DOMAIN_VALENCE).
 */
function question(r: () => number, n: number): string {
  for (;;) {
    const text = `Question ${n}: how should we handle ${sentence(r).toLowerCase()}`;
    if (detectAffect(text).arousal === 0) return text;
  }
}

export function workload(o: ConcurrencyOptions): Workload {
  const r = seededRandom(o.seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  let n = 0;
  const content = () => `${sentence(r)} [${n++}]`;
  const seeds = new Map<string, MemoryInput[]>();
  const importance = new Map<string, number[]>();
  const budget = new Map<string, Array<{ up: number; down: number }>>();
  for (let t = 0; t < o.tenants; t++) {
    const ns = fixedNs(t);
    seeds.set(
      ns,
      Array.from({ length: o.seeded }, (_, i) => ({ namespace: ns, content: content(), domain: DOMAINS[i % 3]!, valence: DOMAIN_VALENCE[DOMAINS[i % 3]!], importance: 0.5 })),
    );
    importance.set(ns, Array.from({ length: o.seeded }, () => 0.5));
    budget.set(ns, Array.from({ length: o.seeded }, () => ({ up: 0, down: 0 })));
  }
  /** Seeded memories that can take `delta` more without any order reaching a bound. */
  const within = (ns: string, count: number, delta: number): number[] => {
    const chosen = new Set<number>();
    for (let tries = 0; tries < 4 * count && chosen.size < count; tries++) {
      const i = Math.floor(r() * o.seeded);
      const b = budget.get(ns)![i]!;
      if ((delta > 0 ? b.up : b.down) + Math.abs(delta) <= IMPORTANCE_BUDGET) chosen.add(i);
    }
    for (const i of chosen) {
      const b = budget.get(ns)![i]!;
      if (delta > 0) b.up += delta;
      else b.down -= delta;
      importance.get(ns)![i] = importance.get(ns)![i]! + delta;
    }
    return [...chosen];
  };
  const lastTurnAnswered = new Set<string>();
  const ops: Op[] = [];
  const consolidations = Math.max(1, Math.round(o.ops / 2000));
  for (let i = 0; i < o.ops; i++) {
    const t = Math.floor(r() * o.tenants);
    const session = `s${Math.floor(r() * o.sessions)}`;
    const domain = pick(DOMAINS);
    const x = r();
    if (i % Math.ceil(o.ops / consolidations) === Math.floor(o.ops / consolidations / 2)) ops.push({ kind: 'consolidate' });
    else if (x < 0.14) ops.push({ kind: 'remember', input: { namespace: growNs(t), content: content(), session, domain, valence: DOMAIN_VALENCE[domain], importance: 0.5 } });
    else if (x < 0.2) {
      const inputs = Array.from({ length: 2 + Math.floor(r() * 3) }, () => {
        const d = pick(DOMAINS);
        return { namespace: growNs(t), content: content(), session: `s${Math.floor(r() * o.sessions)}`, domain: d, valence: DOMAIN_VALENCE[d], importance: 0.5 };
      });
      ops.push({ kind: 'rememberMany', inputs });
    } else if (x < 0.32) ops.push({ kind: 'recall', ns: growNs(t), query: sentence(r), session, k: 5, hubDomain: domain });
    else if (x < 0.44) {
      // k covers the namespace, so the returned set (not its order) is the same in any interleaving.
      const filtered = r() < 0.5;
      ops.push({ kind: 'recall', ns: fixedNs(t), query: sentence(r), session, k: o.seeded, ...(filtered ? { domain } : {}), hubDomain: domain });
    } else if (x < 0.5) {
      const outcome = r() < 0.5 ? 0.25 : -0.25;
      const chosen = within(fixedNs(t), 2 + Math.floor(r() * 2), 0.05 * outcome);
      if (chosen.length > 0) ops.push({ kind: 'reinforce', ns: fixedNs(t), seeds: chosen, outcome });
    } else if (x < 0.56) {
      const success = r() < 0.6;
      ops.push({ kind: 'feedback', ns: fixedNs(t), domain, strategy: pick(STRATEGIES), success, seeds: within(fixedNs(t), 1 + Math.floor(r() * 2), success ? 0.05 : -0.05), situation: sentence(r) });
    } else if (x < 0.68) {
      const ns = r() < 0.5 ? fixedNs(t) : growNs(t);
      ops.push({ kind: 'signal', ns, input: { source: pick(SIGNAL_SOURCES), domain, valence: 2 * r() - 1, arousal: r() } });
    } else if (x < 0.74) {
      ops.push({ kind: 'metric', ns: r() < 0.5 ? fixedNs(t) : growNs(t), input: { metric: pick(['latency', 'tokens', 'errors']), value: Math.round(r() * 1000), domain } });
    } else {
      const ns = hooksNs(t);
      const key = `${ns}/${session}`;
      // A verdict on the previous answer, in words with no affect (see `question`).
      const verdict = lastTurnAnswered.has(key) && r() < 0.5 ? (r() < 0.5 ? 'Checked again: it is right. ' : 'Hmm, that is not what i wanted. ') : '';
      const y = r();
      lastTurnAnswered.add(key);
      ops.push({
        kind: 'turn',
        ns,
        session,
        domain,
        userText: verdict + question(r, i),
        assistantText: `Suggested plan ${i}: ${sentence(r)}`,
        ...(y < 0.3 ? { outcome: r() < 0.6 ? ('success' as const) : ('failure' as const), strategy: pick(STRATEGIES) } : {}),
        toolEvents: y > 0.7 ? TOOLS.filter(() => r() < 0.7).map((name) => ({ name, ok: r() < 0.7, durationMs: Math.round(20 + r() * 200) })) : [],
      });
    }
  }
  return { seeds, ops, importance };
}

/** What one run leaves behind, keyed by content so two stores can be compared. */
interface Observation {
  /** namespace → content → memory facts. */
  memories: Map<string, Map<string, { accessCount: number; importance: number; accessRecent: number }>>;
  /** namespace → the hub facts that must not depend on order. */
  hub: Map<string, unknown>;
  /** namespace → content → times a recall (recording accesses) returned it. */
  returned: Map<string, Map<string, number>>;
  consolidation: { forgotten: number; merged: number };
  rejected: string[];
  backgroundFailures: number;
  hookIncidents: number;
  maxBackgroundPending: number;
  maxHookPending: number;
  /** Hub snapshots after a close and reopen equal the ones before (namespaces that differ). */
  persistedHubMismatch: string[];
  seconds: number;
}

interface Run {
  mem: Insula;
  hooks: InsulaHooks;
  ids: Map<string, string[]>;
  contentOf: Map<string, string>;
  /** namespace → id → times a recall returned it. */
  returned: Map<string, Map<string, number>>;
  consolidation: { forgotten: number; merged: number };
}

async function open(dir: string, cacheCapacity: number | undefined): Promise<Insula> {
  const embedder = await createGloveEmbedder({ threads: 1 });
  const store = await KuzuGraphStore.open({ path: join(dir, 'db.kuzu'), dims: embedder.dims, bufferPoolBytes: 256 * 1024 * 1024, ...(cacheCapacity === undefined ? {} : { cacheCapacity }) });
  return Insula.open({ store, embedder });
}

/** Counts what a recall (which records accesses) returned, by id; `observe` turns ids into contents. */
function count(run: Run, ns: string, ids: readonly string[]): void {
  const byId = run.returned.get(ns) ?? new Map<string, number>();
  run.returned.set(ns, byId);
  for (const id of ids) byId.set(id, (byId.get(id) ?? 0) + 1);
}

async function execute(run: Run, op: Op): Promise<void> {
  const { mem, hooks } = run;
  const idOf = (ns: string, i: number) => run.ids.get(ns)![i]!;
  switch (op.kind) {
    case 'remember': {
      const { id } = await mem.remember(op.input);
      run.contentOf.set(id, op.input.content);
      return;
    }
    case 'rememberMany': {
      const stored = await mem.rememberMany(op.inputs);
      stored.forEach((s, i) => run.contentOf.set(s.id, op.inputs[i]!.content));
      return;
    }
    case 'recall': {
      const results = await mem.recall(op.query, { namespace: op.ns, k: op.k, session: op.session, hubDomain: op.hubDomain, ...(op.domain ? { domain: op.domain } : {}) });
      count(run, op.ns, results.map((x) => x.id));
      return;
    }
    case 'reinforce':
      return mem.reinforce({ namespace: op.ns, ids: op.seeds.map((i) => idOf(op.ns, i)), outcome: op.outcome });
    case 'feedback':
      await mem.feedback({
        namespace: op.ns,
        domain: op.domain,
        strategy: op.strategy,
        success: op.success,
        situation: op.situation,
        ...(op.seeds.length > 0 ? { memoryIds: op.seeds.map((i) => idOf(op.ns, i)) } : {}),
      });
      return;
    case 'signal':
      return mem.signal(op.input, op.ns);
    case 'metric':
      await mem.metric(op.input, op.ns);
      return;
    case 'consolidate':
      for (const report of await mem.consolidate()) {
        run.consolidation.forgotten += report.forgotten;
        run.consolidation.merged += report.merged;
      }
      return;
    case 'turn': {
      const inbound = await hooks.beforeInbound({ namespace: op.ns, sessionId: op.session, userText: op.userText, domain: op.domain });
      if (inbound.degraded) throw new Error(`beforeInbound degraded: ${inbound.error}`);
      count(run, op.ns, inbound.memories.map((m) => m.id));
      const receipt = await hooks.beforeOutbound({
        namespace: op.ns,
        sessionId: op.session,
        userText: op.userText,
        assistantText: op.assistantText,
        domain: op.domain,
        toolEvents: op.toolEvents,
        ...(op.outcome ? { outcome: op.outcome, strategy: op.strategy } : {}),
      });
      if (!receipt.queued) throw new Error(`beforeOutbound not queued: ${receipt.error}`);
      return;
    }
  }
}

/** Waits until neither the hooks' queue nor the Insula's background queue holds work. */
async function drain(run: Run): Promise<void> {
  do {
    await run.hooks.flush();
    await run.mem.flush();
  } while (run.hooks.health().pending > 0 || run.mem.backgroundStatus.pending > 0);
}

/** Hub facts that depend only on which calls ran, not on their order. */
function hubFacts(mem: Insula, ns: string): unknown {
  const snap = JSON.parse(mem.hub!.snapshot(ns)) as {
    events: number;
    neuro: { rng: number };
    deviations: Array<[string, unknown]>;
    domains: Array<[string, { events: number; overall: { total: number }; arms: Array<[string, { total: number }]> }]>;
  };
  return {
    events: snap.events,
    // The noise generator draws four numbers per event: its state depends on the event count only.
    rng: snap.neuro.rng,
    sources: snap.deviations.map(([s]) => s).sort(),
    domains: Object.fromEntries(
      snap.domains
        .map(([name, d]) => [name, { events: d.events, outcomes: d.overall.total, strategies: Object.fromEntries(d.arms.map(([a, arm]) => [a, arm.total]).sort()) }] as const)
        .sort(([a], [b]) => a.localeCompare(b)),
    ),
  };
}

async function observe(run: Run, namespaces: string[], started: number, extra: Pick<Observation, 'rejected' | 'maxBackgroundPending' | 'maxHookPending'>, dir: string, cacheCapacity: number | undefined): Promise<Observation> {
  const { mem } = run;
  const memories = new Map<string, Map<string, { accessCount: number; importance: number; accessRecent: number }>>();
  for (const ns of namespaces) {
    const byContent = new Map<string, { accessCount: number; importance: number; accessRecent: number }>();
    for (let after: string | null = null; ; ) {
      const page = await mem.store.scanMemories(ns, after, 500);
      if (page.length === 0) break;
      for (const m of page) {
        run.contentOf.set(m.id, m.content);
        byContent.set(m.content, { accessCount: m.access.count, importance: m.importance, accessRecent: m.access.recent.length });
      }
      after = page[page.length - 1]!.id;
    }
    memories.set(ns, byContent);
  }
  const returned = new Map(
    [...run.returned].map(([ns, byId]) => [ns, new Map([...byId].map(([id, n]) => [run.contentOf.get(id) ?? `deleted ${id}`, n]))] as const),
  );
  const hub = new Map(namespaces.map((ns) => [ns, hubFacts(mem, ns)]));
  const seconds = (performance.now() - started) / 1000;
  const snapshots = new Map(namespaces.map((ns) => [ns, mem.hub!.snapshot(ns)]));
  const status = mem.backgroundStatus;
  const incidents = run.hooks.health().incidents;
  await run.hooks.close();
  await mem.close();
  // What was acknowledged must be what a reopened store holds.
  const reopened = await open(dir, cacheCapacity);
  const persistedHubMismatch: string[] = [];
  for (const ns of namespaces) {
    await reopened.state(ns);
    if (reopened.hub!.snapshot(ns) !== snapshots.get(ns)) persistedHubMismatch.push(ns);
  }
  await reopened.close();
  return { memories, hub, returned, consolidation: run.consolidation, backgroundFailures: status.failures, hookIncidents: incidents, persistedHubMismatch, seconds, ...extra };
}

async function runOnce(w: Workload, o: ConcurrencyOptions, dir: string, concurrent: boolean): Promise<Observation> {
  const mem = await open(dir, o.cacheCapacity);
  // Generous limits: this run measures consistency, not latency or load shedding; a timed-out turn
  // or a full queue degrades by design (the fail-open tests cover both).
  const hooks = new InsulaHooks(mem, { timeoutMs: 60_000, maxQueued: Math.max(1000, 2 * o.ops) });
  const run: Run = { mem, hooks, ids: new Map(), contentOf: new Map(), returned: new Map(), consolidation: { forgotten: 0, merged: 0 } };
  for (const [ns, inputs] of w.seeds) {
    const stored = await mem.rememberMany(inputs);
    run.ids.set(ns, stored.map((s) => s.id));
    stored.forEach((s, i) => run.contentOf.set(s.id, inputs[i]!.content));
  }
  await drain(run);
  const rejected: string[] = [];
  let maxBackgroundPending = 0;
  let maxHookPending = 0;
  const sample = () => {
    maxBackgroundPending = Math.max(maxBackgroundPending, mem.backgroundStatus.pending);
    maxHookPending = Math.max(maxHookPending, hooks.health().pending);
  };
  const started = performance.now();
  if (concurrent) {
    const timer = setInterval(sample, 5);
    const sessionTails = new Map<string, Promise<void>>();
    const calls = w.ops.map((op, i) => {
      const call = () => execute(run, op).catch((err: unknown) => void rejected.push(`op ${i} (${op.kind}): ${err instanceof Error ? err.message : String(err)}`));
      // A host runs one session's turns in order; sessions and all other calls overlap freely.
      if (op.kind !== 'turn') return call();
      const key = `${op.ns}/${op.session}`;
      const tail = (sessionTails.get(key) ?? Promise.resolve()).then(call);
      sessionTails.set(key, tail);
      return tail;
    });
    await Promise.all(calls);
    await drain(run);
    clearInterval(timer);
    sample();
  } else {
    for (const [i, op] of w.ops.entries()) {
      await execute(run, op).catch((err: unknown) => void rejected.push(`op ${i} (${op.kind}): ${err instanceof Error ? err.message : String(err)}`));
      await drain(run);
      sample();
    }
  }
  const namespaces = [...Array(o.tenants).keys()].flatMap((t) => [fixedNs(t), growNs(t), hooksNs(t)]);
  return observe(run, namespaces, started, { rejected, maxBackgroundPending, maxHookPending }, dir, o.cacheCapacity);
}

export interface ConcurrencyReport {
  ops: number;
  calls: Record<string, number>;
  memories: number;
  concurrentSeconds: number;
  replaySeconds: number;
  /** Differences between the concurrent run, its own bookkeeping and the sequential replay; empty when consistent. */
  mismatches: string[];
  rejected: string[];
  backgroundFailures: number;
  hookIncidents: number;
  maxBackgroundPending: number;
  maxHookPending: number;
}

/** Runs the schedule concurrently and sequentially on fresh stores under a temp directory, and compares. */
export async function runConcurrency(o: ConcurrencyOptions): Promise<ConcurrencyReport> {
  const w = workload(o);
  const root = mkdtempSync(join(tmpdir(), 'insula-soak-concurrency-'));
  try {
    const concurrent = await runOnce(w, o, mkdtempSync(join(root, 'concurrent-')), true);
    const replay = await runOnce(w, o, mkdtempSync(join(root, 'replay-')), false);
    const mismatches: string[] = [];
    const same = (what: string, a: unknown, b: unknown) => {
      const [ja, jb] = [JSON.stringify(a), JSON.stringify(b)];
      if (ja !== jb) mismatches.push(`${what}: concurrent ${ja.slice(0, 300)} vs replay ${jb.slice(0, 300)}`);
    };
    for (const [ns, byContent] of concurrent.memories) {
      const other = replay.memories.get(ns)!;
      same(`${ns} contents`, [...byContent.keys()].sort(), [...other.keys()].sort());
      for (const [label, obs] of [
        ['concurrent', concurrent],
        ['replay', replay],
      ] as const) {
        // No lost access: every memory's count is its creation plus each recall that returned it.
        const returned = obs.returned.get(ns) ?? new Map<string, number>();
        for (const [c, m] of obs.memories.get(ns)!) {
          if (m.accessCount !== 1 + (returned.get(c) ?? 0)) mismatches.push(`${label} ${ns}: access count ${m.accessCount} for a memory returned ${returned.get(c) ?? 0} times`);
          if (m.accessRecent > 8) mismatches.push(`${label} ${ns}: ${m.accessRecent} recent accesses kept`);
        }
      }
      if (ns.endsWith('-fixed')) {
        // Same memories, same calls: per memory, the same accesses and the same importance (no update lost to a race).
        const expected = w.importance.get(ns)!;
        const seeds = w.seeds.get(ns)!;
        for (const [i, input] of seeds.entries()) {
          const a = byContent.get(input.content);
          const b = other.get(input.content);
          if (!a || !b) continue;
          same(`${ns} seeded ${i} access count`, a.accessCount, b.accessCount);
          for (const [label, m] of [
            ['concurrent', a],
            ['replay', b],
          ] as const) {
            if (Math.abs(m.importance - expected[i]!) > 1e-9) mismatches.push(`${label} ${ns} seeded ${i}: importance ${m.importance}, expected ${expected[i]}`);
          }
        }
      }
    }
    for (const [ns, facts] of concurrent.hub) same(`${ns} hub`, facts, replay.hub.get(ns));
    same('consolidation forgot / merged', concurrent.consolidation, replay.consolidation);
    for (const [label, obs] of [
      ['concurrent', concurrent],
      ['replay', replay],
    ] as const) {
      if (obs.persistedHubMismatch.length > 0) mismatches.push(`${label}: hub state after reopening differs for ${obs.persistedHubMismatch.join(', ')}`);
      if (obs.consolidation.forgotten + obs.consolidation.merged > 0) mismatches.push(`${label}: consolidation forgot or merged memories; the workload must not let it`);
    }
    const calls: Record<string, number> = {};
    for (const op of w.ops) calls[op.kind] = (calls[op.kind] ?? 0) + 1;
    return {
      ops: w.ops.length,
      calls,
      memories: [...concurrent.memories.values()].reduce((n, m) => n + m.size, 0),
      concurrentSeconds: Math.round(concurrent.seconds * 100) / 100,
      replaySeconds: Math.round(replay.seconds * 100) / 100,
      mismatches,
      rejected: [...concurrent.rejected, ...replay.rejected],
      backgroundFailures: concurrent.backgroundFailures + replay.backgroundFailures,
      hookIncidents: concurrent.hookIncidents + replay.hookIncidents,
      maxBackgroundPending: concurrent.maxBackgroundPending,
      maxHookPending: concurrent.maxHookPending,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = new Command()
    .option('--ops <count>', 'calls in the schedule', Number, 3000)
    .option('--seed <n>', 'schedule seed', Number, 7)
    .option('--tenants <count>', 'tenants (three namespaces each)', Number, 2)
    .option('--seeded <count>', 'memories per fixed namespace', Number, 16)
    .option('--sessions <count>', 'sessions per namespace', Number, 20)
    .option('--cache-capacity <count>', "the store's record cache; small values force reads through Kùzu", Number)
    .parse()
    .opts<{ ops: number; seed: number; tenants: number; seeded: number; sessions: number; cacheCapacity?: number }>();
  const report = await runConcurrency(args);
  for (const m of [...report.mismatches, ...report.rejected].slice(0, 20)) console.error(m);
  console.log(JSON.stringify({ bench: 'soak:concurrency', ...args, ...report, mismatches: report.mismatches.length, rejected: report.rejected.length }));
  process.exitCode = report.mismatches.length + report.rejected.length + report.backgroundFailures + report.hookIncidents > 0 ? 1 : 0;
}
