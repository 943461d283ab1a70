/**
 * The interoceptive hub: signal layer → integration layer → regulation layer, one state per
 * namespace. Every update is O(1) in the stream length (bounded buffers, capped domain and metric
 * tables, a fixed-capacity somatic cache); state is a plain snapshot that restores exactly.
 */
import { z } from 'zod';
import type { RecallResult } from '../memory/recall.js';
import { DomainSchema, InsulaValidationError, NamespaceSchema, parse, TimeSchema } from '../memory/schema.js';
import { createDomainState, feelValence, initialBaseline, updateBaseline, viewDomain, type DomainState, type DomainView } from './integration/domain-state.js';
import { createSomaticCache, forgetInMarkers, markOutcome, readMarkers, SomaticParamsSchema, type SomaticCache, type SomaticReading } from './integration/somatic-markers.js';
import type { RegulationAction } from './regulation/actions.js';
import {
  generationParams,
  initialNeuromodulators,
  NeuromodulatorParamsSchema,
  stepNeuromodulators,
  type GenerationParams,
  type NeuromodulatorDrive,
  type NeuromodulatorState,
} from './regulation/neuromodulators.js';
import { isLowConfidence, isLowRouting, regulate, RegulationParamsSchema } from './regulation/regulator.js';
import { parseDrives, scoreAlignment, type AlignmentReport, type Drive } from './signals/alignment-scorer.js';
import { AnomalyTracker, AnomalyTrackerOptionsSchema } from './signals/anomaly-tracker.js';
import { FeedbackParamsSchema, initialArm, recordOutcome } from './signals/behaviour-feedback.js';
import { scoreConfidence, type ConfidenceReport } from './signals/confidence-scorer.js';
import { baselineValence, EmotionParamsSchema } from './signals/emotional-accumulator.js';
import { HostMetricSchema, InteroceptiveSignalSchema, type HostMetricInput, type InteroceptiveSignal, type InteroceptiveSignalInput } from './signals/signal.js';

export const HubParamsSchema = z
  .object({
    emotion: EmotionParamsSchema.prefault({}),
    feedback: FeedbackParamsSchema.prefault({}),
    somatic: SomaticParamsSchema.prefault({}),
    neuromodulators: NeuromodulatorParamsSchema.prefault({}),
    regulation: RegulationParamsSchema.prefault({}),
    /** Host-metric trackers; a smaller context table than the NAB default keeps hub snapshots small. */
    anomaly: AnomalyTrackerOptionsSchema.prefault({ tableBits: 12 }),
    /** Domains and host metrics kept per namespace; the least recently updated is dropped beyond. */
    maxDomains: z.number().int().min(1).max(10_000).default(256),
    maxMetrics: z.number().int().min(1).max(10_000).default(16),
    /** Strategies (tool:<name> included) kept per domain; the least recently updated is dropped beyond. */
    maxStrategies: z.number().int().min(1).max(10_000).default(64),
    /** Recent signals kept for inspection. */
    signalBuffer: z.number().int().min(0).max(10_000).default(64),
    /** Per-signal decay of a domain's anomaly level and of each source's deviation level. */
    decay: z.number().min(0).max(1).default(0.9),
    /** Learning rate of the alignment and confidence baselines and of global arousal. */
    baselineRate: z.number().gt(0).max(1).default(0.05),
  })
  .strict();
export type HubParams = z.input<typeof HubParamsSchema>;
type Params = z.output<typeof HubParamsSchema>;

export const FeedbackInputSchema = z
  .object({
    domain: DomainSchema.default('general'),
    /** The action or strategy that was tried; omit for domain-level outcomes. */
    strategy: z.string().min(1).max(128).optional(),
    /** How it went: true/false or 0..1 (1 = it worked). */
    success: z.union([z.boolean(), z.number().min(0).max(1)]),
    /** Memories used in the turn, for somatic markers (requires `situation`). */
    memoryIds: z.array(z.string().min(1)).max(100).optional(),
    /** When it happened; now by default. */
    time: TimeSchema.optional(),
  })
  .strict();
