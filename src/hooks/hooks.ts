/**
 * Host hooks: `beforeInbound` before each model turn (recall + interoceptive state + regulation as
 * one prompt section and as structured data) and `beforeOutbound` after it (store the exchange,
 * appraise it, feed the hub). Both fail open: an exception inside insula, a timeout or an open
 * circuit breaker yields a degraded result and an incident, never a failed host turn.
 */
import { z } from 'zod';
import { QaLogger } from '../../native/lora/qa-logger.js';
import { observeDecision, SkillRouter, type ChosenAdapter, type RouteDecision } from '../../native/lora/router.js';
import { BackgroundQueue } from '../background.js';
import { withTimeout } from '../timeout.js';
import type { HubState } from '../hub/hub.js';
import type { RegulationAction } from '../hub/regulation/actions.js';
import type { GenerationParams } from '../hub/regulation/neuromodulators.js';
import type { Insula } from '../insula.js';
import type { ChatModelLike } from '../memory/knowledge-graph.js';
import type { ScoreExplanation } from '../memory/scoring.js';
import { clipText, DomainSchema, InsulaValidationError, MAX_CONTENT_CHARS, MAX_QUERY_CHARS, NamespaceSchema, parse, SessionSchema, toWellFormed } from '../memory/schema.js';
import { CircuitBreaker, CircuitBreakerParamsSchema, type BreakerState } from './circuit-breaker.js';
import { renderBlock, type BlockState } from './render.js';
import { appraiseTurn, appraiseWithModel, detectDomain, detectVerdict, memoriesUsed, type TurnAppraisal } from './turn-appraisal.js';

export const HookOptionsSchema = z
  .object({
    /** Size of the prompt section in characters (about 4 characters per token). */
    budgetChars: z.number().int().min(200).max(200_000).default(4000),
    /** Memories recalled per turn. */
    k: z.number().int().min(1).max(50).default(6),
    /** Longest a hook may hold the host's turn; past it the turn proceeds without insula. */
    timeoutMs: z.number().int().min(1).max(60_000).default(2000),
    breaker: CircuitBreakerParamsSchema.prefault({}),
    /** A chat model for the turn appraisal (domain, valence, outcome); runs in the background. */
    chatModel: z.custom<ChatModelLike>((v) => typeof v === 'object' && v !== null && typeof (v as ChatModelLike).invoke === 'function').optional(),
    /** Sessions whose last turn is kept for the user's verdict in the next message. */
    maxSessions: z.number().int().min(1).max(1_000_000).default(10_000),
    /** Outbound turns (and verdicts) queued for storage; past this, beforeOutbound answers degraded instead of growing the queue. */
    maxQueued: z.number().int().min(1).max(1_000_000).default(1000),
    onIncident: z.custom<(error: Error, where: string) => void>((v) => typeof v === 'function').optional(),
    /**
     * A skill router: each turn is routed to a LoRA adapter, shown as `generation.adapter`; its
     * confidence feeds the hub, where a low one (for the domain) is a `learn` action.
     */
    router: z.custom<SkillRouter>((v) => v instanceof SkillRouter, 'router: a SkillRouter').optional(),
    /** Where turns in routing dissonance are written as QA pairs for a trainer. */
    qaLogger: z.custom<QaLogger>((v) => v instanceof QaLogger, 'qaLogger: a QaLogger').optional(),
  })
  .strict();
export type HookOptions = z.input<typeof HookOptionsSchema>;

/** Memory ids one feedback call reinforces (Insula.feedback's bound). */
const MAX_FEEDBACK_IDS = 50;
/** Longest situation text Insula.feedback takes; only its embedding is kept. */
const MAX_SITUATION_CHARS = 8192;
/** Longest strategy name the hub takes. */
const MAX_STRATEGY_CHARS = 128;

const HistoryMessageSchema = z.object({ role: z.enum(['user', 'assistant', 'system', 'tool']), content: z.string().max(MAX_CONTENT_CHARS) }).strict();

export const BeforeInboundSchema = z
  .object({
    namespace: NamespaceSchema.default('default'),
    sessionId: SessionSchema,
    userText: z.string().max(MAX_CONTENT_CHARS, `userText: at most ${MAX_CONTENT_CHARS} characters`),
    history: z.array(HistoryMessageSchema).max(1000).optional(),
    /** The turn's domain; detected from the text when omitted. */
    domain: DomainSchema.optional(),
    k: z.number().int().min(1).max(50).optional(),
    budgetChars: z.number().int().min(200).max(200_000).optional(),
  })
  .strict();
