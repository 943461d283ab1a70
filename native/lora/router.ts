/**
 * The skill router: embeds a turn, scores it against every skill card's centroid with the router
 * graph (./router-graph.ts) and picks the adapter with a confidence (its probability). The
 * confidence goes to the hub (`observeDecision`), which judges it against the domain's own routing
 * baseline: a low one is cognitive dissonance and becomes a `learn` regulation action.
 * The registry is persisted in the insula store when one is given (saved shortly after changes).
 */
import { z } from 'zod';
import type { Insula } from '../../src/insula.js';
import { DomainSchema, InsulaValidationError, NamespaceSchema, parse } from '../../src/memory/schema.js';
import type { Embedder } from '../embedder.js';
import { createSession, ort, RuntimeOptionsSchema, type LoadedSession } from '../onnx/session.js';
import { buildRouterGraph, ROUTER_INPUTS, ROUTER_OUTPUTS, type RouterGate } from './router-graph.js';
import {
  addSkill,
  centroid,
  emptySkillRegistry,
  learnExamples,
  loadSkillRegistry,
  recordOutcome,
  recordRouted,
  saveSkillRegistry,
  setGate,
  SKILL_REGISTRY_KEY,
  successRate,
  type MetaStore,
  type SkillCardInput,
  type SkillRegistry,
} from './skill-registry.js';

export const SkillRouterOptionsSchema = RuntimeOptionsSchema.extend({
  /** Softmax temperature over cosine similarities: lower is more decisive. */
  temperature: z.number().gt(0).max(10).default(0.05),
  /** Learning rate of the online gate from outcomes (0: the gate stays as it is). */
  gateRate: z.number().min(0).max(10).default(0),
  /** A store to keep the registry in (e.g. `insula.store`); it is loaded from there when present. */
  store: z.custom<MetaStore>((v) => typeof v === 'object' && v !== null && typeof (v as MetaStore).getMeta === 'function' && typeof (v as MetaStore).setMeta === 'function').optional(),
  key: z.string().min(1).max(256).default(SKILL_REGISTRY_KEY),
  /** Registry changes (usage stats included) are saved this long after the first unsaved one. */
  saveDelayMs: z.number().int().min(0).max(60_000).default(1000),
}).strict();
export type SkillRouterOptions = z.input<typeof SkillRouterOptionsSchema>;

/** The adapter for a turn, as a host serving several LoRA adapters needs it. */
export interface ChosenAdapter {
  /** The name the host serves it under. */
  name: string;
  /** Its base model. */
  model: string;
  /** Where the adapter is. */
  location: string;
  confidence: number;
}

export interface RouteDecision {
  /** The most probable adapter; null when the registry is empty. */
  adapter: ChosenAdapter | null;
  /** Its probability (0 when there is none). */
  confidence: number;
  /** The skills that competed, in registry order (one array shared by a batch's decisions). */
  skills: readonly string[];
  /** Each skill's probability and cosine similarity, aligned with `skills`. */
  probabilities: Float32Array;
  similarity: Float32Array;
  /** Adapters that competed. */
  choices: number;
}

/** A skill's probability in a decision (0 when it did not compete). */
export function probabilityOf(decision: RouteDecision, skill: string): number {
  const i = decision.skills.indexOf(skill);
  return i < 0 ? 0 : decision.probabilities[i]!;
}

type RouteInput = string | Float32Array;

/** The session for one set of centroids and gates; `uses` counts runs in flight so a replaced one is released only when idle. */
interface GraphEntry {
  means: Array<Float32Array>;
  gates: Array<unknown>;
  session: Promise<LoadedSession>;
  uses: number;
  replaced: boolean;
}

export class SkillRouter {
  private current: SkillRegistry;
  private graph: GraphEntry | null = null;
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  private dirty = false;
  private closed = false;

  private constructor(
    readonly embedder: Embedder,
    private readonly opts: z.output<typeof SkillRouterOptionsSchema>,
    registry: SkillRegistry,
  ) {
    this.current = registry;
  }

