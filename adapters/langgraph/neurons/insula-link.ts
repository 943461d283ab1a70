/**
 * How a neuron uses insula: recall into its `memory` before the model call, and its outcome into
 * the hub after it (feedback with the neuron's name as the strategy). Either through InsulaHooks
 * (recall, interoceptive state and regulation as one block; the exchange stored and appraised) or
 * an Insula instance directly (recall and feedback only). Every failure is contained: the neuron
 * proceeds without memory and its result stands.
 */
import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import { z } from 'zod';
import type { InsulaHooks } from '../../../src/hooks/index.js';
import type { Insula } from '../../../src/insula.js';
import { clipText, DomainSchema, MAX_CONTENT_CHARS, MAX_QUERY_CHARS, NamespaceSchema } from '../../../src/memory/schema.js';
import { withTimeout } from '../../../src/timeout.js';

const isInsula = (v: unknown): v is Insula => typeof v === 'object' && v !== null && 'recall' in v && 'feedback' in v && 'metric' in v;
const isHooks = (v: unknown): v is InsulaHooks => typeof v === 'object' && v !== null && 'beforeInbound' in v && 'beforeOutbound' in v;

export const NeuronInsulaSchema = z
  .object({
    client: z.custom<Insula | InsulaHooks>((v) => isInsula(v) || isHooks(v), 'an Insula or InsulaHooks instance'),
    namespace: NamespaceSchema.default('default'),
    /** The hub domain the neuron's outcomes are recorded in; detected from the text (hooks) or 'general' when omitted. */
    domain: DomainSchema.optional(),
    /** Memories recalled per call. */
    k: z.number().int().min(1).max(50).default(4),
    /** Longest insula may hold the neuron (an Insula client; hooks have their own timeout). */
    timeoutMs: z.number().int().min(1).max(60_000).default(2000),
  })
  .strict();
export type NeuronInsula = z.output<typeof NeuronInsulaSchema>;

/** The Insula instance behind either client. */
export function insulaOf(link: NeuronInsula): Insula {
  return isHooks(link.client) ? link.client.insula : link.client;
}

export interface Recollection {
  /** Text for the neuron's memory ('' when nothing was recalled or insula failed). */
  block: string;
  memoryIds: string[];
  /** True when insula failed or timed out. */
  degraded: boolean;
}

const NOTHING: Recollection = { block: '', memoryIds: [], degraded: false };

/** The neuron's own session within the run's thread: parallel neurons must not share a pending turn. */
function sessionOf(config: LangGraphRunnableConfig, neuron: string): string {
  return clipText(`${String(config.configurable?.thread_id ?? 'neurons')}/${neuron}`, 256);
}

/** Longest situation text feedback takes (Insula.feedback's bound). */
const MAX_SITUATION_CHARS = 8192;

export async function recallFor(link: NeuronInsula | undefined, neuron: string, query: string, config: LangGraphRunnableConfig): Promise<Recollection> {
  const text = query.trim();
  if (!link || !text) return NOTHING;
  if (isHooks(link.client)) {
    const context = await link.client.beforeInbound({
      namespace: link.namespace,
      sessionId: sessionOf(config, neuron),
      userText: clipText(text, MAX_CONTENT_CHARS),
      k: link.k,
      ...(link.domain ? { domain: link.domain } : {}),
    });
    return { block: context.block, memoryIds: context.memories.map((m) => m.id), degraded: context.degraded };
  }
  try {
    const results = await withTimeout(
      link.client.recall(clipText(text, MAX_QUERY_CHARS), { namespace: link.namespace, k: link.k, ...(link.domain ? { hubDomain: link.domain } : {}) }),
      link.timeoutMs,
    );
    if (results.length === 0) return NOTHING;
    return { block: ['## Recalled memories (insula)', ...results.map((r) => `- ${r.content}`)].join('\n'), memoryIds: results.map((r) => r.id), degraded: false };
  } catch {
    return { block: '', memoryIds: [], degraded: true };
  }
}

export interface NeuronOutcome {
  neuron: string;
  query: string;
  result: string;
  success: boolean;
  memoryIds: string[];
  toolEvents?: Array<{ name: string; ok: boolean; error?: string; durationMs?: number }>;
}

/** Records how the neuron did: feedback for the strategy `neuron`, and for each tool it called. */
export async function recordOutcome(link: NeuronInsula | undefined, outcome: NeuronOutcome, config: LangGraphRunnableConfig): Promise<void> {
  if (!link) return;
  const toolEvents = (outcome.toolEvents ?? []).slice(-200).map((e) => ({ ...e, name: clipText(e.name, 128), ...(e.error ? { error: clipText(e.error, 4096) } : {}) }));
  if (isHooks(link.client)) {
    await link.client.beforeOutbound({
      namespace: link.namespace,
      sessionId: sessionOf(config, outcome.neuron),
      userText: clipText(outcome.query, MAX_CONTENT_CHARS),
      assistantText: clipText(outcome.result, MAX_CONTENT_CHARS),
      outcome: outcome.success,
      strategy: outcome.neuron,
      toolEvents,
      memoryIds: outcome.memoryIds.slice(0, 50),
      ...(link.domain ? { domain: link.domain } : {}),
    });
    return;
  }
  const insula = link.client;
  const domain = link.domain ?? 'general';
  try {
    await withTimeout(
      (async () => {
        const situation = clipText(outcome.query.trim(), MAX_SITUATION_CHARS);
        await insula.feedback({
          namespace: link.namespace,
          domain,
          strategy: outcome.neuron,
          success: outcome.success,
          ...(situation ? { situation } : {}),
          ...(outcome.memoryIds.length > 0 ? { memoryIds: outcome.memoryIds.slice(0, 50) } : {}),
        });
        for (const e of toolEvents) await insula.feedback({ namespace: link.namespace, domain, strategy: clipText(`tool:${e.name}`, 128), success: e.ok });
      })(),
      link.timeoutMs,
    );
  } catch {
    // The neuron's result stands without the hub's bookkeeping.
  }
}