export type BeforeInboundInput = z.input<typeof BeforeInboundSchema>;

const ToolEventSchema = z
  .object({
    name: z.string().min(1).max(128),
    ok: z.boolean(),
    error: z.string().max(4096).optional(),
    durationMs: z.number().finite().min(0).optional(),
  })
  .strict();

export const BeforeOutboundSchema = z
  .object({
    namespace: NamespaceSchema.default('default'),
    sessionId: SessionSchema,
    userText: z.string().max(MAX_CONTENT_CHARS, `userText: at most ${MAX_CONTENT_CHARS} characters`),
    assistantText: z.string().max(MAX_CONTENT_CHARS, `assistantText: at most ${MAX_CONTENT_CHARS} characters`),
    /** How the turn went, when the host knows: true/false, 'success'/'failure' or −1..1. */
    outcome: z.union([z.boolean(), z.enum(['success', 'failure']), z.number().min(-1).max(1)]).optional(),
    toolEvents: z.array(ToolEventSchema).max(200).default([]),
    domain: DomainSchema.optional(),
    /** The approach the assistant took, for behaviour feedback per strategy. */
    strategy: z.string().min(1).max(128).optional(),
    /** Memories the turn used; by default those recalled for it by `beforeInbound`. */
    memoryIds: z.array(z.string().min(1).max(128)).max(MAX_FEEDBACK_IDS).optional(),
  })
  .strict();
export type BeforeOutboundInput = z.input<typeof BeforeOutboundSchema>;

export interface InboundMemory {
  id: string;
  content: string;
  score: number;
  /** Why it was recalled: the score factors that mattered. */
  why: string;
  type: string;
  occurredAt: string;
}

export interface InboundState extends BlockState {
  deviating: string[];
  incidents: number;
  breaker: BreakerState;
}

/** Sampling parameters from the hub, and the adapter the skill router picked (when one is configured). */
export type InboundGeneration = GenerationParams & { adapter?: ChosenAdapter };

export interface InboundContext {
  /** The prompt section ('' when there is nothing to say). */
  block: string;
  memories: InboundMemory[];
  state: InboundState;
  actions: RegulationAction[];
  generation: InboundGeneration | null;
  /** True when insula failed, timed out, got bad input or its breaker is open; the turn proceeds without it. */
  degraded: boolean;
  error: string | null;
}

export interface OutboundReceipt {
  queued: boolean;
  domain: string;
  valence: number;
  outcome: number | null;
  degraded: boolean;
  error: string | null;
}

export interface HookHealth {
  incidents: number;
  breaker: BreakerState;
  lastError: string | null;
  pending: number;
  /** Sessions whose last turn is kept (at most `maxSessions`). */
  sessions: number;
}

/** A session's last turn: what the next message may pass a verdict on, and what the answer used. */
export const SessionTurnSchema = z
  .object({
    namespace: NamespaceSchema,
    situation: z.string().max(MAX_CONTENT_CHARS),
    domain: DomainSchema,
    strategy: z.string().min(1).max(128).optional(),
    memoryIds: z.array(z.string().min(1).max(128)).max(MAX_FEEDBACK_IDS),
    /** Whether the assistant has answered it (beforeOutbound ran). */
    answered: z.boolean(),
    /** The stored exchange: a verdict judges the answer in it too, so a wrong answer is not recalled as fact. */
    exchangeId: z.string().min(1).max(128).optional(),
    /** The skill router's decision for the turn, and whether it was in dissonance. */
    routing: z.object({ adapter: z.string().min(1).max(128).nullable(), confidence: z.number().min(0).max(1), dissonant: z.boolean() }).strict().optional(),
  })
  .strict();
export type SessionTurn = z.output<typeof SessionTurnSchema>;
type LastTurn = SessionTurn;

export class InsulaHooks {
  private readonly opts: z.output<typeof HookOptionsSchema>;
  private readonly breaker: CircuitBreaker;
  private readonly queue: BackgroundQueue;
  private readonly lastTurns = new Map<string, LastTurn>();
  private incidents = 0;
  private lastError: string | null = null;

