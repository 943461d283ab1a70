/**
 * The seed's AiLifeform (§3): a persistent entity over an Insula store that serves tasks through
 * fascicles (LangGraph graphs taking and giving `events`), lives on a heartbeat (nutrient release,
 * reflection, consolidation, apoptosis), pays for every model call from a token budget, chooses
 * each evaluated task's tier by expected value per token learned per domain in the hub
 * (tier-choice.ts), and switches to cheaper models and simpler fascicles when hungry. Its state — budget, policy,
 * override, ledger, fascicle stats — is kept in the store's namespace meta, so a lifeform reopened
 * over the same store resumes where it stopped.
 */
import { HumanMessage, SystemMessage } from '@langchain/core/messages';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { RunnableConfig } from '@langchain/core/runnables';
import type { StructuredToolInterface } from '@langchain/core/tools';
import { END, START, StateGraph } from '@langchain/langgraph';
import { z } from 'zod';
import { detectDomain } from '../../../src/hooks/turn-appraisal.js';
import type { Insula } from '../../../src/insula.js';
import { DomainSchema, InsulaValidationError, NamespaceSchema, parse } from '../../../src/memory/schema.js';
import { namespaceMetaKey } from '../../../src/memory/store.js';
import type { Fascicle } from '../fascicle.js';
import { NeuronEventSchema, type FascicleInput, type FascicleOutput, type NeuronEvent } from '../neurons/events.js';
import { ChatModelSchema, ToolSchema } from '../neurons/neuron.js';
import { FascicleState, renderEvents, type FascicleStateValue } from '../neurons/state.js';
import { instantiateFascicle, type FascicleSpec } from '../spec.js';
import {
  ageFascicle,
  apoptosisCandidates,
  ApoptosisParamsSchema,
  CompositeParamsSchema,
  FascicleStatsSchema,
  newFascicleStats,
  offerCompositeTools,
  recordUse,
  recordValue,
  ToolTrace,
} from './life-tools.js';
import {
  affords,
  beatIndex,
  cheaperTiers,
  effectivePolicy,
  heartbeat,
  hunger,
  initialMetabolism,
  LedgerEntrySchema,
  MetabolismParamsSchema,
  MetabolismStateSchema,
  OverrideSchema,
  POLICIES,
  spend,
  topUp,
  TopUpSchema,
  type LedgerEntry,
  type Override,
  type Policy,
  type TopUp,
} from './metabolism.js';
import { chooseTier, TierChoiceParamsSchema, tierStrategy, tokenPrice, type TierEvidence } from './tier-choice.js';
import { UsageMeter, type UsageReport } from './usage.js';

/** A compiled fascicle: a LangGraph graph (or any runnable) from `{events}` to `{events, output}`. */
export interface CompiledFascicle {
  invoke(input: FascicleInput, config?: RunnableConfig): Promise<FascicleOutput>;
}
/** One tier's fascicle: a compiled graph, a built Fascicle, or a declarative spec (instantiated with the tier's model). */
export type FascicleVariant = CompiledFascicle | Fascicle | FascicleSpec;
/** Builds a fascicle's variant for a tier from that tier's model (called once per tier). */
export type FascicleFactory = (tier: { policy: Policy; model: BaseChatModel }) => FascicleVariant;
/** One variant for every tier, a factory, or variants per tier (a missing tier uses the next cheaper one, then any). */
export type FascicleSource = FascicleVariant | FascicleFactory | Partial<Record<Policy, FascicleVariant>>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isCompiled = (v: unknown): v is CompiledFascicle => isObject(v) && typeof v.invoke === 'function';
const isFascicle = (v: unknown): v is Fascicle => isObject(v) && typeof v.run === 'function' && isCompiled(v.graph);
const isSpec = (v: unknown): v is FascicleSpec => isObject(v) && Array.isArray(v.neurons);
const isVariant = (v: unknown): v is FascicleVariant => isCompiled(v) || isFascicle(v) || isSpec(v);
const FascicleNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, 'fascicle name: 1-128 characters from A-Z a-z 0-9 _ . : -');
const FascicleSourceSchema = z.custom<FascicleSource>(
  (v) => typeof v === 'function' || isVariant(v) || (isObject(v) && Object.keys(v).length > 0 && Object.entries(v).every(([k, f]) => (POLICIES as readonly string[]).includes(k) && isVariant(f))),
  'a compiled fascicle, a Fascicle, a fascicle spec, a factory (tier) => fascicle, or variants per tier {eco?, default?, hyper?}',
);

export const FascicleOptionsSchema = z
  .object({
    /** Never pruned by apoptosis. */
    protected: z.boolean().default(false),
    /** Install even if apoptosis pruned this name before (pruned names stay pruned across restarts otherwise). */
    revive: z.boolean().default(false),
  })
  .strict();
export type FascicleOptions = z.input<typeof FascicleOptionsSchema>;

