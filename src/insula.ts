/**
 * The memory facade: remember, recall, reinforce, forget, consolidate and the knowledge graph,
 * over a GraphStore and an Embedder. Slow bookkeeping is deferred to a background queue so the
 * host's turn never waits for it.
 */
import { randomUUID } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { Embedder } from '../native/embedder.js';
import { BackgroundQueue, Lane } from './background.js';
import { createEmbedder, EmbedderChoiceSchema } from './embedders.js';
import {
  addTriples,
  detectCommunities,
  extractTriples,
  graphHealth,
  TripleInputSchema,
  type ChatModelLike,
  type GraphHealth,
  type TripleInput,
} from './memory/knowledge-graph.js';
import { consolidateNamespace, ConsolidationOptionsSchema, type ConsolidationOptions, type ConsolidationReport } from './memory/consolidation.js';
import { KuzuGraphStore } from './memory/kuzu-store.js';
import { ActRParamsSchema, initialAccessState, recordAccess } from './memory/models/act-r.js';
import { initialRetentionState, reinforce as reinforceRetention } from './memory/models/ebbinghaus.js';
import { strengthen } from './memory/models/hebbian.js';
import { ContiguityParamsSchema } from './memory/models/temporal-contiguity.js';
import { admit, contents, createWorkingMemory, remove, WorkingMemoryParamsSchema, type WorkingMemoryItem, type WorkingMemoryState } from './memory/models/working-memory.js';
import { recallFromStore, type RecallResult } from './memory/recall.js';
import {
  ForgetOptionsSchema,
  InsulaValidationError,
  MemoryIdSchema,
  MemoryInputSchema,
  NamespaceSchema,
  parse,
  RecallOptionsSchema,
  SessionSchema,
  TimeSchema,
  type MemoryInput,
  type RecallOptions,
} from './memory/schema.js';
import { normalise, ScoringParamsSchema } from './memory/scoring.js';
import { namespaceMetaKey, pairKey, type GraphStore, type NewMemory, type StoredMemory, type StoredTriple } from './memory/store.js';
import { FeedbackInputSchema, HubParamsSchema, InteroceptiveHub, type FeedbackEffect, type FeedbackInput, type HubState, type RecallObservation, type RoutingInput, type RoutingObservationResult } from './hub/hub.js';
import type { RegulationAction } from './hub/regulation/actions.js';
import type { HostMetricInput, InteroceptiveSignalInput } from './hub/signals/signal.js';

export const InsulaOptionsSchema = z
  .object({
    /** Database path; defaults to ~/.insula/memory.kuzu. Ignored when `store` is given. */
    path: z.string().min(1).optional(),
    embedder: EmbedderChoiceSchema.prefault({ kind: 'use-lite' }),
    /** Free space the embedded store keeps on its disk; writes are refused below it (StoreFullError). Default 64 MiB. */
    minFreeBytes: z.number().int().min(0).optional(),
    /** A ready GraphStore (e.g. another engine); by default an embedded Kùzu store at `path`. */
    store: z.custom<GraphStore>((v) => typeof v === 'object' && v !== null && 'insertMemories' in v).optional(),
    scoring: ScoringParamsSchema,
    contiguity: ContiguityParamsSchema.prefault({}),
    workingMemory: WorkingMemoryParamsSchema.prefault({}),
    actr: ActRParamsSchema.prefault({}),
    /** Hebbian learning rate for co-recall / co-admission. */
    hebbianRate: z.number().min(0).max(1).default(0.1),
    /** Number of top matches that seed contiguity and association in recall. */
    recallSeeds: z.number().int().min(0).max(50).default(5),
    /** Optional LangChain chat model for triple extraction (runs in the background, never on the turn). */
    extractionModel: z.custom<ChatModelLike>((v) => typeof v === 'object' && v !== null && typeof (v as ChatModelLike).invoke === 'function').optional(),
    /** Interoceptive hub parameters, or false to run the memory core alone. */
    hub: z.union([z.literal(false), HubParamsSchema]).prefault({}),
    /** Called for contained background failures. */
    onError: z.custom<(error: Error, where: string) => void>((v) => typeof v === 'function').optional(),
    /** Sessions whose working memory is kept; past this, the least recently used session's is dropped. */
    maxSessions: z.number().int().min(1).max(10_000_000).default(10_000),
    /** Recalls whose access records may wait for the background queue; past this, the oldest are dropped (counted). */
    maxPendingRetrievals: z.number().int().min(1).max(10_000_000).default(10_000),
    /** Tasks the background queue holds; past this, Hebbian co-admission and extraction are dropped (counted). */
    maxQueued: z.number().int().min(1).max(10_000_000).default(10_000),
    /**
     * A namespace's hub state is written this long after its first unsaved change (flush() and
     * close() write at once): a save rewrites the whole state (up to about 1 MB), and under a
     * steady stream of signals saving per change meant one such write after another. A crash
     * loses at most this much hub history.
     */
    hubSaveDelayMs: z.number().int().min(0).max(60_000).default(500),
  })
  .strict();