  constructor(
    readonly insula: Insula,
    options: HookOptions = {},
    clock: () => number = Date.now,
  ) {
    this.opts = parse(HookOptionsSchema, options, 'hook options');
    if (this.opts.router && insula.hub === null) {
      throw new InsulaValidationError('hook options', [], 'router: needs the interoceptive hub (routing confidence is judged against its baselines); open Insula without hub: false');
    }
    this.breaker = new CircuitBreaker(this.opts.breaker, clock);
    this.queue = new BackgroundQueue((error, where) => this.incident(error, where, true), this.opts.maxQueued);
  }

  async beforeInbound(input: BeforeInboundInput): Promise<InboundContext> {
    let turn: z.output<typeof BeforeInboundSchema>;
    try {
      turn = parse(BeforeInboundSchema, input, 'beforeInbound');
    } catch (err) {
      return this.degradedInbound(this.incident(err, 'beforeInbound', false));
    }
    if (!this.breaker.allow()) return this.degradedInbound('insula circuit breaker is open');
    try {
      const context = await withTimeout(this.inbound(turn), this.opts.timeoutMs);
      this.breaker.success();
      context.state.breaker = this.breaker.state;
      return context;
    } catch (err) {
      return this.degradedInbound(this.incident(err, 'beforeInbound', true));
    }
  }

  async beforeOutbound(input: BeforeOutboundInput): Promise<OutboundReceipt> {
    let turn: z.output<typeof BeforeOutboundSchema>;
    try {
      turn = parse(BeforeOutboundSchema, input, 'beforeOutbound');
    } catch (err) {
      return { queued: false, domain: 'general', valence: 0, outcome: null, degraded: true, error: this.incident(err, 'beforeOutbound', false) };
    }
    const key = sessionKey(turn.namespace, turn.sessionId);
    const previous = this.lastTurns.get(key);
    const outcome = turn.outcome === undefined ? null : typeof turn.outcome === 'number' ? turn.outcome : turn.outcome === true || turn.outcome === 'success' ? 1 : -1;
    const domain = turn.domain ?? (previous && !previous.answered ? previous.domain : undefined);
    const appraisal = appraiseTurn({ ...turn, outcome, domain });
    if (!this.breaker.allow()) return { queued: false, ...receiptOf(appraisal), degraded: true, error: 'insula circuit breaker is open' };
    const recalled = previous && !previous.answered ? previous.memoryIds : [];
    // With the host's own outcome the turn is judged; otherwise the user's next message may judge it.
    const routed = previous && !previous.answered ? previous : undefined;
    const judgeable: LastTurn | null =
      outcome === null
        ? {
            namespace: turn.namespace,
            situation: turn.userText,
            domain: appraisal.domain,
            ...(turn.strategy ? { strategy: turn.strategy } : {}),
            memoryIds: turn.memoryIds ?? recalled,
            answered: true,
            ...(routed?.routing ? { routing: routed.routing } : {}),
          }
        : null;
    const queued = this.queue.enqueue('beforeOutbound', async () => {
      const memoryIds = turn.memoryIds ?? (await this.usedInReply(turn, recalled));
      if (judgeable) judgeable.memoryIds = memoryIds;
      const exchangeId = await this.outbound(turn, appraisal, outcome, memoryIds);
      if (judgeable) judgeable.exchangeId = exchangeId;
      if (routed?.routing) await this.afterRouting(turn, routed.domain, routed.routing, outcome);
      this.breaker.success();
    });
    // Overload counts against the breaker like any failure of insula's (and ends a half-open trial).
    if (!queued) return { queued: false, ...receiptOf(appraisal), degraded: true, error: this.incident(new Error(`outbound queue full (${this.opts.maxQueued} turns)`), 'beforeOutbound', true) };
    if (judgeable) this.remember(key, judgeable);
    else this.lastTurns.delete(key);
    return { queued: true, ...receiptOf(appraisal), degraded: false, error: null };
  }

  /** The session's last turn, for hosts that run each hook in a fresh process (see `resumeSession`). */
  sessionTurn(namespace: string, sessionId: string): SessionTurn | null {
    return this.lastTurns.get(sessionKey(namespace, sessionId)) ?? null;
  }