export type FeedbackInput = z.input<typeof FeedbackInputSchema>;

export interface FeedbackEffect {
  successRate: number;
  predictionError: number;
  changed: boolean;
}

export const RoutingInputSchema = z
  .object({
    domain: DomainSchema.default('general'),
    /** The adapter picked (null: none). */
    adapter: z.string().min(1).max(128).nullable(),
    /** The router's probability for it, 0..1. */
    confidence: z.number().min(0).max(1),
    /** Adapters that competed (the chance level is 1 / choices). */
    choices: z.number().int().min(1).max(1_000_000),
    time: TimeSchema.optional(),
  })
  .strict();
export type RoutingInput = z.input<typeof RoutingInputSchema>;

export interface RoutingObservationResult {
  /** Cognitive dissonance: low for this domain (see `observeRouting`). */
  low: boolean;
  /** The domain's mean routing confidence before this one (null for its first). */
  usual: number | null;
}

export interface RecallObservation extends ConfidenceReport {
  low: boolean;
}

export interface HubState {
  domains: Record<string, DomainView>;
  /** Global arousal 0..1: recency-weighted mean arousal of all signals. */
  arousal: number;
  neuromodulators: NeuromodulatorState['levels'];
  generation: GenerationParams;
  /** Sources currently deviating (level ≥ the regulation threshold). */
  deviating: string[];
  systemicAlert: boolean;
  somaticMarkers: number;
  events: number;
}

interface NamespaceHub {
  domains: Map<string, DomainState>;
  metrics: Map<string, AnomalyTracker>;
  arousal: number;
  neuro: NeuromodulatorState;
  somatic: SomaticCache;
  drives: Drive[];
  /** Ring buffer of recent signals; `bufferNext` is the oldest once it is full. */
  buffer: InteroceptiveSignal[];
  bufferNext: number;
  /** Per source: its largest recent deviation, decaying by `decay` per event since `at` (read lazily). */
  deviations: Map<string, { level: number; domain: string; at: number }>;
  /** Gut valence of each domain's latest situation. */
  gut: Map<string, number>;
  events: number;
}

export class InteroceptiveHub {
  readonly params: Params;
  private readonly spaces = new Map<string, NamespaceHub>();

  /** Called after every change to a namespace's state (used to schedule persistence). */
  onChange: (namespace: string) => void = () => undefined;

  constructor(params: HubParams = {}) {
    this.params = parse(HubParamsSchema, params, 'hub options');
  }

  private space(namespace: string): NamespaceHub {
    let s = this.spaces.get(namespace);
    if (!s) {
      s = {
        domains: new Map(),
        metrics: new Map(),
        arousal: 0,
        neuro: initialNeuromodulators(this.params.neuromodulators),
        somatic: createSomaticCache(),
        drives: [],
        buffer: [],
        bufferNext: 0,
        deviations: new Map(),
        gut: new Map(),
        events: 0,
      };
      this.spaces.set(namespace, s);
    }
    return s;
  }

  private domain(s: NamespaceHub, name: string, now: number): DomainState {
    let d = s.domains.get(name);
    if (!d) {
      // Over capacity the least recently updated domain goes; the scan only runs on that rare path.
      if (s.domains.size >= this.params.maxDomains) {
        let oldest: [string, DomainState] | null = null;
        for (const entry of s.domains) if (!oldest || entry[1].lastUpdate < oldest[1].lastUpdate) oldest = entry;
        s.domains.delete(oldest![0]);
        s.gut.delete(oldest![0]);
      }
      d = createDomainState(now);
      s.domains.set(name, d);
    }
    d.lastUpdate = Math.max(d.lastUpdate, now);
    return d;
  }