const ReflectionOptionsSchema = z
  .object({
    /** New served tasks needed before a reflection. */
    minEvents: z.number().int().min(1).default(3),
    /** Most recent tasks a reflection reads. */
    maxEvents: z.number().int().min(1).max(200).default(20),
    /** No reflection above this hunger: reflection is worth less than serving (seed §5.1). */
    maxHunger: z.number().min(0).max(1).default(0.5),
    /** Importance of the stored insight. */
    importance: z.number().min(0).max(1).default(0.6),
  })
  .strict();

const ConsolidationScheduleSchema = z
  .object({
    /** Beats between consolidation passes (insula.consolidate; local, no tokens). */
    everyBeats: z.number().int().min(1).default(60),
  })
  .strict();

export const LifeformOptionsSchema = z
  .object({
    insula: z.custom<Insula>((v) => typeof v === 'object' && v !== null && 'store' in v && typeof (v as Insula).remember === 'function', 'an open Insula'),
    namespace: NamespaceSchema.default('default'),
    /** Several lifeforms may share a namespace under different names. */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'name: 1-64 characters from A-Z a-z 0-9 _ . -').default('lifeform'),
    /** The chat model of each policy tier: cheap when hungry (eco), strong when fed (hyper). */
    models: z.object({ eco: ChatModelSchema, default: ChatModelSchema, hyper: ChatModelSchema }).strict(),
    /**
     * What fascicle specs are instantiated with: models and tools by key. The key `tier` is the
     * current tier's model, so a spec neuron with `model: "tier"` runs cheaper when hungry.
     */
    registry: z.object({ models: z.record(z.string(), ChatModelSchema).default({}), tools: z.record(z.string(), ToolSchema).default({}) }).strict().prefault({}),
    fascicles: z.record(FascicleNameSchema, FascicleSourceSchema).default({}),
    /** The fascicle serve() uses when the task names none; the first one given by default. */
    serveWith: FascicleNameSchema.optional(),
    /**
     * When the hunger band's (or the forced) tier costs more than the reserve holds, serve with the
     * next cheaper tier that fits; false starves the task instead (a lifeform pinned to one tier).
     * The value-per-token choice only ever considers affordable tiers.
     */
    stepDown: z.boolean().default(true),
    /**
     * How an evaluated task's tier is chosen: by expected value per token, learned per domain
     * through the hub's behaviour feedback (tier-choice.ts), or `false` for the hunger band alone.
     * Unevaluated tasks and forced tiers always use the hunger band / the override.
     */
    tierChoice: z.union([z.literal(false), TierChoiceParamsSchema]).prefault({}),
    /** Heartbeat interval. Beats are keyed by time (floor(now / interval)). */
    intervalMs: z.number().int().min(10).max(86_400_000).default(60_000),
    metabolism: MetabolismParamsSchema.prefault({}),
    apoptosis: ApoptosisParamsSchema.prefault({}),
    composite: CompositeParamsSchema.prefault({}),
    /** Reflection over recent tasks, stored as a semantic memory; false to turn it off. */
    reflection: z.union([z.literal(false), ReflectionOptionsSchema]).prefault({}),
    consolidation: z.union([z.literal(false), ConsolidationScheduleSchema]).prefault({}),
    /** Bounds of the persisted history. */
    maxLedger: z.number().int().min(1).max(100_000).default(1000),
    maxJournal: z.number().int().min(1).max(100_000).default(200),
    maxRecent: z.number().int().min(1).max(1000).default(50),
    maxTraces: z.number().int().min(1).max(10_000).default(200),
    /** Time source (ms); beats and ledger times use it. Defaults to Date.now. */
    clock: z.custom<() => number>((v) => typeof v === 'function').optional(),
    /** Called with contained failures (heartbeat, hub feedback, saves). */
    onError: z.custom<(error: Error, where: string) => void>((v) => typeof v === 'function').optional(),
  })
  .strict();
export type LifeformOptions = z.input<typeof LifeformOptionsSchema>;
type Options = z.output<typeof LifeformOptionsSchema>;

const JournalEntrySchema = z
  .object({
    at: z.number(),
    kind: z.enum(['policy', 'override', 'prune', 'revive', 'reflection', 'consolidation', 'starved', 'error', 'composite']),
    detail: z.string().max(2048),
  })
  .strict();
export type JournalEntry = z.infer<typeof JournalEntrySchema>;

const RecentTaskSchema = z
  .object({
    at: z.number(),
    fascicle: z.string(),
    policy: z.enum(POLICIES),
    input: z.string().max(2000),
    output: z.string().max(2000),
    tokens: z.number().min(0),
    value: z.number().min(0).max(1).nullable(),
  })
  .strict();

