/**
 * Consolidation ("sleep"): replay of salient memories with trace transfer, Hebbian decay and
 * global downscaling, forgetting below the retention floor, merging near-duplicates, optional
 * insight synthesis through a chat model, and export of QA pairs for offline fine-tuning.
 * Runs off the host's hot path; namespaces are processed one at a time and never mixed.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { z } from 'zod';
import { recordAccess } from './models/act-r.js';
import { reinforce, retentionAt, transferTraces } from './models/ebbinghaus.js';
import { decay, downscale, shouldPrune, strengthen } from './models/hebbian.js';
import { messageText, parseJsonReply, type ChatModelLike } from './knowledge-graph.js';
import { namespaceMetaKey, pairKey, type GraphStore, type LinkEdge, type StoredMemory } from './store.js';
import { NamespaceSchema, TimeSchema } from './schema.js';

export const ConsolidationOptionsSchema = z
  .object({
    /** One namespace; all namespaces when omitted. */
    namespace: NamespaceSchema.optional(),
    now: TimeSchema.optional(),
    /** How many of the most salient memories are replayed per namespace. */
    replay: z.number().int().min(0).max(10_000).default(50),
    /** Share of each trace's weight moved to the next slower trace on replay. */
    transferFraction: z.number().min(0).max(1).default(0.3),
    /** Synaptic homeostasis: every link weight is multiplied by this. */
    downscaleFactor: z.number().min(0).max(1).default(0.9),
    pruneFloor: z.number().min(0).max(1).default(0.05),
    /** Memories whose retention fell below this are forgotten unless pinned. */
    forgetFloor: z.number().min(0).max(1).default(0.05),
    /** Cosine similarity at or above which two memories count as duplicates (with matching words). */
    duplicateThreshold: z.number().min(0.5).max(1).default(0.97),
    /** Write QA pairs (JSONL) to this path. */
    exportQaPath: z.string().min(1).optional(),
    onProgress: z.custom<(p: ConsolidationProgress) => void>((v) => typeof v === 'function').optional(),
    chatModel: z.custom<ChatModelLike>((v) => typeof v === 'object' && v !== null && typeof (v as ChatModelLike).invoke === 'function').optional(),
  })
  .strict();
export type ConsolidationOptions = z.input<typeof ConsolidationOptionsSchema>;

export interface ConsolidationProgress {
  namespace: string;
  phase: 'scan' | 'replay' | 'links' | 'forget' | 'dedup' | 'insights' | 'export';
  done: number;
  total: number;
}

export interface ConsolidationReport {
  namespace: string;
  scanned: number;
  replayed: number;
  linksDownscaled: number;
  linksPruned: number;
  forgotten: number;
  merged: number;
  insights: string[];
  qaPairs: number;
}

export interface ConsolidationContext {
  store: GraphStore;
  /** Stores a synthesised memory through the normal write path; returns its id. */
  remember(input: { namespace: string; content: string; type: 'semantic'; importance: number; source: string; metadata: Record<string, unknown> }): Promise<string>;
  /** Removes memories completely (embeddings, links, triples, hub traces). */
  forget(namespace: string, ids: string[]): Promise<number>;
}

const PAGE = 500;

/** Salience for replay: important, emotionally charged and often-used memories first. */
export function salience(m: StoredMemory): number {
  return m.importance * (0.5 + 0.5 * Math.abs(m.valence)) * (1 + Math.log1p(m.access.count));
}

function words(text: string): Set<string> {
  return new Set(text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean));
}

export function wordOverlap(a: string, b: string): number {
  const wa = words(a);
  const wb = words(b);
  if (wa.size === 0 && wb.size === 0) return 1;
  let shared = 0;
  for (const w of wa) if (wb.has(w)) shared++;
  return shared / (wa.size + wb.size - shared);
}