  /** A router over `registry`, else the one in `options.store`, else an empty one for this embedder. */
  static async create(embedder: Embedder, options: SkillRouterOptions = {}, registry?: SkillRegistry): Promise<SkillRouter> {
    const opts = parse(SkillRouterOptionsSchema, options, 'skill router options');
    const start = registry ?? (opts.store ? await loadSkillRegistry(opts.store, opts.key) : null) ?? emptySkillRegistry(embedder.name, embedder.dims);
    if (start.embedder !== embedder.name || start.dims !== embedder.dims) {
      throw new InsulaValidationError('skill registry', [], `its centroids are ${start.dims}-d vectors of ${start.embedder}; the router's embedder is ${embedder.name} (${embedder.dims}-d)`);
    }
    return new SkillRouter(embedder, opts, start);
  }

  get registry(): SkillRegistry {
    return this.current;
  }

  /** Applies a registry change (one of skill-registry.ts's functions) and schedules its save. */
  update(change: (registry: SkillRegistry) => SkillRegistry): SkillRegistry {
    if (this.closed) throw new Error('skill router is closed');
    const next = change(this.current);
    if (next.embedder !== this.current.embedder || next.dims !== this.current.dims) throw new InsulaValidationError('skill registry', [], 'a change may not switch its embedder');
    this.current = next;
    this.scheduleSave();
    return next;
  }

  /** Adds a skill whose centroid is the mean embedding of its description and example requests. */
  async addSkill(card: SkillCardInput, examples: readonly string[] = []): Promise<SkillRegistry> {
    const texts = [card.description ?? '', ...examples].filter((t) => t.trim() !== '');
    if (texts.length === 0) throw new InsulaValidationError('skill card', [], 'give a description or at least one example request');
    const embeddings = await this.embedder.embed(texts);
    return this.update((r) => addSkill(r, card, embeddings));
  }

  /** Moves a skill's centroid towards more example requests (running mean). */
  async learn(name: string, examples: readonly string[]): Promise<SkillRegistry> {
    const embeddings = await this.embedder.embed(parse(z.array(z.string().min(1)).min(1), examples, `examples of ${name}`));
    return this.update((r) => learnExamples(r, name, embeddings));
  }

  async route(input: RouteInput): Promise<RouteDecision> {
    return (await this.routeMany([input]))[0]!;
  }

  /** One graph call for the whole batch; each chosen adapter's usage is counted. */
  async routeMany(inputs: readonly RouteInput[]): Promise<RouteDecision[]> {
    const decisions = await this.decide(inputs);
    const now = Date.now();
    const chosen = decisions.flatMap((d) => (d.adapter ? [d.adapter.name] : []));
    // A skill removed while the batch ran is no longer there to count.
    if (chosen.length > 0) this.update((r) => chosen.reduce((acc, name) => (acc.cards.some((c) => c.name === name) ? recordRouted(acc, name, now) : acc), r));
    return decisions;
  }

  /**
   * How a turn routed to `adapter` went (true/false or 0..1): its success statistics, and with
   * gateRate > 0 a policy-gradient step of the gate on the turn's input (`situation`).
   */
  async recordOutcome(adapter: string, success: boolean | number, situation?: RouteInput): Promise<void> {
    const reward = parse(z.union([z.boolean(), z.number().min(0).max(1)]), success, `outcome for ${adapter}`);
    const card = this.current.cards.find((c) => c.name === adapter);
    if (!card) return; // removed since it was routed to: nothing left to credit
    if (this.opts.gateRate > 0 && situation !== undefined) {
      const [embedding] = await this.embedAll([situation]);
      const [decision] = await this.decide([embedding!]);
      const advantage = Number(reward) - successRate(card.stats);
      this.update((r) => reinforceGate(r, embedding!, decision!, adapter, advantage, this.opts.gateRate / this.opts.temperature));
    }
    this.update((r) => recordOutcome(r, adapter, reward));
  }