/** The persisted shape (version 1), checked field by field on load. */
const LifeformStateSchema = z
  .object({
    version: z.literal(1),
    metabolism: MetabolismStateSchema,
    ledger: z.array(LedgerEntrySchema),
    journal: z.array(JournalEntrySchema),
    fascicles: z.record(z.string(), FascicleStatsSchema),
    /** Expected cost of a fascicle at a tier (EWMA of its spend), keyed `fascicle|tier`. */
    costs: z.record(z.string(), z.number().min(0)),
    pruned: z.array(z.string()),
    recent: z.array(RecentTaskSchema),
    /** Served tasks not yet reflected on (the newest of `recent`). */
    unreflected: z.number().int().min(0),
    traces: z.array(z.array(z.string())),
    served: z.number().int().min(0),
    starved: z.number().int().min(0),
    heartbeat: z.object({ beats: z.number().int().min(0), failures: z.number().int().min(0), lastError: z.string().nullable(), lastConsolidation: z.number().int().nullable() }).strict(),
  })
  .strict();
type LifeformState = z.infer<typeof LifeformStateSchema>;

const ServeInputSchema = z
  .object({
    /** The task: events for the fascicle, or a user message. */
    events: z.union([z.string().min(1).max(200_000), z.array(NeuronEventSchema).min(1).max(1000)]),
    /** Which fascicle serves it (serveWith by default). */
    fascicle: FascicleNameSchema.optional(),
    /** The kind of task, the hub domain its tier outcomes are learned in; detected from the text (detectDomain) when omitted. */
    domain: DomainSchema.optional(),
    /** What a success on this task is worth, in the units of tierChoice.tokenValue (a task worth 4 may buy 4× the tokens). */
    worth: z.number().gt(0).max(1_000_000).default(1),
    /** Judges the output: 0..1, fed to the fascicle's value and to the hub as feedback. */
    evaluate: z.custom<(output: unknown, events: NeuronEvent[]) => number | Promise<number>>((v) => typeof v === 'function').optional(),
    memo: z.string().max(512).optional(),
  })
  .strict();
export type ServeInput = z.input<typeof ServeInputSchema>;

export type ServeResult =
  | {
      status: 'served';
      fascicle: string;
      /** The domain its tier outcome was recorded in. */
      domain: string;
      /** The tier that served (the policy, or a cheaper tier the reserve could afford). */
      policy: Policy;
      output: unknown;
      events: NeuronEvent[];
      tokens: number;
      usage: UsageReport;
      /** Tools called during the task, in order. */
      tools: string[];
      value: number | null;
    }
  | { status: 'starved'; fascicle: string; policy: Policy; reserve: number; reason: string };

export interface BeatReport {
  index: number;
  /** False when this beat's index was already released (a manual beat, or a restart within the interval). */
  fresh: boolean;
  released: number;
  hunger: number;
  policy: Policy;
  reflected: boolean;
  consolidated: boolean;
  pruned: string[];
  /** Set when the beat failed (contained; counted in status().heartbeat.failures). */
  error: string | null;
}

const PolicyOverrideSchema = z.object({ strategy: OverrideSchema, reason: z.string().max(512).optional() }).strict();

/** The domain the lifeform's metabolism and fascicle outcomes report to in the hub. */
export const METABOLISM_DOMAIN = 'metabolism';
export const LIFEFORM_DOMAIN = 'lifeform';
/** Learning rate of the per-tier cost estimates. */
const COST_RATE = 0.3;

interface Installed {
  source: FascicleSource;
  variants: Map<Policy, CompiledFascicle>;
  protected: boolean;
}

export class Lifeform {
  private readonly fascicleTable = new Map<string, Installed>();
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private inFlight: Promise<BeatReport> | null = null;
  private beatTail: Promise<unknown> = Promise.resolve();
  private saveTail: Promise<void> = Promise.resolve();
  private saveQueued = false;
  private closed = false;

  private constructor(
    private readonly opts: Options,
    private state: LifeformState,
  ) {
    this.clock = opts.clock ?? Date.now;
  }

  /** Opens a lifeform over `insula`, resuming its persisted state when there is one. */
  static async open(options: LifeformOptions): Promise<Lifeform> {
    const opts = parse(LifeformOptionsSchema, options, 'lifeform options');
    if (opts.serveWith && !(opts.serveWith in opts.fascicles)) throw new InsulaValidationError('lifeform options', [], `serveWith: no fascicle named ${opts.serveWith}`);
    const json = await opts.insula.store.getMeta(stateKey(opts));
    const state = json === null ? initialState(opts) : parse(LifeformStateSchema, JSON.parse(json), `lifeform state of ${opts.name}`);
    const lifeform = new Lifeform(opts, state);
    if (opts.reflection !== false) lifeform.install(REFLECTION, reflectionFascicle, true);
    for (const [name, source] of Object.entries(opts.fascicles)) lifeform.addFascicle(name, source);
    return lifeform;
  }

  get name(): string {
    return this.opts.name;
  }