  /** Validates and integrates one signal; a rejected signal changes nothing. */
  signal(namespace: string, input: InteroceptiveSignalInput): void {
    // A namespace that has a state was validated when it was created.
    const ns = this.spaces.has(namespace) ? namespace : parse(NamespaceSchema, namespace, 'namespace');
    const parsed = parse(InteroceptiveSignalSchema, input, 'signal');
    parsed.time ??= Date.now();
    this.integrate(this.space(ns), parsed as InteroceptiveSignal);
    this.onChange(ns);
  }

  private integrate(s: NamespaceHub, sig: InteroceptiveSignal, drive: NeuromodulatorDrive = {}): DomainState {
    const p = this.params;
    const d = this.domain(s, sig.domain, sig.time);
    d.events++;
    // Recall confidence is metacognition, not affect: it must not colour how the domain feels.
    if (sig.source !== 'confidence') feelValence(d, sig.valence, sig.arousal, p.emotion);
    d.anomaly *= p.decay;
    if (sig.source === 'anomaly' || sig.source === 'host') d.anomaly = Math.max(d.anomaly, sig.arousal);
    if (sig.source === 'alignment') updateBaseline(d.alignment, sig.valence, p.baselineRate);
    s.arousal += p.baselineRate * (sig.arousal - s.arousal);
    // A source deviates when it reports something unpleasant and aroused; levels decay per event.
    const deviation = Math.max(0, -sig.valence) * sig.arousal;
    const current = s.deviations.get(sig.source);
    if (!current) s.deviations.set(sig.source, { level: deviation, domain: sig.domain, at: s.events });
    else if (deviation >= current.level * p.decay ** (s.events - current.at)) {
      current.level = deviation;
      current.domain = sig.domain;
      current.at = s.events;
    }
    drive.surprise ??= sig.source === 'anomaly' || sig.source === 'host' ? sig.arousal : 0;
    drive.stress ??= Math.max(0, -baselineValence(d.emotion));
    stepNeuromodulators(s.neuro, drive, p.neuromodulators);
    if (p.signalBuffer > 0) {
      if (s.buffer.length < p.signalBuffer) s.buffer.push(sig);
      else {
        s.buffer[s.bufferNext] = sig;
        s.bufferNext = (s.bufferNext + 1) % p.signalBuffer;
      }
    }
    s.events++;
    return d;
  }

  /** A host-fed metric (latency, tokens, error rate, ...): scored against its own baseline, then integrated. Returns the anomaly score 0..1. */
  metric(namespace: string, input: HostMetricInput): number {
    const ns = parse(NamespaceSchema, namespace, 'namespace');
    const m = parse(HostMetricSchema, input, 'metric');
    const s = this.space(ns);
    const key = `${m.domain}\u001f${m.metric}`;
    let tracker = s.metrics.get(key);
    if (tracker) s.metrics.delete(key);
    else {
      tracker = new AnomalyTracker(this.params.anomaly);
      if (s.metrics.size >= this.params.maxMetrics) s.metrics.delete(s.metrics.keys().next().value!);
    }
    s.metrics.set(key, tracker);
    const expected = tracker.baseline.mean;
    const score = tracker.update(m.value);
    const worse = (m.value - expected) * (m.higherIsWorse ? 1 : -1) > 0;
    this.integrate(s, {
      source: 'host',
      domain: m.domain,
      valence: worse ? -score : 0,
      arousal: score,
      time: m.time ?? Date.now(),
      context: { metric: m.metric, value: m.value },
    });
    this.onChange(ns);
    return score;
  }

