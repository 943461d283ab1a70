/**
 * What the LangGraph nodes and the LangChain middleware share: reading a turn out of a message list
 * and resolving, per run, which insula namespace and session it belongs to.
 */
import type { BaseMessage } from '@langchain/core/messages';
import { z } from 'zod';
import type { BeforeInboundInput, BeforeOutboundInput, InsulaHooks } from '../src/hooks/index.js';
import { DomainSchema, MAX_CONTENT_CHARS, NamespaceSchema } from '../src/memory/schema.js';

/** The run's configuration as both hosts expose it: LangGraph's config, LangChain's runtime. */
export interface RunScope {
  configurable?: Record<string, unknown> | undefined;
  context?: unknown;
}

const isFunction = (v: unknown) => typeof v === 'function';

export const TurnOptionsSchema = z
  .object({
    hooks: z.custom<InsulaHooks>((v) => typeof v === 'object' && v !== null && 'beforeInbound' in v && 'beforeOutbound' in v, 'an InsulaHooks instance'),
    /** The insula namespace, or how to read it from the run (e.g. a user id in `configurable`). */
    namespace: z.union([NamespaceSchema, z.custom<(scope: RunScope) => string>(isFunction)]).default('default'),
    /** How to read the session from the run; by default LangGraph's `configurable.thread_id`. */
    sessionId: z.custom<(scope: RunScope) => string>(isFunction).optional(),
    /** The turn's domain; the hooks detect it from the text when omitted. */
    domain: DomainSchema.optional(),
    /** Memories recalled per turn (the hooks' default when omitted). */
    k: z.number().int().min(1).max(50).optional(),
  })
  .strict();
export type TurnOptions = z.input<typeof TurnOptionsSchema>;
type ParsedTurnOptions = z.output<typeof TurnOptionsSchema>;

export function scopeOf(opts: ParsedTurnOptions, scope: RunScope): { namespace: string; sessionId: string } {
  const namespace = typeof opts.namespace === 'function' ? opts.namespace(scope) : opts.namespace;
  const sessionId = opts.sessionId ? opts.sessionId(scope) : String(scope.configurable?.thread_id ?? 'default');
  return { namespace, sessionId };
}

const ROLES: Record<string, 'user' | 'assistant' | 'system' | 'tool'> = { human: 'user', ai: 'assistant', system: 'system', tool: 'tool' };
/** Enough context for a short follow-up; the hooks only read the last user and assistant messages. */
const HISTORY = 20;

function lastHumanIndex(messages: readonly BaseMessage[]): number {
  return messages.findLastIndex((m) => m.getType() === 'human');
}

/** The inbound half of the latest turn: the last human message and what came before it; null without one. */
export function inboundTurn(opts: ParsedTurnOptions, scope: RunScope, messages: readonly BaseMessage[]): BeforeInboundInput | null {
  const at = lastHumanIndex(messages);
  if (at < 0) return null;
  const history = messages
    .slice(0, at)
    .filter((m) => ROLES[m.getType()] !== undefined)
    .slice(-HISTORY)
    .map((m) => ({ role: ROLES[m.getType()]!, content: m.text.slice(0, MAX_CONTENT_CHARS) }));
  return {
    ...scopeOf(opts, scope),
    userText: messages[at]!.text.slice(0, MAX_CONTENT_CHARS),
    history,
    ...(opts.domain ? { domain: opts.domain } : {}),
    ...(opts.k ? { k: opts.k } : {}),
  };
}

/**
 * The outbound half: the last human message, the final AI answer after it and the tool calls in
 * between; null until the AI has answered.
 */
export function outboundTurn(opts: ParsedTurnOptions, scope: RunScope, messages: readonly BaseMessage[], memoryIds: string[] | undefined): BeforeOutboundInput | null {
  const at = lastHumanIndex(messages);
  if (at < 0) return null;
  const after = messages.slice(at + 1);
  const answer = after.findLast((m) => m.getType() === 'ai' && m.text.trim().length > 0);
  if (!answer) return null;
  const toolEvents = after
    .filter((m) => m.getType() === 'tool')
    .map((m) => {
      const failed = (m as BaseMessage & { status?: string }).status === 'error';
      return { name: (m.name || 'tool').slice(0, 128), ok: !failed, ...(failed ? { error: m.text.slice(0, 4096) } : {}) };
    });
  return {
    ...scopeOf(opts, scope),
    userText: messages[at]!.text.slice(0, MAX_CONTENT_CHARS),
    assistantText: answer.text.slice(0, MAX_CONTENT_CHARS),
    toolEvents: toolEvents.slice(-200),
    ...(opts.domain ? { domain: opts.domain } : {}),
    ...(memoryIds ? { memoryIds: memoryIds.slice(0, 100) } : {}),
  };
}