  /** Writes the registry now if it changed since its last save (no-op without a store). */
  async flush(): Promise<void> {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (!this.dirty || !this.opts.store) return this.saving;
    this.dirty = false;
    const store = this.opts.store;
    const snapshot = this.current;
    // Saves run one after another; a failed one leaves the registry dirty for the next flush.
    const save = this.saving.then(() => saveSkillRegistry(store, snapshot, this.opts.key));
    this.saving = save.catch(() => {
      this.dirty = true;
    });
    return save;
  }

  /** Saves and releases the sessions; the embedder stays open (the caller owns it). */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    const graph = this.graph;
    this.graph = null;
    if (!graph) return;
    // A run still in flight releases it when it ends (see decide).
    graph.replaced = true;
    if (graph.uses === 0) await this.retire(graph);
  }

  private scheduleSave(): void {
    this.dirty = true;
    if (!this.opts.store || this.saveTimer) return;
    this.saveTimer = setTimeout(() => void this.flush().catch(() => undefined), this.opts.saveDelayMs);
    // A pending save must not keep a finished process alive; close() and flush() write it.
    this.saveTimer.unref();
  }

  private async embedAll(inputs: readonly RouteInput[]): Promise<Float32Array[]> {
    const texts = inputs.flatMap((x) => (typeof x === 'string' ? [x] : []));
    const embedded = texts.length > 0 ? await this.embedder.embed(texts) : [];
    let next = 0;
    return inputs.map((x, i) => {
      const v = typeof x === 'string' ? embedded[next++]! : x;
      if (v.length !== this.current.dims || !allFinite(v)) throw new InsulaValidationError('route input', [], `input ${i}: expected ${this.current.dims} finite numbers`);
      return v;
    });
  }

  private async decide(inputs: readonly RouteInput[]): Promise<RouteDecision[]> {
    if (this.closed) throw new Error('skill router is closed');
    const embeddings = await this.embedAll(inputs);
    const cards = this.current.cards;
    const n = cards.length;
    if (n === 0) return embeddings.map(() => ({ adapter: null, confidence: 0, skills: [], probabilities: new Float32Array(0), similarity: new Float32Array(0), choices: 0 }));
    const d = this.current.dims;
    const batch = new Float32Array(embeddings.length * d);
    embeddings.forEach((e, b) => batch.set(e, b * d));
    const graph = this.graphFor(cards);
    graph.uses++;
    let out: ort.InferenceSession.ReturnType;
    try {
      const { session } = await graph.session;
      out = await session.run({
        [ROUTER_INPUTS.embedding]: new ort.Tensor('float32', batch, [embeddings.length, d]),
        [ROUTER_INPUTS.temperature]: new ort.Tensor('float32', Float32Array.of(this.opts.temperature), [1]),
      });
    } finally {
      graph.uses--;
      if (graph.replaced && graph.uses === 0) void this.retire(graph);
    }
    const probs = out[ROUTER_OUTPUTS.probabilities]!.data as Float32Array;
    const sims = out[ROUTER_OUTPUTS.similarity]!.data as Float32Array;
    const skills = cards.map((c) => c.name);
    return embeddings.map((_, b) => {
      const probabilities = probs.slice(b * n, (b + 1) * n);
      let best = 0;
      for (let j = 1; j < n; j++) if (probabilities[j]! > probabilities[best]!) best = j;
      const card = cards[best]!;
      const confidence = probabilities[best]!;
      return {
        adapter: { name: card.name, model: card.baseModel, location: card.adapter, confidence },
        confidence,
        skills,
        probabilities,
        similarity: sims.slice(b * n, (b + 1) * n),
        choices: n,
      };
    });
  }

  /** The graph for these cards, rebuilt only when a centroid or a gate changed (usage stats do not). */
  private graphFor(cards: SkillRegistry['cards']): GraphEntry {
    const g = this.graph;
    if (g && g.means.length === cards.length && cards.every((card, j) => card.mean === g.means[j] && card.gate === g.gates[j])) return g;
    const d = this.current.dims;
    const n = cards.length;
    const centroids = new Float32Array(n * d);
    cards.forEach((card, j) => centroids.set(centroid(card), j * d));
    let gate: RouterGate | undefined;
    if (cards.some((card) => card.gate !== null)) {
      gate = { weights: new Float32Array(d * n), bias: new Float32Array(n) };
      cards.forEach((card, j) => {
        if (!card.gate) return;
        for (let k = 0; k < d; k++) gate!.weights[k * n + j] = card.gate.weights[k]!;
        gate!.bias[j] = card.gate.bias;
      });
    }
    const session = createSession(buildRouterGraph({ centroids, skills: n, dims: d, ...(gate ? { gate } : {}) }), { threads: this.opts.threads, device: this.opts.device });
    const entry: GraphEntry = { means: cards.map((card) => card.mean), gates: cards.map((card) => card.gate), session, uses: 0, replaced: false };
    // A failed load is retried on the next call rather than cached.
    session.catch(() => {
      if (this.graph === entry) this.graph = null;
    });
    if (g) {
      g.replaced = true;
      if (g.uses === 0) void this.retire(g);
    }
    this.graph = entry;
    return entry;
  }

  private async retire(entry: GraphEntry): Promise<void> {
    const loaded = await entry.session.catch(() => null);
    await loaded?.session.release();
  }
}