  /** Carries a session's last turn over from an earlier process. */
  resumeSession(sessionId: string, turn: SessionTurn): void {
    const t = parse(SessionTurnSchema, turn, 'session turn');
    this.remember(sessionKey(t.namespace, parse(SessionSchema, sessionId, 'sessionId')), t);
  }

  health(): HookHealth {
    return { incidents: this.incidents, breaker: this.breaker.state, lastError: this.lastError, pending: this.queue.pending, sessions: this.lastTurns.size };
  }

  /** Waits for queued outbound work (and writes the skill registry's changes). */
  async flush(): Promise<void> {
    await this.queue.flush();
    try {
      await this.opts.router?.flush();
    } catch (err) {
      this.incident(err, 'skill registry save', false);
    }
  }

  /** Flushes queued work; the Insula instance and the router stay open (the host owns them). */
  async close(): Promise<void> {
    await this.flush();
  }

  private async inbound(turn: z.output<typeof BeforeInboundSchema>): Promise<InboundContext> {
    const { namespace, sessionId, userText } = turn;
    const key = sessionKey(namespace, sessionId);
    this.judgePreviousTurn(key, userText);
    const domain = turn.domain ?? detectDomain(userText);
    const hubOn = this.insula.hub !== null;
    const query = recallQuery(userText, turn.history ?? []);
    const shared = query ? await this.sharedEmbeddings(userText, query) : null;
    // Routing runs beside recall; its dissonance must reach the hub before regulate() below reads it.
    const routing = this.routeTurn(namespace, domain, shared?.routing ?? userText);
    const report = query
      ? await this.insula.recallWithReport(query, { namespace, k: turn.k ?? this.opts.k, session: sessionId, hubDomain: domain, ...(shared ? { queryEmbedding: shared.query } : {}) })
      : { results: [], confidence: null, adjustment: null };
    const routed = await routing;
    const hubState: HubState | null = hubOn ? await this.insula.state(namespace) : null;
    // This turn's regulation: actions for its domain and those for the whole agent.
    const actions = hubOn ? (await this.insula.regulate(namespace)).filter((a) => !('domain' in a) || a.domain === domain || a.domain === null) : [];
    const memories: InboundMemory[] = report.results.map((r) => ({
      id: r.id,
      content: r.content,
      score: r.score,
      why: explain(r.explanation),
      type: r.memory.type,
      occurredAt: new Date(r.memory.occurredAt).toISOString(),
    }));
    const state: InboundState = {
      domain,
      domainState: hubState?.domains[domain] ?? null,
      arousal: hubState?.arousal ?? 0,
      systemicAlert: hubState?.systemicAlert ?? false,
      deviating: hubState?.deviating ?? [],
      confidence: report.confidence?.confidence ?? null,
      incidents: this.incidents,
      breaker: this.breaker.state,
    };
    const generation: InboundGeneration | null = hubState ? { ...hubState.generation, ...(routed?.decision.adapter ? { adapter: routed.decision.adapter } : {}) } : null;
    this.remember(key, {
      namespace,
      situation: userText,
      domain,
      memoryIds: memories.map((m) => m.id),
      answered: false,
      ...(routed ? { routing: { adapter: routed.decision.adapter?.name ?? null, confidence: routed.decision.confidence, dissonant: routed.dissonant } } : {}),
    });
    return {
      block: renderBlock({ memories, state: hubOn ? state : null, actions, generation }, turn.budgetChars ?? this.opts.budgetChars),
      memories,
      state,
      actions,
      generation,
      degraded: false,
      error: null,
    };
  }

  /**
   * Routes the turn and feeds the confidence to the hub. A failure here costs the turn its adapter,
   * not its memories: it is counted and the turn goes on.
   */
  /**
   * With a skill router on the same embedder as the store, the routing text and the recall query
   * are embedded in one pass (they are usually the same text) instead of once each on the turn.
   */
  private async sharedEmbeddings(userText: string, query: string): Promise<{ routing: Float32Array; query: Float32Array<ArrayBuffer> } | null> {
    const router = this.opts.router;
    if (!router || userText.trim() === '' || router.embedder.name !== this.insula.embedder.name) return null;
    const texts = query === userText ? [userText] : [userText, query];
    const vectors = await this.insula.embedder.embed(texts);
    return { routing: vectors[0]!, query: Float32Array.from(vectors[texts.length - 1]!) };
  }