export type InsulaOptions = z.input<typeof InsulaOptionsSchema>;

export interface RememberResult {
  id: string;
  namespace: string;
  seq: number;
  /** Items pushed out of the session's working memory by this admission. */
  displaced: WorkingMemoryItem[];
}

// Every field is parsed here, before the hub changes: a rejected call changes nothing (and a
// loose schema would have let a `__proto__` key through as the result's prototype).
const InsulaFeedbackSchema = FeedbackInputSchema.extend({
  namespace: NamespaceSchema.default('default'),
  /** The situation (e.g. the user's message): keys somatic markers by its embedding. */
  situation: z.string().min(1).max(8192).optional(),
  /** Reinforcement's bound (50). */
  memoryIds: z.array(MemoryIdSchema).max(50).optional(),
}).strict();

export interface RecallReport {
  results: RecallResult[];
  /** The hub's metacognitive check of the first pass (null when the hub is off or regulate is false). */
  confidence: RecallObservation | null;
  /** The retrieval adjustment applied (a wider second pass with episode support), if confidence was low. */
  adjustment: Extract<RegulationAction, { kind: 'retrieval-adjustment' }> | null;
}

const ReinforceSchema = z
  .object({
    namespace: NamespaceSchema.default('default'),
    ids: z.array(z.string().min(1)).min(1).max(50),
    /** How the turn that used these memories went, -1..1. */
    outcome: z.number().min(-1).max(1),
    now: TimeSchema.optional(),
  })
  .strict();

export function defaultStorePath(): string {
  return join(process.env.INSULA_HOME ?? join(homedir(), '.insula'), 'memory.kuzu');
}

export class Insula {
  private readonly background: BackgroundQueue;
  /**
   * Read-modify-writes of stored state (access records, importance, link weights, consolidation)
   * run one at a time: two of them interleaving would each write back what it read, and one
   * update would be lost.
   */
  private readonly stateLane = new Lane();
  /** Per session (namespace\u001fsession), least recently used first (Map order). */
  private readonly workingMemories = new Map<string, WorkingMemoryState>();
  private readonly pendingRetrievals: Retrieval[] = [];
  private drainQueued = false;
  /** Bookkeeping dropped because a queue was full. */
  private dropped = 0;
  /** The interoceptive hub, or null when the options turned it off. */
  readonly hub: InteroceptiveHub | null;
  private readonly hubLoaded = new Set<string>();
  /** Namespaces with changes not yet in a queued save. */
  private readonly hubDirty = new Set<string>();
  /** Pending delayed saves (see hubSaveDelayMs). */
  private readonly hubSaveTimers = new Map<string, NodeJS.Timeout>();
  /** Namespaces whose last hub save failed or was refused: flush() and close() write them again. */
  private readonly hubUnsaved = new Set<string>();
  private readonly hubListeners = new Set<(namespace: string) => void>();

  private constructor(
    readonly store: GraphStore,
    readonly embedder: Embedder,
    private readonly opts: z.output<typeof InsulaOptionsSchema>,
  ) {
    this.background = new BackgroundQueue((err, where) => this.opts.onError?.(err, where), opts.maxQueued);
    this.hub = opts.hub === false ? null : new InteroceptiveHub(opts.hub);
    if (this.hub) {
      this.hub.onChange = (ns) => {
        this.scheduleHubSave(ns);
        this.hubChanged(ns);
      };
    }
  }

  /** Calls `listener` after every change to a namespace's hub state, its deletion included; returns the unsubscribe. */
  onHubChange(listener: (namespace: string) => void): () => void {
    this.hubListeners.add(listener);
    return () => this.hubListeners.delete(listener);
  }

  private hubChanged(namespace: string): void {
    for (const listener of this.hubListeners) {
      try {
        listener(namespace);
      } catch (err) {
        this.background.contain(err, 'hub change listener');
      }
    }
  }

