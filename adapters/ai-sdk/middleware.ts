/**
 * insula as Vercel AI SDK language-model middleware (`wrapLanguageModel({ model, middleware })`):
 * `transformParams` recalls for the last user message and adds the block as a system message of
 * that call; `wrapGenerate` / `wrapStream` record the exchange once the reply is complete. Typed
 * structurally on the v3 middleware shape, so it needs no AI SDK package at run time. Per call,
 * `providerOptions.insula.{namespace, sessionId, domain, outcome}` override the options.
 */
import { z } from 'zod';
import type { InboundContext, InsulaHooks } from '../../src/hooks/index.js';
import { DomainSchema, NamespaceSchema, parse, SessionSchema } from '../../src/memory/schema.js';

export const InsulaAiSdkOptionsSchema = z
  .object({
    hooks: z.custom<InsulaHooks>((v) => typeof v === 'object' && v !== null && 'beforeInbound' in v && 'beforeOutbound' in v, 'an InsulaHooks instance'),
    namespace: NamespaceSchema.default('default'),
    sessionId: SessionSchema.default('ai-sdk'),
    domain: DomainSchema.optional(),
    /** Use the hub's temperature / top-p when the call sets none. */
    applyGeneration: z.boolean().default(true),
  })
  .strict();
export type InsulaAiSdkOptions = z.input<typeof InsulaAiSdkOptionsSchema>;

const PerCallSchema = z
  .object({ namespace: NamespaceSchema.optional(), sessionId: SessionSchema.optional(), domain: DomainSchema.optional(), outcome: z.union([z.boolean(), z.number().min(-1).max(1)]).optional() })
  .strict();

type Part = { type: string; text?: string };
type Message = { role: 'system'; content: string } | { role: 'user' | 'assistant' | 'tool'; content: Part[] };
/** The v3 call options, as far as insula reads and writes them. */
export interface CallOptions {
  prompt: Message[];
  temperature?: number;
  topP?: number;
  providerOptions?: Record<string, Record<string, unknown>>;
}
type StreamPart = { type: string; delta?: string };

interface Turn {
  namespace: string;
  sessionId: string;
  domain: string | undefined;
  outcome: boolean | number | undefined;
  userText: string;
  context: InboundContext;
}

export function insulaAiSdkMiddleware(options: InsulaAiSdkOptions) {
  const opts = parse(InsulaAiSdkOptionsSchema, options, 'insula AI SDK middleware options');
  // The params object handed back by transformParams is the one the wrappers receive.
  const turns = new WeakMap<object, Turn>();

  const record = async (params: CallOptions, assistantText: string) => {
    const turn = turns.get(params);
    if (!turn || !assistantText) return;
    await opts.hooks.beforeOutbound({
      namespace: turn.namespace,
      sessionId: turn.sessionId,
      userText: turn.userText,
      assistantText,
      memoryIds: turn.context.memories.map((m) => m.id),
      ...(turn.domain ? { domain: turn.domain } : {}),
      ...(turn.outcome === undefined ? {} : { outcome: turn.outcome }),
    });
  };

  return {
    specificationVersion: 'v3' as const,

    async transformParams<P extends CallOptions>({ params }: { type: 'generate' | 'stream'; params: P }): Promise<P> {
      const userText = lastUserText(params.prompt);
      if (!userText) return params;
      const perCall = PerCallSchema.safeParse(params.providerOptions?.['insula'] ?? {});
      const call = perCall.success ? perCall.data : {};
      const namespace = call.namespace ?? opts.namespace;
      const sessionId = call.sessionId ?? opts.sessionId;
      const domain = call.domain ?? opts.domain;
      const context = await opts.hooks.beforeInbound({ namespace, sessionId, userText, ...(domain ? { domain } : {}) });
      const g = opts.applyGeneration ? context.generation : null;
      const next: P = {
        ...params,
        prompt: context.block ? withSystemBlock(params.prompt, context.block) : params.prompt,
        ...(g && params.temperature === undefined ? { temperature: g.temperature } : {}),
        ...(g && params.topP === undefined ? { topP: g.topP } : {}),
      };
      turns.set(next, { namespace, sessionId, domain, outcome: call.outcome, userText, context });
      return next;
    },

    async wrapGenerate<R extends { content: Part[] }>({ doGenerate, params }: { doGenerate: () => PromiseLike<R>; params: CallOptions }): Promise<R> {
      const result = await doGenerate();
      await record(params, textOf(result.content));
      return result;
    },

    async wrapStream<R extends { stream: ReadableStream<StreamPart> }>({ doStream, params }: { doStream: () => PromiseLike<R>; params: CallOptions }): Promise<R> {
      const result = await doStream();
      let text = '';
      const tap = new TransformStream<StreamPart, StreamPart>({
        transform(part, controller) {
          if (part.type === 'text-delta' && part.delta) text += part.delta;
          controller.enqueue(part);
        },
        // Recorded when the stream ends; beforeOutbound only queues, so the stream is not held up.
        flush: () => record(params, text),
      });
      return { ...result, stream: result.stream.pipeThrough(tap) };
    },
  };
}

function lastUserText(prompt: readonly Message[]): string {
  for (let i = prompt.length - 1; i >= 0; i--) {
    const m = prompt[i]!;
    if (m.role === 'user') return textOf(m.content);
  }
  return '';
}

function textOf(parts: readonly Part[]): string {
  return parts
    .filter((p) => p.type === 'text' && typeof p.text === 'string')
    .map((p) => p.text)
    .join('');
}

/** The block joins the first system message (or becomes one), for this call only. */
function withSystemBlock(prompt: readonly Message[], block: string): Message[] {
  const first = prompt[0];
  if (first?.role === 'system') return [{ role: 'system', content: `${first.content}\n\n${block}` }, ...prompt.slice(1)];
  return [{ role: 'system', content: block }, ...prompt];
}
