/**
 * Bounded resources: about a million cheap operations (hub signals, metrics and outcomes over many
 * domains, strategies and metric names; somatic markers for ever new situations; working-memory
 * admissions over ever new sessions), with a smaller number that hit Kùzu (recalls in bursts,
 * host-hook turns over ever new sessions, tenants coming and going), must leave every growing
 * structure at or under its cap and the process's memory flat after warm-up.
 *
 *   npm run soak:resources -- --ops 1000000
 *
 * Prints one JSON line last: the largest size each structure reached and its cap, and RSS / heap
 * (after a forced GC) per window of `--window` operations. Exits 1 if a structure passed its cap.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Command } from 'commander';
import { createGloveEmbedder } from '../../native/glove/embedder.js';
import { InsulaHooks } from '../../src/hooks/hooks.js';
import { SomaticParamsSchema } from '../../src/hub/integration/somatic-markers.js';
import { SIGNAL_SOURCES } from '../../src/hub/signals/signal.js';
import { Insula } from '../../src/insula.js';
import { KuzuGraphStore } from '../../src/memory/kuzu-store.js';
import { WM_DEFAULT_CAPACITY } from '../../src/memory/models/working-memory.js';
import { ACTR_DEFAULT_RECENT_COUNT } from '../../src/memory/models/act-r.js';
import { seededRandom } from '../../src/random.js';
import { sentence } from '../corpus.js';

export interface Caps {
  /** Insula: sessions with a working memory. */
  sessions: number;
  pendingRetrievals: number;
  queued: number;
  /** Hooks: sessions whose last turn is kept, and queued outbound turns. */
  hookSessions: number;
  hookQueued: number;
  /** Hub, per namespace. */
  domains: number;
  metrics: number;
  strategies: number;
  markers: number;
  signalBuffer: number;
}

export interface ResourceOptions {
  seed: number;
  /** Cheap operations in all. */
  ops: number;
  /** Operations per measurement window (the first window is the warm-up). */
  window: number;
  /** Per window: recalls (in bursts of `burst`, each in a new session), host turns stored, and host turns recalled. */
  recalls: number;
  burst: number;
  /** Memories the recalls search. */
  library: number;
  outbounds: number;
  inbounds: number;
  /** Kùzu's buffer pool, MiB: the store's share of RSS grows towards it. */
  poolMB: number;
  caps: Caps;
}

/** The soak's caps: the library defaults, except session tables small enough to fill within the soak. */
export const SOAK_CAPS: Caps = { sessions: 1000, pendingRetrievals: 10_000, queued: 10_000, hookSessions: 1000, hookQueued: 1000, domains: 256, metrics: 16, strategies: 64, markers: 256, signalBuffer: 64 };

const TENANTS = ['tenant-0', 'tenant-1', 'tenant-2', 'tenant-3'];
const HOT_DOMAINS = ['ops', 'coding', 'support', 'billing'];
const LIBRARY = 'library';

interface Sizes {
  workingMemorySessions: number;
  workingMemoryItems: number;
  pendingRetrievals: number;
  queued: number;
  hubNamespaces: number;
  hookSessions: number;
  hookQueued: number;
  domains: number;
  metrics: number;
  strategiesPerDomain: number;
  markers: number;
  outcomesPerMarker: number;
  signalBuffer: number;
  gut: number;
  accessRecent: number;
}

interface HubSnapshotShape {
  domains: Array<[string, { arms: unknown[] }]>;
  metrics: unknown[];
  somatic: { markers: Array<{ outcomes: unknown[] }> };
  buffer: unknown[];
  gut: unknown[];
}