  /** Loads a namespace's persisted hub state on first use. */
  private async hubFor(namespace: string): Promise<InteroceptiveHub> {
    const hub = this.hub;
    if (!hub) throw new Error('the interoceptive hub is turned off (hub: false)');
    if (!this.hubLoaded.has(namespace)) {
      const json = await this.store.getMeta(namespaceMetaKey(namespace, 'hub'));
      if (!this.hubLoaded.has(namespace)) {
        if (json !== null && !hub.has(namespace)) {
          try {
            hub.restore(namespace, json);
          } catch (err) {
            // A damaged snapshot must not lock the namespace out of every later call: it starts
            // afresh, the failure is counted, and the damaged text is kept aside for inspection.
            this.background.contain(err, 'hub restore');
            this.background.enqueue('hub restore', () => this.store.setMeta(namespaceMetaKey(namespace, 'hub-damaged'), json));
          }
        }
        this.hubLoaded.add(namespace);
      }
    }
    return hub;
  }

  /** Hub state is written in the background, once per burst of changes (at most one per hubSaveDelayMs). */
  private scheduleHubSave(namespace: string): void {
    if (this.hubDirty.has(namespace)) return;
    this.hubDirty.add(namespace);
    const timer = setTimeout(() => this.queueHubSave(namespace), this.opts.hubSaveDelayMs);
    // A pending save must not keep a finished process alive; close() writes it.
    timer.unref();
    this.hubSaveTimers.set(namespace, timer);
  }

  private queueHubSave(namespace: string): void {
    clearTimeout(this.hubSaveTimers.get(namespace));
    this.hubSaveTimers.delete(namespace);
    if (!this.background.enqueue('hub-save', () => this.saveHub(namespace))) {
      this.hubDirty.delete(namespace);
      this.hubUnsaved.add(namespace);
    }
  }

  private async saveHub(namespace: string): Promise<void> {
    this.hubDirty.delete(namespace);
    if (!this.hub?.has(namespace)) return;
    this.hubUnsaved.add(namespace);
    await this.store.setMeta(namespaceMetaKey(namespace, 'hub'), this.hub.snapshot(namespace));
    this.hubUnsaved.delete(namespace);
  }

  /** Queues optional bookkeeping; a full queue drops it (counted in backgroundStatus.dropped). */
  private defer(label: string, task: () => Promise<void>): void {
    if (!this.background.enqueue(label, task)) this.dropped++;
  }

  /** The embedder's vectors, checked: a short or non-finite vector would corrupt the vector index and the hub's markers. */
  private async embed(texts: string[]): Promise<Float32Array[]> {
    const vectors = await this.embedder.embed(texts);
    if (vectors.length !== texts.length || vectors.some((v) => v.length !== this.embedder.dims || !v.every(Number.isFinite))) {
      throw new Error(`embedder ${this.embedder.name} returned a malformed result: expected ${texts.length} vectors of ${this.embedder.dims} finite numbers`);
    }
    return vectors;
  }

  static async open(options: InsulaOptions = {}): Promise<Insula> {
    const opts = parse(InsulaOptionsSchema, options, 'insula options');
    const embedder = await createEmbedder(opts.embedder);
    let opened: KuzuGraphStore | undefined;
    try {
      const store = opts.store ?? (opened = await KuzuGraphStore.open({ path: opts.path ?? defaultStorePath(), dims: embedder.dims, ...(opts.minFreeBytes === undefined ? {} : { minFreeBytes: opts.minFreeBytes }) }));
      if (store.dims !== embedder.dims) throw new Error(`store holds ${store.dims}-d embeddings but embedder ${embedder.name} gives ${embedder.dims}`);
      const storedEmbedder = await store.getMeta('embedder');
      if (storedEmbedder === null) await store.setMeta('embedder', embedder.name);
      else if (storedEmbedder !== embedder.name) {
        await store.close();
        throw new Error(`store was written with embedder ${storedEmbedder}; opening it with ${embedder.name} would mix vector spaces`);
      }
      return new Insula(store, embedder, opts);
    } catch (err) {
      // A store opened here must not stay locked (and registered as open) after a failed open.
      await opened?.close();
      await embedder.close();
      throw err;
    }
  }

  /**
   * Background tasks not yet run, contained failures so far, bookkeeping dropped by a full queue,
   * and namespaces whose hub state is not yet written (a failed save; flush() retries it).
   */
  get backgroundStatus(): { pending: number; failures: number; lastError: string | null; dropped: number; unsavedHubs: number } {
    return {
      pending: this.background.pending,
      failures: this.background.failures,
      lastError: this.background.lastError?.message ?? null,
      dropped: this.dropped,
      unsavedHubs: this.hubUnsaved.size,
    };
  }