/** A plain loop: `every(Number.isFinite)` costs a callback per component on the hot path. */
function allFinite(v: Float32Array): boolean {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i]!)) return false;
  return true;
}

/**
 * One REINFORCE step on the gate: ∂ log p_chosen / ∂ logit_j = (1[j = chosen] − p_j) / T, times the
 * advantage (reward minus the adapter's usual success rate), on the normalised input. Success makes
 * the chosen adapter likelier for similar inputs; failure, less likely. Skills added since the
 * decision have no probability in it and are left alone.
 */
export function reinforceGate(registry: SkillRegistry, embedding: Float32Array, decision: RouteDecision, chosen: string, advantage: number, rate: number): SkillRegistry {
  const norm = Math.sqrt(embedding.reduce((s, x) => s + x * x, 0));
  if (norm === 0 || advantage === 0) return registry;
  let next = registry;
  for (const card of registry.cards) {
    const i = decision.skills.indexOf(card.name);
    if (i < 0) continue;
    const p = decision.probabilities[i]!;
    const step = rate * advantage * ((card.name === chosen ? 1 : 0) - p);
    const weights = card.gate ? Float32Array.from(card.gate.weights) : new Float32Array(registry.dims);
    for (let k = 0; k < weights.length; k++) weights[k]! += (step * embedding[k]!) / norm;
    next = setGate(next, card.name, { weights, bias: (card.gate?.bias ?? 0) + step });
  }
  return next;
}

export const ObserveDecisionSchema = z
  .object({
    namespace: NamespaceSchema.default('default'),
    domain: DomainSchema.default('general'),
  })
  .strict();

/**
 * Feeds a decision's confidence to the hub; `dissonant` is true when it is low against the
 * domain's routing baseline (then `insula.regulate` holds a `learn` action for the domain).
 * A decision with no adapters to choose from says nothing about confidence and is not fed.
 */
export async function observeDecision(insula: Insula, decision: RouteDecision, where: z.input<typeof ObserveDecisionSchema> = {}): Promise<{ dissonant: boolean; usual: number | null }> {
  const { namespace, domain } = parse(ObserveDecisionSchema, where, 'routing observation');
  if (decision.choices === 0 || !insula.hub) return { dissonant: false, usual: null };
  const { low, usual } = await insula.observeRouting({ domain, adapter: decision.adapter?.name ?? null, confidence: decision.confidence, choices: decision.choices }, namespace);
  return { dissonant: low, usual };
}