  get namespace(): string {
    return this.opts.namespace;
  }

  // ---- fascicles -------------------------------------------------------------------------------

  /**
   * Installs a fascicle. A name apoptosis pruned stays pruned (returns false) unless `revive` is
   * set: what the lifeform learned to drop is not brought back by a restart's configuration.
   */
  addFascicle(source: FascicleSpec | Fascicle, options?: FascicleOptions): boolean;
  addFascicle(name: string, source: FascicleSource, options?: FascicleOptions): boolean;
  addFascicle(first: string | FascicleSpec | Fascicle, second?: FascicleSource | FascicleOptions, third: FascicleOptions = {}): boolean {
    const named = typeof first === 'string';
    const n = parse(FascicleNameSchema, named ? first : first.name, 'fascicle name');
    const source = named ? second : first;
    const options = (named ? third : second) ?? {};
    if (n === REFLECTION) throw new InsulaValidationError('fascicle name', [], `${REFLECTION} is the lifeform's own reflection`);
    const src = parse(FascicleSourceSchema, source, `fascicle ${n}`);
    const o = parse(FascicleOptionsSchema, options, 'fascicle options');
    // A spec is checked now (fields named), not at its first task.
    for (const variant of isSpec(src) ? [src] : isObject(src) && !isVariant(src) ? Object.values(src).filter(isSpec) : []) this.instantiate(variant, this.opts.models.default);
    if (this.state.pruned.includes(n)) {
      if (!o.revive) return false;
      this.state.pruned = this.state.pruned.filter((p) => p !== n);
      this.note('revive', `${n} revived by the operator`);
    }
    this.install(n, src, o.protected);
    this.save();
    return true;
  }

  private instantiate(spec: FascicleSpec, model: BaseChatModel): Fascicle {
    return instantiateFascicle(spec, {
      models: { ...this.opts.registry.models, tier: model },
      tools: this.opts.registry.tools,
      insula: { client: this.opts.insula, namespace: this.opts.namespace },
    });
  }

  /** Any variant as a compiled fascicle. */
  private compiled(variant: FascicleVariant, model: BaseChatModel): CompiledFascicle {
    if (isCompiled(variant)) return variant;
    const f = isFascicle(variant) ? variant : this.instantiate(variant, model);
    return { invoke: (input, config) => f.run(input, config) };
  }

  private install(name: string, source: FascicleSource, isProtected: boolean): void {
    this.fascicleTable.set(name, { source, variants: new Map(), protected: isProtected });
    this.state.fascicles[name] ??= newFascicleStats();
  }

  /** Removes a fascicle (the operator's, not apoptosis: the name may be added again). */
  removeFascicle(name: string): boolean {
    const had = this.fascicleTable.delete(name);
    delete this.state.fascicles[name];
    if (had) this.save();
    return had;
  }

  /** The fascicle's variant for a tier, built on first use. */
  private variant(name: string, policy: Policy): CompiledFascicle {
    const f = this.fascicleTable.get(name)!;
    const cached = f.variants.get(policy);
    if (cached) return cached;
    const src = f.source;
    const model = this.opts.models[policy];
    let variant: FascicleVariant;
    if (typeof src === 'function') variant = src({ policy, model });
    else if (isVariant(src)) variant = src;
    // The tier asked for, else the next cheaper, else any the source has.
    else variant = [...cheaperTiers(policy), ...POLICIES].map((p) => src[p]).find((v) => v !== undefined)!;
    const built = this.compiled(variant, model);
    f.variants.set(policy, built);
    return built;
  }

  // ---- serving ---------------------------------------------------------------------------------