  private async routeTurn(namespace: string, domain: string, input: string | Float32Array): Promise<{ decision: RouteDecision; dissonant: boolean } | null> {
    const router = this.opts.router;
    if (!router || (typeof input === 'string' && input.trim() === '')) return null;
    try {
      const decision = await router.route(input);
      const { dissonant } = await observeDecision(this.insula, decision, { namespace, domain });
      return { decision, dissonant };
    } catch (err) {
      this.incident(err, 'skill routing', false);
      return null;
    }
  }

  /** The router learns how its adapter did; a turn in dissonance becomes a QA pair for its domain. */
  private async afterRouting(turn: z.output<typeof BeforeOutboundSchema>, domain: string, routing: NonNullable<SessionTurn['routing']>, outcome: number | null): Promise<void> {
    try {
      if (routing.adapter && outcome !== null) await this.opts.router?.recordOutcome(routing.adapter, (outcome + 1) / 2, turn.userText);
      if (routing.dissonant && this.opts.qaLogger) {
        await this.opts.qaLogger.log({ namespace: turn.namespace, domain, input: turn.userText, output: turn.assistantText, outcome, adapter: routing.adapter, confidence: routing.confidence });
      }
    } catch (err) {
      this.incident(err, 'skill routing outcome', false);
    }
  }

  /** Of the memories recalled for the turn, those the reply drew on (see `memoriesUsed`). */
  private async usedInReply(turn: z.output<typeof BeforeOutboundSchema>, recalled: readonly string[]): Promise<string[]> {
    if (recalled.length === 0) return [];
    const memories = await this.insula.store.getMemories(turn.namespace, recalled);
    return memoriesUsed(memories, turn.userText, turn.assistantText);
  }

  /** A clear verdict in the user's message ("that worked", "still broken") is the outcome of the previous answer. */
  private judgePreviousTurn(key: string, userText: string): void {
    const previous = this.lastTurns.get(key);
    if (!previous?.answered || !this.insula.hub) return;
    const verdict = detectVerdict(userText);
    if (verdict === null) return;
    this.lastTurns.delete(key);
    // The stored answer is judged too, within feedback's bound on ids.
    const judged = previous.exchangeId ? [...previous.memoryIds.slice(0, MAX_FEEDBACK_IDS - 1), previous.exchangeId] : previous.memoryIds;
    const queued = this.queue.enqueue('verdict', async () => {
      await this.insula.feedback({
        namespace: previous.namespace,
        ...situationOf(previous.situation),
        domain: previous.domain,
        ...(previous.strategy ? { strategy: previous.strategy } : {}),
        success: verdict > 0,
        ...(judged.length > 0 ? { memoryIds: judged } : {}),
      });
      if (previous.routing?.adapter) await this.opts.router?.recordOutcome(previous.routing.adapter, verdict > 0, previous.situation);
    });
    if (!queued) this.incident(new Error(`outbound queue full (${this.opts.maxQueued} turns): verdict dropped`), 'verdict', false);
  }

  /** Stores the exchange and feeds the hub; returns the stored exchange's id. */
  private async outbound(turn: z.output<typeof BeforeOutboundSchema>, heuristic: TurnAppraisal, outcome: number | null, memoryIds: string[]): Promise<string> {
    let appraisal = heuristic;
    if (this.opts.chatModel) {
      try {
        appraisal = await appraiseWithModel(this.opts.chatModel, turn, { domain: turn.domain, outcome });
      } catch (err) {
        this.incident(err, 'turn appraisal by the chat model', false);
      }
    }
    const { namespace, sessionId } = turn;
    const { id: exchangeId } = await this.insula.remember({
      namespace,
      // Hosts may pass text cut mid-character; the store keeps well-formed text only.
      content: clipText(toWellFormed(`User: ${turn.userText}\nAssistant: ${turn.assistantText}`), MAX_CONTENT_CHARS),
      session: sessionId,
      domain: appraisal.domain,
      valence: appraisal.valence,
      importance: Math.min(1, 0.3 + 0.4 * appraisal.arousal + (appraisal.outcome === null ? 0 : 0.2 * Math.abs(appraisal.outcome))),
      source: 'insula-hooks',
      metadata: { kind: 'exchange', ...(appraisal.outcome === null ? {} : { outcome: appraisal.outcome }) },
    });
    if (!this.insula.hub) return exchangeId;
    if (appraisal.valence !== 0 || appraisal.arousal > 0) await this.insula.signal({ source: 'emotion', domain: appraisal.domain, valence: appraisal.valence, arousal: appraisal.arousal }, namespace);
    // The turn's own outcome (the host's word) trains strategy, somatic markers and the memories used;
    // tool results train each tool as a strategy of its own.
    if (outcome !== null) {
      await this.insula.feedback({
        namespace,
        ...situationOf(turn.userText || turn.assistantText),
        domain: appraisal.domain,
        ...(turn.strategy ? { strategy: turn.strategy } : {}),
        success: (outcome + 1) / 2,
        ...(memoryIds.length > 0 ? { memoryIds } : {}),
      });
    }
    for (const e of turn.toolEvents) {
      await this.insula.feedback({ namespace, domain: appraisal.domain, strategy: clipText(`tool:${e.name}`, MAX_STRATEGY_CHARS), success: e.ok });
      if (e.durationMs !== undefined) await this.insula.metric({ metric: `tool.${metricName(e.name)}.ms`, value: e.durationMs, domain: appraisal.domain }, namespace);
    }
    return exchangeId;
  }