export interface ResourceReport {
  ops: number;
  seconds: number;
  kuzuCalls: { recalls: number; outbounds: number; inbounds: number };
  /** The largest size each structure reached (sampled after every burst and window), and its cap. */
  max: Sizes;
  caps: Sizes;
  /** Structures that went past their cap; empty when bounded. */
  overCap: string[];
  /** After a forced GC: resident set, V8 heap, and memory outside the heap that V8 tracks (buffers, typed arrays). */
  windows: Array<{ ops: number; rssMB: number; heapMB: number; externalMB: number }>;
  rssWarmMB: number;
  rssEndMB: number;
  heapWarmMB: number;
  heapEndMB: number;
  /** Least-squares slope over the windows after warm-up, MB per 100k operations. */
  rssPer100kMB: number;
  heapPer100kMB: number;
  dropped: number;
  backgroundFailures: number;
  /** The last contained background failure's message, if any. */
  lastBackgroundError: string | null;
  hookIncidents: number;
  degradedTurns: number;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

function slope(points: Array<{ x: number; y: number }>): number {
  if (points.length < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / points.length;
  const my = points.reduce((s, p) => s + p.y, 0) / points.length;
  const num = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return den > 0 ? num / den : 0;
}

function unitVector(r: () => number, dims: number): Float32Array {
  const v = Float32Array.from({ length: dims }, () => r() - 0.5);
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
}

export async function runResources(o: ResourceOptions): Promise<ResourceReport> {
  const dir = mkdtempSync(join(tmpdir(), 'insula-soak-resources-'));
  const embedder = await createGloveEmbedder({ threads: 1 });
  const store = await KuzuGraphStore.open({ path: join(dir, 'db.kuzu'), dims: embedder.dims, bufferPoolBytes: o.poolMB * 1024 * 1024 });
  const c = o.caps;
  const mem = await Insula.open({
    store,
    embedder,
    maxSessions: c.sessions,
    maxPendingRetrievals: c.pendingRetrievals,
    maxQueued: c.queued,
    hub: { maxDomains: c.domains, maxMetrics: c.metrics, maxStrategies: c.strategies, signalBuffer: c.signalBuffer, somatic: { capacity: c.markers } },
  });
  // A generous timeout: the soak measures sizes, and a slow turn would only degrade.
  const hooks = new InsulaHooks(mem, { maxSessions: c.hookSessions, maxQueued: c.hookQueued, timeoutMs: 60_000 });
  const r = seededRandom(o.seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const max: Sizes = {
    workingMemorySessions: 0,
    workingMemoryItems: 0,
    pendingRetrievals: 0,
    queued: 0,
    hubNamespaces: 0,
    hookSessions: 0,
    hookQueued: 0,
    domains: 0,
    metrics: 0,
    strategiesPerDomain: 0,
    markers: 0,
    outcomesPerMarker: 0,
    signalBuffer: 0,
    gut: 0,
    accessRecent: 0,
  };
  const grow = (key: keyof Sizes, value: number) => (max[key] = Math.max(max[key], value));
  const sampleQueues = () => {
    const res = mem.resources;
    grow('workingMemorySessions', res.workingMemorySessions);
    grow('pendingRetrievals', res.pendingRetrievals);
    grow('queued', res.queued);
    grow('hubNamespaces', res.hubNamespaces);
    const h = hooks.health();
    grow('hookSessions', h.sessions);
    grow('hookQueued', h.pending);
  };
  /** Sizes from the namespace's snapshot, the same structures the hub keeps (serialising costs a few ms). */
  const sampleHub = (ns: string) => {
    const snap = JSON.parse(mem.hub!.snapshot(ns)) as HubSnapshotShape;
    grow('domains', snap.domains.length);
    grow('metrics', snap.metrics.length);
    grow('strategiesPerDomain', Math.max(0, ...snap.domains.map(([, d]) => d.arms.length)));
    grow('markers', snap.somatic.markers.length);
    grow('outcomesPerMarker', Math.max(0, ...snap.somatic.markers.map((m) => m.outcomes.length)));
    grow('signalBuffer', snap.buffer.length);
    grow('gut', snap.gut.length);
  };

  const recurring = Array.from({ length: 3 }, () => unitVector(r, embedder.dims));
  const library = await mem.rememberMany(Array.from({ length: o.library }, () => ({ namespace: LIBRARY, content: sentence(r) })));
  await mem.flush();
  let degradedTurns = 0;
  let sessions = 0;
  let recalls = 0;
  let outbounds = 0;
  let inbounds = 0;
  const windows: ResourceReport['windows'] = [];
  const started = performance.now();
  let done = 0;
  for (let w = 0; done < o.ops; w++) {
    const hookNs = `hooks-${w}`;
    const cheap = Math.min(o.window, o.ops - done);
    // Kùzu-bound work is spread over the window, between slices of cheap operations.
    const slices = Math.max(1, Math.ceil(o.recalls / o.burst));
    const share = (total: number, slice: number) => Math.floor(total / slices) + (slice < total % slices ? 1 : 0);
    for (let slice = 0; slice < slices; slice++) {
      const count = share(cheap, slice);
      for (let i = 0; i < count; i++) {
        const ns = pick(TENANTS);
        const x = r();
        // Most traffic in a few domains, a long tail of 4× the domain cap: the table evicts all the time.
        const domain = r() < 0.9 ? pick(HOT_DOMAINS) : `domain-${Math.floor(r() * 4 * c.domains)}`;
        if (x < 0.7) await mem.signal({ source: pick(SIGNAL_SOURCES), domain, valence: 2 * r() - 1, arousal: r() }, ns);
        else if (x < 0.8) await mem.metric({ metric: `metric-${Math.floor(r() * 4 * c.metrics)}`, value: Math.round(r() * 1000), domain }, ns);
        else if (x < 0.85) await mem.feedback({ namespace: ns, domain, strategy: `strategy-${Math.floor(r() * 4 * c.strategies)}`, success: r() < 0.6 });
        else if (x < 0.9) mem.hub!.somatic(ns, pick(recurring), domain);
        else {
          // New situations (random directions) fill the marker cache; recurring ones with ever new memories fill a marker.
          const ids = Array.from({ length: 1 + Math.floor(r() * 4) }, () => `memory-${Math.floor(r() * 1e6)}`);
          mem.hub!.feedback(ns, { domain: 'ops', success: r() < 0.5, memoryIds: ids }, r() < 0.5 ? pick(recurring) : unitVector(r, embedder.dims));
        }
      }
      done += count;
      // A burst of concurrent recalls, each in a new session (plus a few hot sessions that keep admitting).
      const burst = share(o.recalls, slice);
      await Promise.all(
        Array.from({ length: burst }, (_, i) => mem.recall(sentence(r), { namespace: LIBRARY, k: 5, session: i % 5 === 0 ? 'hot' : `session-${sessions++}` })),
      );
      recalls += burst;
      sampleQueues();
      // The hot session was just used: neither evicted (least recently used) nor decayed.
      grow('workingMemoryItems', mem.workingMemory('hot', LIBRARY).length);
      for (const ns of TENANTS) sampleHub(ns);
      for (let i = 0; i < share(o.outbounds, slice); i++, outbounds++) {
        const receipt = await hooks.beforeOutbound({ namespace: hookNs, sessionId: `turn-${sessions++}`, userText: `Question ${outbounds}: ${sentence(r)}`, assistantText: sentence(r), outcome: r() < 0.5 ? 'success' : 'failure', toolEvents: [{ name: pick(['grep', 'shell', 'http']), ok: r() < 0.8, durationMs: Math.round(r() * 300) }] });
        if (receipt.degraded) degradedTurns++;
      }
      for (let i = 0; i < share(o.inbounds, slice); i++, inbounds++) {
        const context = await hooks.beforeInbound({ namespace: hookNs, sessionId: `turn-${sessions++}`, userText: `Follow-up ${inbounds}: ${sentence(r)}` });
        if (context.degraded) degradedTurns++;
      }
      sampleQueues();
    }
    await hooks.flush();
    await mem.flush();
    for (const ns of [LIBRARY, hookNs]) sampleHub(ns);
    // Tenants come and go: the previous window's hook tenant is deleted, its structures with it.
    if (w > 0) await mem.forgetNamespace(`hooks-${w - 1}`);
    gc();
    const usage = process.memoryUsage();
    windows.push({ ops: done, rssMB: mb(usage.rss), heapMB: mb(usage.heapUsed), externalMB: mb(usage.external) });
  }
  const libraryNow = await mem.store.getMemories(LIBRARY, library.map((m) => m.id));
  for (const m of libraryNow) grow('accessRecent', m.access.recent.length);
  const seconds = (performance.now() - started) / 1000;
  const status = mem.backgroundStatus;
  const incidents = hooks.health().incidents;
  await hooks.close();
  await mem.close();
  rmSync(dir, { recursive: true, force: true });

  const capOf: Record<keyof Sizes, number> = {
    workingMemorySessions: c.sessions,
    workingMemoryItems: WM_DEFAULT_CAPACITY,
    pendingRetrievals: c.pendingRetrievals,
    queued: c.queued,
    // The four tenants, the library, and this window's and the previous window's hook tenant.
    hubNamespaces: TENANTS.length + 3,
    hookSessions: c.hookSessions,
    hookQueued: c.hookQueued,
    domains: c.domains,
    metrics: c.metrics,
    strategiesPerDomain: c.strategies,
    markers: c.markers,
    outcomesPerMarker: SomaticParamsSchema.parse({}).memoriesPerMarker,
    signalBuffer: c.signalBuffer,
    gut: c.domains,
    accessRecent: ACTR_DEFAULT_RECENT_COUNT,
  };
  const overCap = (Object.keys(max) as Array<keyof Sizes>).filter((k) => max[k] > capOf[k]).map((k) => `${k}: ${max[k]} > ${capOf[k]}`);
  const after = windows.slice(1);
  const per100k = (key: 'rssMB' | 'heapMB') => Math.round(slope(after.map((x) => ({ x: x.ops / 100_000, y: x[key] }))) * 100) / 100;
  return {
    ops: done,
    seconds: Math.round(seconds),
    kuzuCalls: { recalls, outbounds, inbounds },
    max,
    caps: capOf,
    overCap,
    windows,
    rssWarmMB: windows[0]!.rssMB,
    rssEndMB: windows.at(-1)!.rssMB,
    heapWarmMB: windows[0]!.heapMB,
    heapEndMB: windows.at(-1)!.heapMB,
    rssPer100kMB: per100k('rssMB'),
    heapPer100kMB: per100k('heapMB'),
    dropped: status.dropped,
    backgroundFailures: status.failures,
    lastBackgroundError: status.lastError,
    hookIncidents: incidents,
    degradedTurns,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = new Command()
    .option('--ops <count>', 'cheap operations in all', Number, 1_000_000)
    .option('--window <count>', 'operations per measurement window', Number, 100_000)
    .option('--recalls <count>', 'recalls per window', Number, 500)
    .option('--burst <count>', 'concurrent recalls per burst', Number, 25)
    .option('--library <count>', 'memories the recalls search', Number, 200)
    .option('--outbounds <count>', 'host turns stored per window', Number, 300)
    .option('--inbounds <count>', 'host turns recalled per window', Number, 200)
    .option('--pool-mb <MiB>', "Kùzu's buffer pool", Number, 256)
    .option('--seed <n>', 'seed', Number, 5)
    .parse()
    .opts<{ ops: number; window: number; recalls: number; burst: number; library: number; outbounds: number; inbounds: number; poolMb: number; seed: number }>();
  const report = await runResources({ ...args, poolMB: args.poolMb, caps: SOAK_CAPS });
  for (const w of report.windows) console.error(`${w.ops} ops: rss ${w.rssMB} MB, heap ${w.heapMB} MB, external ${w.externalMB} MB`);
  console.log(JSON.stringify({ bench: 'soak:resources', ...report }));
  process.exitCode = report.overCap.length > 0 ? 1 : 0;
}