  /**
   * Serves one task with the fascicle's variant at a tier: an evaluated task's tier is chosen by
   * expected value per token in its domain (see chooseTier), any other task's by the hunger band;
   * an operator's forced tier pins it. A tier whose expected cost the reserve cannot cover is
   * passed over for a cheaper one (`stepDown: false` starves instead); with nothing affordable the
   * task is starved (no model is called). The tokens the models report are debited.
   */
  async serve(task: ServeInput): Promise<ServeResult> {
    this.assertOpen();
    const t = parse(ServeInputSchema, task, 'task');
    const fascicle = t.fascicle ?? this.defaultFascicle();
    if (!this.fascicleTable.has(fascicle) || fascicle === REFLECTION) throw new InsulaValidationError('task', [], `fascicle: no fascicle named ${fascicle}`);
    const events: NeuronEvent[] = typeof t.events === 'string' ? [{ role: 'user', content: t.events }] : t.events;
    const domain = t.domain ?? detectDomain(events.map((e) => e.content).join('\n'));
    const policy = effectivePolicy(this.state.metabolism);
    const affordable = (p: Policy) => affords(this.state.metabolism, this.state.costs[`${fascicle}|${p}`] ?? 0);
    const byValue = this.opts.tierChoice !== false && t.evaluate !== undefined && this.state.metabolism.override === 'default';
    const tiers = byValue ? POLICIES.filter(affordable) : this.opts.stepDown ? cheaperTiers(policy) : [policy];
    const tier = byValue ? await this.valueTier(fascicle, domain, t.worth, tiers) : tiers.find(affordable);
    if (!tier) {
      this.state.starved++;
      const reason = `reserve ${Math.round(this.state.metabolism.reserve)} cannot cover ${fascicle} at ${byValue ? 'any tier' : tiers.at(-1)}`;
      this.note('starved', reason);
      this.save();
      return { status: 'starved', fascicle, policy, reserve: this.state.metabolism.reserve, reason };
    }
    const run = await this.runFascicle(fascicle, tier, events, t.memo);
    const value = t.evaluate ? Math.min(1, Math.max(0, Number(await t.evaluate(run.output.output, run.output.events)) || 0)) : null;
    this.recordTask({ at: this.clock(), fascicle, policy: tier, input: clip(events.map((e) => e.content).join('\n')), output: clip(text(run.output.output)), tokens: run.usage.totalTokens, value });
    if (value === null) this.save();
    else {
      await this.reward(fascicle, value);
      await this.feedHub({ domain, strategy: tierStrategy(tier), success: value });
    }
    return { status: 'served', fascicle, domain, policy: tier, output: run.output.output, events: run.output.events, tokens: run.usage.totalTokens, usage: run.usage, tools: run.tools, value };
  }

  /** The affordable tier of highest expected value per token for this task (none when nothing is affordable). */
  private async valueTier(fascicle: string, domain: string, worth: number, affordable: Policy[]): Promise<Policy | undefined> {
    const choice = this.opts.tierChoice;
    if (choice === false || affordable.length === 0) return undefined;
    return chooseTier({
      tiers: affordable,
      evidence: await this.tierEvidence(domain),
      costs: Object.fromEntries(POLICIES.map((p) => [p, this.state.costs[`${fascicle}|${p}`]])),
      worth,
      price: tokenPrice(hunger(this.state.metabolism, this.opts.metabolism), choice.tokenValue),
      optimism: choice.optimism,
    }).tier;
  }

  /** The hub's record of each tier in a domain; none when the hub cannot be read (the choice then explores). */
  private async tierEvidence(domain: string): Promise<Partial<Record<Policy, TierEvidence>>> {
    try {
      const strategies = (await this.opts.insula.state(this.opts.namespace)).domains[domain]?.strategies ?? {};
      return Object.fromEntries(POLICIES.flatMap((p) => (strategies[tierStrategy(p)] ? [[p, strategies[tierStrategy(p)]!]] : [])));
    } catch (err) {
      this.contain(err, 'hub state');
      return {};
    }
  }

  /** Behaviour feedback to the hub; the hub is advisory here, so its failure must not fail the task. */
  private async feedHub(outcome: { domain: string; strategy: string; success: number }): Promise<void> {
    try {
      await this.opts.insula.feedback({ namespace: this.opts.namespace, ...outcome, time: this.clock() });
    } catch (err) {
      this.contain(err, 'hub feedback');
    }
  }

  /** How a fascicle's outcome went (0..1): its value for apoptosis, and behaviour feedback in the hub. */
  async reward(fascicle: string, value: number): Promise<void> {
    const v = parse(z.number().min(0).max(1), value, 'value');
    const stats = this.state.fascicles[fascicle];
    if (!stats) throw new InsulaValidationError('reward', [], `fascicle: no fascicle named ${fascicle}`);
    this.state.fascicles[fascicle] = recordValue(stats, v, this.opts.apoptosis);
    this.save();
    await this.feedHub({ domain: LIFEFORM_DOMAIN, strategy: `fascicle:${fascicle}`, success: v });
  }

  private defaultFascicle(): string {
    const name = this.opts.serveWith ?? [...this.fascicleTable.keys()].find((n) => n !== REFLECTION);
    if (!name) throw new InsulaValidationError('task', [], 'fascicle: the lifeform has no fascicle to serve with');
    return name;
  }

  /** Runs a fascicle at a tier, metering its tokens and tools, and debits the spend (also when it throws). */
  private async runFascicle(fascicle: string, tier: Policy, events: NeuronEvent[], memo?: string): Promise<{ output: FascicleOutput; usage: UsageReport; tools: string[] }> {
    const meter = new UsageMeter();
    const trace = new ToolTrace();
    let output: FascicleOutput | undefined;
    try {
      output = await this.variant(fascicle, tier).invoke({ events }, { callbacks: [meter, trace], runName: `${this.opts.name}:${fascicle}:${tier}`, metadata: { lifeform: this.opts.name, fascicle, policy: tier } });
    } finally {
      this.debit(fascicle, tier, meter.report(), memo);
      if (trace.tools.length > 0) this.state.traces = [...this.state.traces, trace.tools].slice(-this.opts.maxTraces);
    }
    return { output, usage: meter.report(), tools: trace.tools };
  }