export async function consolidateNamespace(
  ctx: ConsolidationContext,
  namespace: string,
  opts: z.output<typeof ConsolidationOptionsSchema>,
  now: number,
): Promise<ConsolidationReport> {
  const { store } = ctx;
  const progress = (phase: ConsolidationProgress['phase'], done: number, total: number) => opts.onProgress?.({ namespace, phase, done, total });
  const report: ConsolidationReport = { namespace, scanned: 0, replayed: 0, linksDownscaled: 0, linksPruned: 0, forgotten: 0, merged: 0, insights: [], qaPairs: 0 };

  // Scan: one pass over the namespace, keeping only what later phases need.
  const total = await store.countMemories(namespace);
  const all: StoredMemory[] = [];
  for (let after: string | null = null; ; ) {
    const page = await store.scanMemories(namespace, after, PAGE);
    if (page.length === 0) break;
    all.push(...page);
    after = page[page.length - 1]!.id;
    progress('scan', all.length, total);
  }
  report.scanned = all.length;

  // Forget what has faded, before replay can revive it.
  const faded = all.filter((m) => !m.pinned && retentionAt(m.retention, now) < opts.forgetFloor).map((m) => m.id);
  if (faded.length > 0) report.forgotten = await ctx.forget(namespace, faded);
  progress('forget', faded.length, faded.length);
  const fadedSet = new Set(faded);
  const alive = all.filter((m) => !fadedSet.has(m.id));

  // Replay: reinforce the most salient memories and move their strength to slower traces.
  const replayed = [...alive].sort((a, b) => salience(b) - salience(a)).slice(0, opts.replay);
  await store.updateMemoryStates(
    namespace,
    replayed.map((m) => ({ id: m.id, retention: transferTraces(reinforce(m.retention, now, m.importance), opts.transferFraction) })),
  );
  report.replayed = replayed.length;
  progress('replay', replayed.length, replayed.length);

  // Replay of a sequence strengthens the links between its neighbouring memories.
  const neighbours = await store.sessionNeighbours(namespace, replayed.map((m) => m.id), 1);
  const replayedIds = new Set(replayed.map((m) => m.id));
  const existing = new Map((await store.links(namespace, [...replayedIds])).map((l) => [pairKey(l.a, l.b), l.weight]));
  const replayLinks = neighbours
    .filter((n) => replayedIds.has(n.id))
    .map((n) => ({ a: n.from, b: n.id, weight: strengthen(existing.get(pairKey(n.from, n.id)) ?? 0), updatedAt: now }));

  // Hebbian decay since the last update, then global downscaling; prune what falls below the floor.
  const links = await store.allLinks(namespace);
  const kept: LinkEdge[] = [];
  const pruned: Array<{ a: string; b: string }> = [];
  const replayedPairs = new Map(replayLinks.map((l) => [pairKey(l.a, l.b), l]));
  for (const l of links) {
    const base = replayedPairs.get(pairKey(l.a, l.b))?.weight ?? l.weight;
    replayedPairs.delete(pairKey(l.a, l.b));
    const w = downscale(decay(base, Math.max(0, now - l.updatedAt)), opts.downscaleFactor);
    if (shouldPrune(w, opts.pruneFloor)) pruned.push({ a: l.a, b: l.b });
    else kept.push({ ...l, weight: w, updatedAt: now });
  }
  kept.push(...replayedPairs.values());
  await store.upsertLinks(namespace, kept);
  await store.deleteLinks(namespace, pruned);
  report.linksDownscaled = kept.length;
  report.linksPruned = pruned.length;
  progress('links', links.length, links.length);

  // Only memories written since the last pass can be new duplicates: each pass stays proportional to new writes.
  const checkpointKey = namespaceMetaKey(namespace, 'consolidatedUpTo');
  const since = Number((await store.getMeta(checkpointKey)) ?? -Infinity);
  const fresh = alive.filter((m) => m.createdAt > since);
  report.merged = await mergeDuplicates(ctx, namespace, fresh, new Map(alive.map((m) => [m.id, m])), opts.duplicateThreshold, now, (d, t) => progress('dedup', d, t));
  await store.setMeta(checkpointKey, String(fresh.reduce((latest, m) => Math.max(latest, m.createdAt), since)));

  if (opts.chatModel) {
    report.insights = await synthesiseInsights(ctx, opts.chatModel, namespace, replayed, (d, t) => progress('insights', d, t));
  }
  if (opts.exportQaPath) {
    report.qaPairs = await exportQaPairs(alive, namespace, opts.exportQaPath);
    progress('export', report.qaPairs, report.qaPairs);
  }
  return report;
}

/**
 * Near-duplicates found through the vector index (never pairwise over the namespace). The older
 * memory (or the pinned one) survives and absorbs the other's accesses, strength, importance and links.
 */
async function mergeDuplicates(
  ctx: ConsolidationContext,
  namespace: string,
  memories: StoredMemory[],
  byId: Map<string, StoredMemory>,
  threshold: number,
  now: number,
  progress: (done: number, total: number) => void,
): Promise<number> {
  const { store } = ctx;
  const removed = new Set<string>();
  let merged = 0;
  for (let i = 0; i < memories.length; i += PAGE) {
    const page = memories.slice(i, i + PAGE).filter((m) => !removed.has(m.id));
    const embeddings = await store.getEmbeddings(namespace, page.map((m) => m.id));
    for (const m of page) {
      if (removed.has(m.id)) continue;
      const e = embeddings.get(m.id);
      if (!e || !e.some((x) => x !== 0)) continue;
      const hits = await store.vectorSearch(namespace, e, 4);
      for (const hit of hits) {
        const other = byId.get(hit.id);
        if (!other || other.id === m.id || removed.has(other.id) || hit.score < threshold) continue;
        if (wordOverlap(m.content, other.content) < 0.8) continue;
        // A pinned memory is never merged away: it survives, and two pinned memories both stay.
        if (m.pinned && other.pinned) continue;
        const otherSurvives = other.pinned || (!m.pinned && (other.createdAt < m.createdAt || (other.createdAt === m.createdAt && other.id < m.id)));
        const [survivor, duplicate] = otherSurvives ? [other, m] : [m, other];
        await absorb(ctx, namespace, survivor, duplicate, now);
        removed.add(duplicate.id);
        merged++;
        if (duplicate.id === m.id) break;
      }
    }
    progress(Math.min(i + PAGE, memories.length), memories.length);
  }
  return merged;
}