  /** Outcome of an action/strategy in a domain: behaviour feedback, dopamine, serotonin, somatic markers. */
  feedback(namespace: string, input: FeedbackInput, situation?: Float32Array): FeedbackEffect {
    const ns = parse(NamespaceSchema, namespace, 'namespace');
    const f = parse(FeedbackInputSchema, input, 'feedback');
    if (situation) checkSituation(situation);
    const s = this.space(ns);
    const now = f.time ?? Date.now();
    const success = typeof f.success === 'boolean' ? (f.success ? 1 : 0) : f.success;
    const d = this.domain(s, f.domain, now);
    const overall = recordOutcome(d.overall, success, this.params.feedback);
    d.overall = overall.arm;
    let effect = overall;
    if (f.strategy) {
      effect = recordOutcome(d.arms.get(f.strategy) ?? initialArm(), success, this.params.feedback);
      // Map order is update order: the first entry is the least recently updated strategy.
      d.arms.delete(f.strategy);
      d.arms.set(f.strategy, effect.arm);
      if (d.arms.size > this.params.maxStrategies) d.arms.delete(d.arms.keys().next().value!);
    }
    if (situation && f.memoryIds?.length) markOutcome(s.somatic, situation, f.memoryIds, 2 * success - 1, this.params.somatic);
    this.integrate(
      s,
      { source: 'feedback', domain: f.domain, valence: 2 * success - 1, arousal: Math.min(1, Math.abs(effect.predictionError) + (effect.changed ? 0.5 : 0)), time: now },
      { predictionError: effect.predictionError, streak: effect.arm.streak, surprise: effect.changed ? 1 : 0 },
    );
    this.onChange(ns);
    return { successRate: (effect.arm.successes + 0.5) / (effect.arm.trials + 1), predictionError: effect.predictionError, changed: effect.changed };
  }

  /** Somatic reading for a situation: recall multipliers for memories with a record here, and the gut valence. */
  somatic(namespace: string, situation: Float32Array, domain = 'general'): SomaticReading {
    checkSituation(situation);
    const s = this.space(namespace);
    const reading = readMarkers(s.somatic, situation, this.params.somatic);
    if (reading.weight > 0) {
      // Through the domain table, so a gut feeling leaves with its domain and the map stays bounded.
      this.domain(s, domain, Date.now());
      s.gut.set(domain, reading.valence);
      // A changed state must be saved like any other, or flush() would leave it off disk.
      this.onChange(namespace);
    }
    return reading;
  }

  /** Metacognitive check of a recall result list; feeds the confidence baseline. */
  observeRecall(namespace: string, domain: string, results: readonly Pick<RecallResult, 'score' | 'explanation' | 'memory'>[]): RecallObservation {
    const s = this.space(namespace);
    const d = this.domain(s, domain, Date.now());
    const report = scoreConfidence(results);
    const low = isLowConfidence(d, report.confidence, this.params.regulation);
    updateBaseline(d.confidence, report.confidence, this.params.baselineRate);
    d.lastConfidence = report.confidence;
    this.integrate(s, { source: 'confidence', domain, valence: low ? -(1 - report.confidence) : report.confidence, arousal: low ? 0.6 : 0.2, time: Date.now() });
    this.onChange(namespace);
    return { ...report, low };
  }

  /**
   * Metacognitive check of a skill-routing decision (the router's top probability among `choices`
   * adapters): judged against the domain's routing baseline before it learns from it. A low one is
   * cognitive dissonance and makes `regulate` ask to learn (collect QA pairs for the domain).
   */
  observeRouting(namespace: string, input: RoutingInput): RoutingObservationResult {
    const ns = parse(NamespaceSchema, namespace, 'namespace');
    const r = parse(RoutingInputSchema, input, 'routing');
    const s = this.space(ns);
    const now = r.time ?? Date.now();
    const d = this.domain(s, r.domain, now);
    const low = isLowRouting(d, r.confidence, r.choices, this.params.regulation);
    const usual = d.routing.count > 0 ? d.routing.mean : null;
    updateBaseline(d.routing, r.confidence, this.params.baselineRate);
    d.lastRouting = { confidence: r.confidence, adapter: r.adapter, choices: r.choices, low };
    this.integrate(s, {
      source: 'confidence',
      domain: r.domain,
      valence: low ? -(1 - r.confidence) : r.confidence,
      arousal: low ? 0.6 : 0.2,
      time: now,
      context: { quantity: 'routing', adapter: r.adapter },
    });
    this.onChange(ns);
    return { low, usual };
  }