  /** Sizes of the in-process structures that grow with use; each has a cap (docs/reliability.md, "Bounded resources"). */
  get resources(): { workingMemorySessions: number; pendingRetrievals: number; queued: number; hubNamespaces: number } {
    return { workingMemorySessions: this.workingMemories.size, pendingRetrievals: this.pendingRetrievals.length, queued: this.background.pending, hubNamespaces: this.hubLoaded.size };
  }

  async remember(input: MemoryInput): Promise<RememberResult> {
    const [result] = await this.rememberMany([input]);
    return result!;
  }

  /** Stores a batch in one transaction with one embedding pass; all-or-nothing validation. */
  async rememberMany(inputs: readonly MemoryInput[], now = Date.now()): Promise<RememberResult[]> {
    // The parsed copy is dense: map() would skip a sparse array's holes and leave them unvalidated.
    const batch = parse(z.array(z.unknown()), inputs, 'memories');
    now = parse(TimeSchema, now, 'now');
    const records = batch.map((input, i) => parse(MemoryInputSchema, input, batch.length > 1 ? `memory [${i}]` : 'memory'));
    for (const [i, r] of records.entries()) {
      if (r.embedding && r.embedding.length !== this.embedder.dims) {
        const what = inputs.length > 1 ? `memory [${i}]` : 'memory';
        throw new InsulaValidationError(what, [], `embedding: expected ${this.embedder.dims} dimensions, got ${r.embedding.length}`);
      }
    }
    const toEmbed = records.map((r, i) => ({ r, i })).filter(({ r }) => !r.embedding);
    const vectors = toEmbed.length > 0 ? await this.embed(toEmbed.map(({ r }) => r.content)) : [];
    // A caller's embedding is scaled to unit length like the embedder's: the hub and recall score with dot products.
    const embeddings: Float32Array[] = records.map((r) => (r.embedding ? normalise(Float32Array.from(r.embedding)) : new Float32Array(0)));
    toEmbed.forEach(({ i }, j) => (embeddings[i] = vectors[j]!));

    const rows: NewMemory[] = records.map((r, i) => ({
      id: randomUUID(),
      namespace: r.namespace,
      content: r.content,
      type: r.type,
      importance: r.importance,
      valence: r.valence,
      domain: r.domain,
      createdAt: now,
      occurredAt: r.occurredAt ?? now,
      session: r.session ?? null,
      access: initialAccessState(now),
      retention: initialRetentionState(now, r.importance),
      pinned: r.pinned,
      source: r.source ?? null,
      metadata: r.metadata ?? null,
      embedding: embeddings[i]!,
    }));
    const stored = await this.store.insertMemories(rows);

    const results: RememberResult[] = [];
    const coAdmitted = new Map<string, CoActivation[]>();
    for (const [i, m] of stored.entries()) {
      const entities = records[i]!.entities;
      if (entities?.length) await this.store.linkMentions(m.namespace, m.id, entities);
      let displaced: WorkingMemoryItem[] = [];
      if (m.session) {
        const admission = this.admitToWorkingMemory(m.namespace, m.session, [m.id], now, 1);
        displaced = admission.displaced;
        coAdmitted.set(m.namespace, [...(coAdmitted.get(m.namespace) ?? []), ...admission.pairs]);
        if (this.hub) (await this.hubFor(m.namespace)).broadcast(m.namespace, { ...m, embedding: embeddings[i]! });
      }
      results.push({ id: m.id, namespace: m.namespace, seq: m.seq, displaced });
      if (this.opts.extractionModel) this.scheduleExtraction(m);
    }
    // One deferred Hebbian update per namespace and batch, not one per memory.
    for (const [namespace, pairs] of coAdmitted) {
      if (pairs.length > 0) this.defer('co-admission', () => this.stateLane.run(() => this.strengthenPairs(namespace, pairs, now, undefined)));
    }
    return results;
  }

  private wmKey(namespace: string, session: string): string {
    return `${namespace}\u001f${session}`;
  }