  private debit(fascicle: string, tier: Policy, usage: UsageReport, memo?: string): void {
    const before = effectivePolicy(this.state.metabolism);
    const at = this.clock();
    for (const [model, u] of Object.entries(usage.byModel)) {
      if (u.totalTokens <= 0) continue;
      this.state.metabolism = spend(this.state.metabolism, u.totalTokens, this.opts.metabolism);
      this.ledgerAdd({ at, amount: u.totalTokens, kind: 'spend', model, fascicle, memo: memo ?? `${tier} tier` });
    }
    const key = `${fascicle}|${tier}`;
    const prior = this.state.costs[key];
    this.state.costs[key] = prior === undefined ? usage.totalTokens : prior + COST_RATE * (usage.totalTokens - prior);
    const stats = this.state.fascicles[fascicle];
    if (stats) this.state.fascicles[fascicle] = recordUse(stats, usage.totalTokens);
    this.notePolicyChange(before);
  }

  // ---- heartbeat -------------------------------------------------------------------------------

  /** Starts the heartbeat: one beat at each interval boundary, never two at once; the timer does not keep the process alive. */
  start(): void {
    this.assertOpen();
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  private schedule(): void {
    if (!this.running) return;
    const interval = this.opts.intervalMs;
    // Aligned to the boundary (plus a millisecond) so each timer fires in a new beat index.
    const delay = interval - (Date.now() % interval) + 1;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.inFlight = this.beat();
      void this.inFlight.finally(() => {
        this.inFlight = null;
        this.schedule();
      });
    }, delay);
    this.timer.unref();
  }

  /** Stops the heartbeat, waits for a beat in flight, and writes the state. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.inFlight) await this.inFlight;
    await this.flush();
  }

  get isRunning(): boolean {
    return this.running;
  }

  /**
   * One heartbeat now (the loop calls this; tests and benches may too). Beats run one at a time;
   * a failure is contained, counted and reported in the result.
   */
  beat(): Promise<BeatReport> {
    this.assertOpen();
    const next = this.beatTail.then(() => this.beatOnce());
    this.beatTail = next.catch(() => undefined);
    return next;
  }

  private async beatOnce(): Promise<BeatReport> {
    const now = this.clock();
    const index = beatIndex(now, this.opts.intervalMs);
    const before = effectivePolicy(this.state.metabolism);
    const result = heartbeat(this.state.metabolism, index, this.opts.metabolism);
    this.state.metabolism = result.state;
    if (result.released > 0) this.ledgerAdd({ at: now, amount: result.released, kind: 'release', memo: `beat ${index}` });
    this.notePolicyChange(before);
    const h = hunger(this.state.metabolism, this.opts.metabolism);
    const report: BeatReport = { index, fresh: result.beats > 0, released: result.released, hunger: h, policy: effectivePolicy(this.state.metabolism), reflected: false, consolidated: false, pruned: [], error: null };
    if (report.fresh) {
      this.state.heartbeat.beats++;
      report.pruned = this.apoptosis();
    }
    // Each step is contained on its own: a failing reflection model must not stop consolidation.
    const errors: string[] = [];
    const step = async <T>(where: string, task: () => Promise<T>, fallback: T): Promise<T> => {
      try {
        return await task();
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        this.state.heartbeat.failures++;
        this.state.heartbeat.lastError = `${where}: ${error.message}`.slice(0, 500);
        this.note('error', `beat ${index}, ${where}: ${error.message}`);
        errors.push(`${where}: ${error.message}`);
        this.contain(error, `heartbeat ${where}`);
        return fallback;
      }
    };
    await step('hunger signal', () => this.feelHunger(h, now), undefined);
    report.reflected = await step('reflection', () => this.reflectIfDue(h), false);
    report.consolidated = await step('consolidation', () => this.consolidateIfDue(index, now), false);
    report.error = errors.length > 0 ? errors.join('; ') : null;
    this.save();
    return report;
  }

  /** Hunger reaches the hub as a host signal in the metabolism domain: unpleasant and arousing in proportion. */
  private async feelHunger(h: number, now: number): Promise<void> {
    const m = this.state.metabolism;
    await this.opts.insula.signal(
      {
        source: 'host',
        domain: METABOLISM_DOMAIN,
        valence: -h,
        arousal: h,
        time: now,
        context: { metric: 'hunger', value: Math.round(h * 1000) / 1000, reserve: Math.round(m.reserve), policy: effectivePolicy(m), lifeform: this.opts.name },
      },
      this.opts.namespace,
    );
  }

  private apoptosis(): string[] {
    const p = this.opts.apoptosis;
    for (const name of this.fascicleTable.keys()) {
      const s = this.state.fascicles[name];
      if (s) this.state.fascicles[name] = ageFascicle(s, p);
    }
    const keep = new Set([...this.fascicleTable].filter(([n, f]) => f.protected || n === this.opts.serveWith).map(([n]) => n));
    const installed = new Map([...this.fascicleTable.keys()].map((n) => [n, this.state.fascicles[n]!]));
    const doomed = apoptosisCandidates(installed, keep, p);
    for (const name of doomed) {
      const s = this.state.fascicles[name]!;
      this.fascicleTable.delete(name);
      delete this.state.fascicles[name];
      this.state.pruned.push(name);
      this.note('prune', `${name}: ${s.uses} uses, use rate ${s.useRate.toFixed(3)}/beat, value ${s.value === null ? 'none shown' : s.value.toFixed(2)}, low for ${s.lowBeats} beats`);
    }
    return doomed;
  }

  private async reflectIfDue(h: number): Promise<boolean> {
    const r = this.opts.reflection;
    if (r === false || this.state.unreflected < r.minEvents || h > r.maxHunger) return false;
    const tier = cheaperTiers(effectivePolicy(this.state.metabolism)).find((p) => affords(this.state.metabolism, this.state.costs[`${REFLECTION}|${p}`] ?? 0));
    if (!tier) return false;
    const tasks = this.state.recent.slice(-Math.min(r.maxEvents, this.state.unreflected));
    const events: NeuronEvent[] = tasks.map((task) => ({
      role: 'observation',
      content: `[${task.fascicle} at ${task.policy}, ${task.tokens} tokens, value ${task.value ?? 'unknown'}] task: ${task.input}\nresult: ${task.output}`,
      source: this.opts.name,
    }));
    const run = await this.runFascicle(REFLECTION, tier, events, 'reflection');
    const insight = text(run.output.output).trim();
    this.state.unreflected = 0;
    if (insight) {
      await this.opts.insula.remember({
        namespace: this.opts.namespace,
        content: clip(`Reflection of ${this.opts.name}: ${insight}`, 8000),
        type: 'semantic',
        importance: r.importance,
        domain: LIFEFORM_DOMAIN,
        source: `lifeform:${this.opts.name}:reflection`,
        metadata: { tasks: tasks.length, tokens: run.usage.totalTokens, policy: tier },
      });
    }
    this.note('reflection', `${tasks.length} tasks at ${tier}, ${run.usage.totalTokens} tokens`);
    return true;
  }

  private async consolidateIfDue(index: number, now: number): Promise<boolean> {
    const c = this.opts.consolidation;
    const last = this.state.heartbeat.lastConsolidation;
    if (c === false || (last !== null && index - last < c.everyBeats)) return false;
    // Marked first: a failing pass is retried next period, not every beat.
    this.state.heartbeat.lastConsolidation = index;
    const [report] = await this.opts.insula.consolidate({ namespace: this.opts.namespace, now });
    this.note('consolidation', JSON.stringify(report ?? {}).slice(0, 500));
    return true;
  }

  // ---- operator API (seed §6.3.2) --------------------------------------------------------------

  /** Adds nutrients (an operator's resource transaction). */
  topUp(transaction: TopUp): LedgerEntry {
    const t = parse(TopUpSchema, transaction, 'top-up');
    const before = effectivePolicy(this.state.metabolism);
    this.state.metabolism = topUp(this.state.metabolism, t.amount, this.opts.metabolism);
    const entry = this.ledgerAdd({ at: this.clock(), amount: t.amount, kind: 'topup', ...(t.memo ? { memo: t.memo } : {}) });
    this.notePolicyChange(before);
    this.save();
    return entry;
  }

  /** Overrides the metabolism policy: force_eco / force_hyper, or default to let hunger decide again. */
  setPolicy(override: { strategy: Override; reason?: string }): Policy {
    const o = parse(PolicyOverrideSchema, override, 'policy override');
    const before = effectivePolicy(this.state.metabolism);
    this.state.metabolism = { ...this.state.metabolism, override: o.strategy };
    this.note('override', `${o.strategy}${o.reason ? `: ${o.reason}` : ''}`);
    this.notePolicyChange(before);
    this.save();
    return effectivePolicy(this.state.metabolism);
  }

  /** Composite tools for the tool-call sequences that recur across served tasks. */
  compositeTools(available: readonly StructuredToolInterface[]): ReturnType<typeof offerCompositeTools> {
    const offers = offerCompositeTools(this.state.traces, available, this.opts.composite);
    for (const o of offers) this.note('composite', `offered ${o.tool.name} (${o.tools.join(' → ')}, in ${o.support} tasks)`);
    if (offers.length > 0) this.save();
    return offers;
  }

  status() {
    const m = this.state.metabolism;
    return {
      name: this.opts.name,
      namespace: this.opts.namespace,
      running: this.running,
      reserve: m.reserve,
      hunger: hunger(m, this.opts.metabolism),
      policy: effectivePolicy(m),
      automaticPolicy: m.policy,
      override: m.override,
      expectedSpendPerBeat: m.expectedSpend,
      totals: { ...m.totals },
      served: this.state.served,
      starved: this.state.starved,
      fascicles: [
        ...[...this.fascicleTable].map(([name, f]) => ({ name, status: 'active' as const, protected: f.protected, stats: { ...this.state.fascicles[name]! } })),
        ...this.state.pruned.map((name) => ({ name, status: 'pruned' as const, protected: false, stats: null })),
      ],
      heartbeat: { ...this.state.heartbeat, intervalMs: this.opts.intervalMs },
    };
  }

  ledger(): LedgerEntry[] {
    return this.state.ledger.map((e) => ({ ...e }));
  }

  journal(): JournalEntry[] {
    return this.state.journal.map((e) => ({ ...e }));
  }

  /** Tool-call sequences of recent tasks (what composite tools are mined from). */
  traces(): string[][] {
    return this.state.traces.map((t) => [...t]);
  }

  // ---- bookkeeping -----------------------------------------------------------------------------

  private ledgerAdd(entry: LedgerEntry): LedgerEntry {
    this.state.ledger.push(entry);
    if (this.state.ledger.length > this.opts.maxLedger) this.state.ledger.splice(0, this.state.ledger.length - this.opts.maxLedger);
    return entry;
  }

  private note(kind: JournalEntry['kind'], detail: string): void {
    this.state.journal.push({ at: this.clock(), kind, detail: detail.slice(0, 2048) });
    if (this.state.journal.length > this.opts.maxJournal) this.state.journal.splice(0, this.state.journal.length - this.opts.maxJournal);
  }

  private notePolicyChange(before: Policy): void {
    const after = effectivePolicy(this.state.metabolism);
    if (after !== before) this.note('policy', `${before} → ${after} (hunger ${hunger(this.state.metabolism, this.opts.metabolism).toFixed(2)}, reserve ${Math.round(this.state.metabolism.reserve)})`);
  }

  private recordTask(task: z.infer<typeof RecentTaskSchema>): void {
    this.state.served++;
    this.state.recent = [...this.state.recent, task].slice(-this.opts.maxRecent);
    this.state.unreflected = Math.min(this.state.unreflected + 1, this.opts.maxRecent);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`lifeform ${this.opts.name} is closed`);
  }

  private contain(err: unknown, where: string): void {
    try {
      this.opts.onError?.(err instanceof Error ? err : new Error(String(err)), where);
    } catch {
      // A throwing error callback must not turn a contained failure into an uncontained one.
    }
  }

  /** Writes the state; writes queue one behind the other, and a burst of changes is written once. */
  private save(): void {
    if (this.saveQueued || this.closed) return;
    this.saveQueued = true;
    this.saveTail = this.saveTail.then(async () => {
      this.saveQueued = false;
      try {
        await this.opts.insula.store.setMeta(stateKey(this.opts), JSON.stringify(this.state));
      } catch (err) {
        this.contain(err, 'lifeform save');
      }
    });
  }

  /** Waits until every change so far is written. */
  async flush(): Promise<void> {
    this.save();
    await this.saveTail;
  }

  /** Stops the heartbeat and writes the state; the Insula stays open (it is the caller's). */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.stop();
    this.closed = true;
  }
}