  /** Is this confidence low for the domain, judged against its baseline? */
  isLowConfidence(namespace: string, domain: string, confidence: number): boolean {
    const d = this.spaces.get(namespace)?.domains.get(domain);
    return d ? isLowConfidence(d, confidence, this.params.regulation) : confidence < this.params.regulation.coldConfidence;
  }

  /** Sets the drives from a SOUL-style markdown document; `embed` gives their embeddings. */
  async setSoul(namespace: string, markdown: string, embed?: (texts: string[]) => Promise<Float32Array[]>): Promise<number> {
    const ns = parse(NamespaceSchema, namespace, 'namespace');
    const text = parse(z.string().max(65_536, 'soul: at most 65536 characters'), markdown, 'soul');
    const drives = parseDrives(text);
    const embeddings = embed && drives.length > 0 ? await embed(drives.map((d) => d.text)) : [];
    this.space(ns).drives = drives.map((d, i) => ({ ...d, embedding: embeddings[i] ?? null }));
    this.onChange(ns);
    return drives.length;
  }

  alignment(namespace: string, text: string, embedding: Float32Array | null): AlignmentReport {
    return scoreAlignment(text, embedding, this.space(namespace).drives);
  }

  /**
   * Global-workspace broadcast of a working-memory admission: colour the domain with the memory's
   * affect, check it against the drives, and check its valence against the domain's baseline.
   */
  broadcast(namespace: string, memory: { content: string; valence: number; importance: number; domain: string; embedding: Float32Array | null }): { alignment: number; anomaly: number } {
    const s = this.space(namespace);
    const now = Date.now();
    const aligned = s.drives.length > 0 ? scoreAlignment(memory.content, memory.embedding, s.drives) : null;
    const key = `${memory.domain}\u001fvalence`;
    let tracker = s.metrics.get(key);
    if (!tracker) {
      tracker = new AnomalyTracker(this.params.anomaly);
      if (s.metrics.size >= this.params.maxMetrics) s.metrics.delete(s.metrics.keys().next().value!);
      s.metrics.set(key, tracker);
    }
    const anomaly = tracker.update(memory.valence);
    this.integrate(s, { source: 'emotion', domain: memory.domain, valence: memory.valence, arousal: Math.max(memory.importance, anomaly), time: now });
    if (aligned && aligned.touched.length > 0) {
      this.integrate(s, { source: 'alignment', domain: memory.domain, valence: aligned.alignment, arousal: Math.abs(aligned.alignment), time: now });
    }
    if (anomaly >= 0.5) this.integrate(s, { source: 'anomaly', domain: memory.domain, valence: -anomaly, arousal: anomaly, time: now });
    this.onChange(namespace);
    return { alignment: aligned?.alignment ?? 0, anomaly };
  }

  state(namespace: string): HubState {
    const s = this.space(parse(NamespaceSchema, namespace, 'namespace'));
    const domains: Record<string, DomainView> = {};
    for (const [name, d] of s.domains) domains[name] = viewDomain(d);
    const deviating = [...currentDeviations(s, this.params.decay)].filter(([, d]) => d.level >= this.params.regulation.deviation).map(([src]) => src);
    return {
      domains,
      arousal: s.arousal,
      neuromodulators: { ...s.neuro.levels },
      generation: generationParams(s.neuro, this.params.neuromodulators),
      deviating,
      systemicAlert: deviating.length >= this.params.regulation.systemicSources,
      somaticMarkers: s.somatic.markers.length,
      events: s.events,
    };
  }

  generation(namespace: string): GenerationParams {
    return generationParams(this.space(namespace).neuro, this.params.neuromodulators);
  }