  /**
   * Admits ids to the session's working memory. Returns what was displaced and the co-admitted
   * pairs (new item, item already there) whose links should strengthen, gated by the resident's activation.
   */
  private admitToWorkingMemory(
    namespace: string,
    session: string,
    ids: readonly string[],
    now: number,
    activation: number,
  ): { displaced: WorkingMemoryItem[]; pairs: CoActivation[] } {
    const key = this.wmKey(namespace, session);
    let state = this.workingMemories.get(key) ?? createWorkingMemory(this.opts.workingMemory);
    // Associate with the focus of attention only (Cowan's ~4 items), not the whole buffer: links
    // stay sparse and a bulk import does not pay for 7 link writes per memory.
    const present = contents(state, now).slice(0, FOCUS_OF_ATTENTION);
    const displaced: WorkingMemoryItem[] = [];
    for (const id of ids) {
      const update = admit(state, { id, activation }, now);
      state = update.state;
      displaced.push(...update.displaced);
    }
    this.workingMemories.delete(key);
    this.workingMemories.set(key, state);
    if (this.workingMemories.size > this.opts.maxSessions) this.workingMemories.delete(this.workingMemories.keys().next().value!);
    const pairs = ids.flatMap((id) => present.filter((p) => p.id !== id && !ids.includes(p.id)).map((p) => ({ a: id, b: p.id, gate: p.activation })));
    return { displaced, pairs };
  }

  /** Current working-memory contents of a session, most active first. */
  workingMemory(session: string, namespace = 'default', now = Date.now()): WorkingMemoryItem[] {
    const state = this.workingMemories.get(this.wmKey(parse(NamespaceSchema, namespace, 'namespace'), parse(SessionSchema, session, 'session')));
    return state ? contents(state, now) : [];
  }

  private async strengthenPairs(
    namespace: string,
    pairs: readonly CoActivation[],
    now: number,
    outcome: number | undefined,
  ): Promise<void> {
    const unique = new Map<string, CoActivation>();
    for (const p of pairs) {
      const key = pairKey(p.a, p.b);
      if (p.a !== p.b && (unique.get(key)?.gate ?? -1) < p.gate) unique.set(key, p);
    }
    const ids = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
    const current = new Map((await this.store.links(namespace, ids)).map((l) => [pairKey(l.a, l.b), l.weight]));
    const updated = [...unique.values()].map((p) => ({
      a: p.a,
      b: p.b,
      weight: strengthen(current.get(pairKey(p.a, p.b)) ?? 0, { rate: this.opts.hebbianRate * p.gate, ...(outcome === undefined ? {} : { outcome }) }),
      updatedAt: now,
    }));
    await this.store.upsertLinks(namespace, updated);
  }

  private scheduleExtraction(memory: StoredMemory): void {
    const model = this.opts.extractionModel!;
    this.defer('triple-extraction', async () => {
      const triples = await extractTriples(model, memory.content);
      if (triples.length > 0) {
        await addTriples(this.store, memory.namespace, triples.map((t) => parse(TripleInputSchema, { ...t, memoryId: memory.id }, 'extracted triple')), Date.now());
      }
    });
  }

  async recall(query: string, options: RecallOptions = {}): Promise<RecallResult[]> {
    return (await this.recallWithReport(query, options)).results;
  }