async function absorb(ctx: ConsolidationContext, namespace: string, survivor: StoredMemory, duplicate: StoredMemory, now: number): Promise<void> {
  const { store } = ctx;
  let access = survivor.access;
  for (const t of duplicate.access.recent) access = recordAccess(access, t);
  access = { ...access, count: survivor.access.count + duplicate.access.count };
  const traces = survivor.retention.traces.map((t, i) => ({ ...t, stability: Math.max(t.stability, duplicate.retention.traces[i]?.stability ?? 0) }));
  await store.updateMemoryStates(namespace, [
    {
      id: survivor.id,
      access,
      retention: { ...survivor.retention, traces, reviews: survivor.retention.reviews + duplicate.retention.reviews },
      importance: Math.max(survivor.importance, duplicate.importance),
      pinned: survivor.pinned || duplicate.pinned,
    },
  ]);
  const links = await store.links(namespace, [duplicate.id]);
  const survivorLinks = new Map((await store.links(namespace, [survivor.id])).map((l) => [l.b, l.weight]));
  await store.upsertLinks(
    namespace,
    links
      .filter((l) => l.b !== survivor.id)
      .map((l) => ({ a: survivor.id, b: l.b, weight: Math.max(l.weight, survivorLinks.get(l.b) ?? 0), updatedAt: now })),
  );
  await ctx.forget(namespace, [duplicate.id]);
  survivor.importance = Math.max(survivor.importance, duplicate.importance);
}

const InsightSchema = z.object({ insight: z.string().min(1).max(2000) });

const INSIGHT_PROMPT = `These memories were replayed during consolidation. State one general, reusable insight they support
(a pattern, preference or lesson), in one or two sentences. Answer with JSON only: {"insight": "..."}.
Memories:
`;

/** One insight per domain among the replayed memories (groups of at least three). */
async function synthesiseInsights(
  ctx: ConsolidationContext,
  model: ChatModelLike,
  namespace: string,
  replayed: StoredMemory[],
  progress: (done: number, total: number) => void,
): Promise<string[]> {
  const groups = new Map<string, StoredMemory[]>();
  for (const m of replayed) {
    if (m.source === 'consolidation:insight') continue;
    groups.set(m.domain, [...(groups.get(m.domain) ?? []), m]);
  }
  const eligible = [...groups].filter(([, ms]) => ms.length >= 3);
  const insights: string[] = [];
  for (const [domain, ms] of eligible) {
    const listing = ms.slice(0, 12).map((m, i) => `${i + 1}. ${m.content}`).join('\n');
    const reply = await model.invoke(INSIGHT_PROMPT + listing);
    const { insight } = parseJsonReply(messageText(reply.content), InsightSchema);
    const id = await ctx.remember({
      namespace,
      content: insight,
      type: 'semantic',
      importance: Math.max(...ms.map((m) => m.importance)),
      source: 'consolidation:insight',
      metadata: { domain, derivedFrom: ms.map((m) => m.id) },
    });
    await ctx.store.upsertLinks(namespace, ms.map((m) => ({ a: id, b: m.id, weight: 0.5, updatedAt: Date.now() })));
    insights.push(insight);
    progress(insights.length, eligible.length);
  }
  return insights;
}

/** QA pairs from stored exchanges (metadata.question / metadata.answer), one JSON object per line. */
async function exportQaPairs(memories: StoredMemory[], namespace: string, path: string): Promise<number> {
  const out = createWriteStream(path, { flags: 'a' });
  let n = 0;
  for (const m of memories) {
    const q = m.metadata?.question;
    const a = m.metadata?.answer;
    if (typeof q !== 'string' || typeof a !== 'string') continue;
    const line = JSON.stringify({ namespace, memoryId: m.id, question: q, answer: a, outcome: m.metadata?.outcome ?? null, domain: m.domain });
    if (!out.write(`${line}\n`)) await once(out, 'drain');
    n++;
  }
  out.end();
  await once(out, 'finish');
  return n;
}