const REFLECTION = 'reflection';

function stateKey(opts: Options): string {
  return namespaceMetaKey(opts.namespace, `lifeform:${opts.name}`);
}

function initialState(opts: Options): LifeformState {
  return {
    version: 1,
    metabolism: initialMetabolism(opts.metabolism),
    ledger: [],
    journal: [],
    fascicles: {},
    costs: {},
    pruned: [],
    recent: [],
    unreflected: 0,
    traces: [],
    served: 0,
    starved: 0,
    heartbeat: { beats: 0, failures: 0, lastError: null, lastConsolidation: null },
  };
}

function text(output: unknown): string {
  return typeof output === 'string' ? output : output === undefined ? '' : JSON.stringify(output);
}

function clip(s: string, max = 2000): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** The built-in reflection fascicle: one neuron that reads recent tasks and states what to do differently. */
const reflectionFascicle: FascicleFactory = ({ model }) =>
  new StateGraph(FascicleState)
    .addNode('reflect', async (state: FascicleStateValue) => {
      const reply = await model.invoke([
        new SystemMessage(
          'You are the reflective part of a long-running agent. From the recent tasks below (with their cost in tokens and the value they delivered), state in at most three sentences one lesson: what worked, what wasted tokens, what to do differently.',
        ),
        new HumanMessage(renderEvents(state.events)),
      ]);
      return { output: reply.text, events: [{ role: 'insight', content: reply.text, source: REFLECTION }] };
    })
    .addEdge(START, 'reflect')
    .addEdge('reflect', END)
    .compile({ name: REFLECTION });