  /**
   * Recall plus the hub's part in it: somatic multipliers in the ranking, a confidence check, and,
   * when confidence is low against the domain's baseline, a second pass with episode support (a
   * memory whose session neighbours also match gains), the pool and seeds scaled by the recall
   * depth, and no score threshold.
   */
  async recallWithReport(query: string, options: RecallOptions = {}): Promise<RecallReport> {
    const q = parse(z.string().trim().min(1, 'query: must not be empty').max(8192), query, 'recall query');
    const opts = parse(RecallOptionsSchema, options, 'recall options');
    const now = opts.now ?? Date.now();
    const filtered = Boolean(opts.types || opts.domain);
    const pool = opts.candidates ?? Math.max(30, opts.k * 3) * (filtered ? 3 : 1);
    const wmState = opts.session ? this.workingMemories.get(this.wmKey(opts.namespace, opts.session)) : undefined;
    const workingMemory = new Map(wmState ? contents(wmState, now).map((i) => [i.id, i.activation]) : []);
    const hub = this.hub && opts.regulate ? await this.hubFor(opts.namespace) : null;
    const domain = opts.hubDomain ?? opts.domain ?? 'general';
    if (opts.queryEmbedding && opts.queryEmbedding.length !== this.embedder.dims) {
      throw new InsulaValidationError('recall options', [], `queryEmbedding: expected ${this.embedder.dims} dimensions, got ${opts.queryEmbedding.length}`);
    }
    const queryEmbedding = opts.queryEmbedding ? Promise.resolve(normalise(Float32Array.from(opts.queryEmbedding))) : this.embed([q]).then((v) => v[0]!);
    const request = {
      namespace: opts.namespace,
      query: q,
      queryEmbedding,
      k: opts.k,
      pool,
      now,
      minScore: opts.minScore,
      types: opts.types,
      domain: opts.domain,
      workingMemory,
      somatic: hub ? (v: Float32Array) => hub.somatic(opts.namespace, v, domain).multipliers : undefined,
    };
    const tuning = { scoring: this.opts.scoring, contiguity: this.opts.contiguity, seeds: this.opts.recallSeeds };
    let results = await recallFromStore(this.store, request, tuning);
    let confidence: RecallObservation | null = null;
    let adjustment: RecallReport['adjustment'] = null;
    if (hub) {
      confidence = hub.observeRecall(opts.namespace, domain, results);
      if (confidence.low) {
        adjustment = hub.regulate(opts.namespace).find((a): a is NonNullable<RecallReport['adjustment']> => a.kind === 'retrieval-adjustment' && a.domain === domain) ?? null;
        if (adjustment) {
          const widen = adjustment.widen;
          results = await recallFromStore(
            this.store,
            { ...request, pool: Math.min(1000, Math.round(pool * widen)), minScore: adjustment.lowerThreshold ? 0 : opts.minScore },
            { ...tuning, seeds: Math.round(tuning.seeds * widen), episodeSupport: adjustment.episodeSupport },
          );
        }
      }
    }
    if (opts.recordAccess && results.length > 0) {
      const ids = results.map((r) => r.id);
      this.queueRetrieval({ namespace: opts.namespace, ids, now, outcome: opts.outcome });
    }
    if (opts.session && results.length > 0) {
      const top = results.slice(0, Math.min(3, results.length));
      const { pairs } = this.admitToWorkingMemory(opts.namespace, opts.session, top.map((r) => r.id), now, 0.6);
      if (pairs.length > 0) this.defer('co-admission', () => this.stateLane.run(() => this.strengthenPairs(opts.namespace, pairs, now, opts.outcome)));
    }
    return { results, confidence, adjustment };
  }

  /** Queues a retrieval's bookkeeping; retrievals that pile up while the queue is busy are written together. */
  private queueRetrieval(retrieval: Retrieval): void {
    this.pendingRetrievals.push(retrieval);
    // Recalls faster than the store can record them shed their oldest records, not memory.
    if (this.pendingRetrievals.length > this.opts.maxPendingRetrievals) {
      this.pendingRetrievals.shift();
      this.dropped++;
    }
    if (this.drainQueued) return;
    // Refused by a full queue, the records wait here for the next recall's drain.
    this.drainQueued = this.background.enqueue('record-access', async () => {
      this.drainQueued = false;
      const batch = this.pendingRetrievals.splice(0);
      await this.stateLane.run(() => this.recordRetrievals(batch));
    });
  }

  /**
   * A retrieval is an access (ACT-R) and a review (spacing); its top results were co-active
   * (Hebbian). State is re-read inside the queue so no access is lost, and each namespace's
   * retrievals are applied in order, then written in one pass.
   */
  private async recordRetrievals(batch: readonly Retrieval[]): Promise<void> {
    const byNamespace = new Map<string, Retrieval[]>();
    for (const r of batch) byNamespace.set(r.namespace, [...(byNamespace.get(r.namespace) ?? []), r]);
    for (const [namespace, retrievals] of byNamespace) {
      const ids = [...new Set(retrievals.flatMap((r) => r.ids))];
      const memories = new Map((await this.store.getMemories(namespace, ids)).map((m) => [m.id, m]));
      for (const r of retrievals) {
        for (const id of r.ids) {
          const m = memories.get(id);
          if (m) memories.set(id, { ...m, access: recordAccess(m.access, r.now, this.opts.actr), retention: reinforceRetention(m.retention, r.now, m.importance) });
        }
      }
      await this.store.updateMemoryStates(namespace, [...memories.values()].map((m) => ({ id: m.id, access: m.access, retention: m.retention })));

      const weights = new Map((await this.store.links(namespace, ids)).map((l) => [pairKey(l.a, l.b), l.weight]));
      const touched = new Map<string, { a: string; b: string; weight: number; updatedAt: number }>();
      for (const r of retrievals) {
        const top = r.ids.slice(0, 5);
        for (const [i, a] of top.entries()) {
          for (const b of top.slice(i + 1)) {
            const key = pairKey(a, b);
            const weight = strengthen(weights.get(key) ?? 0, { rate: this.opts.hebbianRate, ...(r.outcome === undefined ? {} : { outcome: r.outcome }) });
            weights.set(key, weight);
            touched.set(key, { a, b, weight, updatedAt: r.now });
          }
        }
      }
      await this.store.upsertLinks(namespace, [...touched.values()]);
    }
  }