  regulate(namespace: string): RegulationAction[] {
    const s = this.space(parse(NamespaceSchema, namespace, 'namespace'));
    return regulate(
      { domains: s.domains, neuromodulators: s.neuro, generation: generationParams(s.neuro, this.params.neuromodulators), deviations: currentDeviations(s, this.params.decay), gut: s.gut },
      this.params.regulation,
    );
  }

  recentSignals(namespace: string): InteroceptiveSignal[] {
    const s = this.spaces.get(namespace);
    return s ? orderedBuffer(s) : [];
  }

  /** Removes forgotten memories' traces (somatic records). */
  forgetMemories(namespace: string, ids: readonly string[]): void {
    const s = this.spaces.get(namespace);
    if (!s) return;
    forgetInMarkers(s.somatic, ids);
    this.onChange(namespace);
  }

  dropNamespace(namespace: string): void {
    this.spaces.delete(namespace);
  }

  has(namespace: string): boolean {
    return this.spaces.has(namespace);
  }

  /** The namespace's whole state as JSON; `restore` rebuilds it exactly. */
  snapshot(namespace: string): string {
    const s = this.space(namespace);
    return JSON.stringify({
      version: 1,
      domains: [...s.domains].map(([name, d]) => [name, { ...d, arms: [...d.arms] }]),
      metrics: [...s.metrics].map(([key, t]) => [key, t.snapshot()]),
      arousal: s.arousal,
      neuro: s.neuro,
      somatic: {
        clock: s.somatic.clock,
        markers: s.somatic.markers.map((m) => ({ ...m, centroid: encodeVector(m.centroid), outcomes: [...m.outcomes] })),
      },
      drives: s.drives.map((d) => ({ ...d, embedding: d.embedding && encodeVector(d.embedding) })),
      buffer: orderedBuffer(s),
      deviations: [...s.deviations],
      gut: [...s.gut],
      events: s.events,
    });
  }

  /**
   * Rebuilds a namespace from `snapshot`'s JSON. The snapshot is checked first (it comes from
   * storage, where it may have been damaged): a bad one throws and leaves the namespace as it was.
   * What exceeds this hub's capacities (written under larger ones) is trimmed, oldest first.
   */
  restore(namespace: string, json: string): void {
    const raw = parse(SnapshotSchema, JSON.parse(json), `hub snapshot for ${namespace}`);
    const p = this.params;
    // Order is kept (a snapshot of the restored state equals the one restored) unless trimming needs it.
    const domains = raw.domains.length > p.maxDomains ? raw.domains.sort(([, a], [, b]) => a.lastUpdate - b.lastUpdate).slice(-p.maxDomains) : raw.domains;
    const metrics = raw.metrics.slice(-p.maxMetrics);
    const markers = raw.somatic.markers.length > p.somatic.capacity ? raw.somatic.markers.sort((a, b) => a.lastUsed - b.lastUsed).slice(-p.somatic.capacity) : raw.somatic.markers;
    const space: NamespaceHub = {
      // Snapshots from before skill routing have no routing baseline; it starts empty.
      domains: new Map(domains.map(([name, d]) => [name, { ...d, arms: new Map(d.arms.slice(-p.maxStrategies)), routing: d.routing ?? initialBaseline(), lastRouting: d.lastRouting ?? null }])),
      metrics: new Map(metrics.map(([key, t]) => [key, AnomalyTracker.restore(t)])),
      arousal: raw.arousal,
      neuro: raw.neuro,
      somatic: {
        clock: raw.somatic.clock,
        markers: markers.map((m) => ({ ...m, centroid: decodeVector(m.centroid), outcomes: new Map(m.outcomes.slice(-p.somatic.memoriesPerMarker)) })),
      },
      drives: raw.drives.map((d) => ({ ...d, embedding: d.embedding === null ? null : decodeVector(d.embedding) })),
      buffer: p.signalBuffer > 0 ? raw.buffer.slice(-p.signalBuffer) : [],
      bufferNext: 0,
      deviations: new Map(raw.deviations),
      gut: new Map(raw.gut.filter(([domain]) => domains.some(([name]) => name === domain))),
      events: raw.events,
    };
    this.spaces.set(namespace, space);
  }
}