  private remember(key: string, turn: LastTurn): void {
    this.lastTurns.delete(key);
    this.lastTurns.set(key, turn);
    if (this.lastTurns.size > this.opts.maxSessions) this.lastTurns.delete(this.lastTurns.keys().next().value!);
  }

  /** Counts an incident; host mistakes (bad input) do not trip the breaker, insula's own failures do. */
  private incident(err: unknown, where: string, tripsBreaker: boolean): string {
    const error = err instanceof Error ? err : new Error(String(err));
    this.incidents++;
    this.lastError = `${where}: ${error.message}`;
    if (tripsBreaker && !(err instanceof InsulaValidationError)) this.breaker.failure();
    try {
      this.opts.onIncident?.(error, where);
    } catch {
      // The host's listener failing must not turn a degraded turn into a failed one.
    }
    return error.message;
  }

  private degradedInbound(error: string): InboundContext {
    return {
      block: '',
      memories: [],
      state: { domain: 'general', domainState: null, arousal: 0, systemicAlert: false, deviating: [], confidence: null, incidents: this.incidents, breaker: this.breaker.state },
      actions: [],
      generation: null,
      degraded: true,
      error,
    };
  }
}

export function createHooks(insula: Insula, options: HookOptions = {}): InsulaHooks {
  return new InsulaHooks(insula, options);
}

function sessionKey(namespace: string, sessionId: string): string {
  return `${namespace}\u001f${sessionId}`;
}

function receiptOf(a: TurnAppraisal): Pick<OutboundReceipt, 'domain' | 'valence' | 'outcome'> {
  return { domain: a.domain, valence: a.valence, outcome: a.outcome };
}

/** A short follow-up ("and the other one?") is recalled together with the message before it. */
function recallQuery(userText: string, history: readonly { role: string; content: string }[]): string {
  const text = userText.trim();
  if (text.length >= 40) return clipText(text, MAX_QUERY_CHARS);
  const before = [...history].reverse().find((m) => (m.role === 'user' || m.role === 'assistant') && m.content.trim() && m.content.trim() !== text);
  return `${before ? `${before.content.trim().slice(-400)}\n` : ''}${text}`.trim();
}

/** Feedback's situation: the text cut to what it takes, or none for an empty text. */
function situationOf(text: string): { situation?: string } {
  return text ? { situation: clipText(text, MAX_SITUATION_CHARS) } : {};
}

/** The score factors that moved this memory, e.g. "relevance 0.71 (cosine 0.64, bm25 0.80); activation ×1.20". */
function explain(e: ScoreExplanation): string {
  const moved = Object.entries(e.multipliers)
    .filter(([name, value]) => name !== 'total' && Math.abs(value - 1) >= 0.05)
    .map(([name, value]) => `${name} ×${value.toFixed(2)}`);
  return [`relevance ${e.relevance.toFixed(2)} (cosine ${e.cosine.toFixed(2)}, bm25 ${e.bm25Normalised.toFixed(2)})`, ...moved].join('; ');
}

function metricName(toolName: string): string {
  return toolName.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 48) || 'tool';
}