  /**
   * Outcome feedback for memories used together in a turn: a good outcome strengthens their
   * associations and importance, a bad one weakens them.
   */
  async reinforce(input: z.input<typeof ReinforceSchema>): Promise<void> {
    const r = parse(ReinforceSchema, input, 'reinforce');
    const now = r.now ?? Date.now();
    const ids = [...new Set(r.ids)];
    const pairs = ids.flatMap((a, i) => ids.slice(i + 1).map((b) => ({ a, b, gate: 1 })));
    await this.stateLane.run(async () => {
      if (pairs.length > 0) await this.strengthenPairs(r.namespace, pairs, now, r.outcome);
      const memories = await this.store.getMemories(r.namespace, ids);
      await this.store.updateMemoryStates(
        r.namespace,
        memories.map((m) => ({ id: m.id, importance: Math.min(1, Math.max(0, m.importance + 0.05 * r.outcome)) })),
      );
    });
  }

  async get(id: string, namespace = 'default'): Promise<StoredMemory | null> {
    const [m] = await this.store.getMemories(parse(NamespaceSchema, namespace, 'namespace'), [parse(MemoryIdSchema, id, 'memory id')]);
    return m ?? null;
  }

  /** Removes a memory completely: node, embedding, index entries, links, mentions, triples. */
  async forget(id: string, options: z.input<typeof ForgetOptionsSchema> = {}): Promise<boolean> {
    const { namespace } = parse(ForgetOptionsSchema, options, 'forget options');
    parse(MemoryIdSchema, id, 'memory id');
    await this.background.flush();
    const n = await this.store.deleteMemories(namespace, [id]);
    if (n > 0) this.dropForgotten(namespace, [id]);
    return n > 0;
  }

  /** Forgotten memories leave working memory and the hub's somatic records. */
  private dropForgotten(namespace: string, ids: readonly string[]): void {
    for (const [key, state] of this.workingMemories) this.workingMemories.set(key, ids.reduce(remove, state));
    if (this.hub?.has(namespace)) this.hub.forgetMemories(namespace, ids);
  }

  async forgetNamespace(namespace: string): Promise<number> {
    const ns = parse(NamespaceSchema, namespace, 'namespace');
    await this.background.flush();
    for (const key of [...this.workingMemories.keys()]) if (key.startsWith(`${ns}\u001f`)) this.workingMemories.delete(key);
    this.hub?.dropNamespace(ns);
    this.hubLoaded.delete(ns);
    this.hubUnsaved.delete(ns);
    this.hubDirty.delete(ns);
    clearTimeout(this.hubSaveTimers.get(ns));
    this.hubSaveTimers.delete(ns);
    // Saves queued before the drop find no state for the namespace and write nothing.
    const deleted = await this.store.deleteNamespace(ns);
    if (this.hub) this.hubChanged(ns);
    return deleted;
  }

  async consolidate(options: ConsolidationOptions = {}): Promise<ConsolidationReport[]> {
    const opts = parse(ConsolidationOptionsSchema, options, 'consolidation options');
    await this.background.flush();
    const now = opts.now ?? Date.now();
    const namespaces = opts.namespace ? [opts.namespace] : await this.store.namespaces();
    const reports: ConsolidationReport[] = [];
    for (const ns of namespaces) {
      // A whole namespace pass is one read-modify-write: it decays and rewrites what it scanned.
      const report = await this.stateLane.run(() =>
        consolidateNamespace(
          {
            store: this.store,
            remember: async (input) => (await this.remember(input)).id,
            forget: async (namespace, ids) => {
              const n = await this.store.deleteMemories(namespace, ids);
              this.dropForgotten(namespace, ids);
              return n;
            },
          },
          ns,
          opts,
          now,
        ),
      );
      reports.push(report);
    }
    return reports;
  }