/** A situation embedding with a non-finite component would turn every marker it touches into NaN. */
function checkSituation(v: Float32Array): void {
  if (!v.every(Number.isFinite)) throw new InsulaValidationError('situation embedding', [], 'every component must be a finite number');
}

const finite = z.number().finite();
/** Loose: a field this version does not check is carried over on restore, not dropped. */
const record = <T extends z.ZodRawShape>(shape: T) => z.object(shape).loose();
const ArmSnapshotSchema = record({
  successes: finite,
  trials: finite,
  refMean: finite,
  refCount: finite,
  cusumUp: finite,
  cusumDown: finite,
  upRun: record({ sum: finite, count: finite }),
  downRun: record({ sum: finite, count: finite }),
  streak: finite,
  total: finite,
  changes: finite,
  rateBeforeChange: finite.nullable(),
});
const BaselineSnapshotSchema = record({ mean: finite, variance: finite, count: finite });
const vectorText = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');

/** The persisted shape of a namespace (version 1), checked field by field before it is restored. */
const SnapshotSchema = record({
  version: z.literal(1),
  domains: z.array(
    z.tuple([
      z.string(),
      record({
        emotion: record({ fast: finite, slow: finite, fastDecay: finite, slowDecay: finite, count: finite }),
        anomaly: finite,
        arms: z.array(z.tuple([z.string(), ArmSnapshotSchema])),
        overall: ArmSnapshotSchema,
        alignment: BaselineSnapshotSchema,
        confidence: BaselineSnapshotSchema,
        lastConfidence: finite.nullable(),
        routing: BaselineSnapshotSchema.optional(),
        lastRouting: record({ confidence: finite, adapter: z.string().nullable(), choices: finite, low: z.boolean() }).nullable().optional(),
        lastUpdate: finite,
        events: finite,
      }),
    ]),
  ),
  // Array lengths are checked by AnomalyTracker.restore.
  metrics: z.array(
    z.tuple([
      z.string(),
      record({
        version: z.literal(1),
        options: AnomalyTrackerOptionsSchema,
        scalars: vectorText,
        novelty: record({ scalars: vectorText, rings: vectorText, rates: vectorText, table: vectorText }),
      }),
    ]),
  ),
  arousal: finite,
  neuro: record({ levels: record({ dopamine: finite, noradrenaline: finite, serotonin: finite, cortisol: finite }), rng: finite }),
  somatic: record({
    clock: finite,
    markers: z.array(record({ centroid: vectorText, count: finite, valence: finite, outcomes: z.array(z.tuple([z.string(), finite])), lastUsed: finite })),
  }),
  drives: z.array(record({ text: z.string(), sign: z.union([z.literal(1), z.literal(-1)]), keywords: z.array(z.string()), embedding: vectorText.nullable() })),
  buffer: z.array(InteroceptiveSignalSchema.extend({ time: finite })),
  deviations: z.array(z.tuple([z.string(), record({ level: finite, domain: z.string(), at: finite })])),
  gut: z.array(z.tuple([z.string(), finite])),
  events: finite,
});

function orderedBuffer(s: NamespaceHub): InteroceptiveSignal[] {
  return [...s.buffer.slice(s.bufferNext), ...s.buffer.slice(0, s.bufferNext)];
}

function currentDeviations(s: NamespaceHub, decay: number): Map<string, { level: number; domain: string }> {
  return new Map([...s.deviations].map(([source, d]) => [source, { level: d.level * decay ** (s.events - d.at), domain: d.domain }]));
}

/** Float32 vectors as base64 of their bytes: exact and a quarter of the JSON size of the numbers. */
function encodeVector(v: Float32Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

function decodeVector(s: string): Float32Array {
  const bytes = Buffer.from(s, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