  async addTriples(triples: readonly TripleInput[], namespace = 'default'): Promise<StoredTriple[]> {
    const ns = parse(NamespaceSchema, namespace, 'namespace');
    // A dense parsed copy, so a sparse array's holes are validated too; labels name the argument.
    const batch = parse(z.array(z.unknown()), triples, 'triples');
    const parsed = batch.map((t, i) => parse(TripleInputSchema, t, `triples [${i}]`));
    return addTriples(this.store, ns, parsed, Date.now());
  }

  async triples(filter: { subject?: string; predicate?: string; object?: string } = {}, namespace = 'default'): Promise<StoredTriple[]> {
    return this.store.triples(parse(NamespaceSchema, namespace, 'namespace'), filter);
  }

  async communities(namespace = 'default'): Promise<Map<string, number>> {
    return detectCommunities(this.store, parse(NamespaceSchema, namespace, 'namespace'));
  }

  async graphHealth(namespace = 'default', now = Date.now()): Promise<GraphHealth> {
    return graphHealth(this.store, parse(NamespaceSchema, namespace, 'namespace'), now);
  }

  /** Feeds one interoceptive signal to the hub. */
  async signal(input: InteroceptiveSignalInput, namespace = 'default'): Promise<void> {
    const ns = parse(NamespaceSchema, namespace, 'namespace');
    (await this.hubFor(ns)).signal(ns, input);
  }

  /** Feeds a host metric (latency, tokens, errors, ...); returns its anomaly score 0..1. */
  async metric(input: HostMetricInput, namespace = 'default'): Promise<number> {
    const ns = parse(NamespaceSchema, namespace, 'namespace');
    return (await this.hubFor(ns)).metric(ns, input);
  }

  /** A skill router's decision for a turn; `low` is cognitive dissonance for the domain (see InteroceptiveHub.observeRouting). */
  async observeRouting(input: RoutingInput, namespace = 'default'): Promise<RoutingObservationResult> {
    const ns = parse(NamespaceSchema, namespace, 'namespace');
    return (await this.hubFor(ns)).observeRouting(ns, input);
  }

  /**
   * How an action went: behaviour feedback and neuromodulators in the hub, somatic markers for the
   * situation (when given) and outcome-gated reinforcement of the memories used.
   */
  async feedback(input: FeedbackInput & { namespace?: string; situation?: string }): Promise<FeedbackEffect> {
    const { namespace, situation, ...rest } = parse(InsulaFeedbackSchema, input, 'feedback');
    const hub = await this.hubFor(namespace);
    const embedding = situation ? (await this.embed([situation]))[0] : undefined;
    // Only this namespace's memories: a somatic marker must not hold another namespace's ids.
    const ids = rest.memoryIds?.length ? (await this.store.getMemories(namespace, rest.memoryIds)).map((m) => m.id) : rest.memoryIds;
    const effect = hub.feedback(namespace, { ...rest, ...(ids ? { memoryIds: ids } : {}) }, embedding);
    const success = rest.success;
    if (ids?.length) await this.reinforce({ namespace, ids, outcome: 2 * Number(success) - 1 });
    return effect;
  }

  async setSoul(markdown: string, namespace = 'default'): Promise<number> {
    const ns = parse(NamespaceSchema, namespace, 'namespace');
    return (await this.hubFor(ns)).setSoul(ns, markdown, (texts) => this.embed(texts));
  }

  async state(namespace = 'default'): Promise<HubState> {
    const ns = parse(NamespaceSchema, namespace, 'namespace');
    return (await this.hubFor(ns)).state(ns);
  }

  async regulate(namespace = 'default'): Promise<RegulationAction[]> {
    const ns = parse(NamespaceSchema, namespace, 'namespace');
    return (await this.hubFor(ns)).regulate(ns);
  }

  /** Waits for deferred bookkeeping (access records, Hebbian updates, extraction) and writes hub state changed since its last save, a failed save's included. */
  flush(): Promise<void> {
    for (const ns of this.hubSaveTimers.keys()) this.queueHubSave(ns);
    for (const ns of this.hubUnsaved) if (!this.hubDirty.has(ns)) this.queueHubSave(ns);
    return this.background.flush();
  }

  async close(): Promise<void> {
    await this.flush();
    await this.store.close();
    await this.embedder.close();
  }
}

const FOCUS_OF_ATTENTION = 3;

interface Retrieval {
  namespace: string;
  ids: readonly string[];
  now: number;
  outcome: number | undefined;
}

/** Two memories active together; `gate` scales the learning rate (0..1). */
interface CoActivation {
  a: string;
  b: string;
  gate: number;
}

