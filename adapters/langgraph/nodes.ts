/**
 * insula as two StateGraph nodes around the model node: `recall` before it (memories, interoceptive
 * state and regulation into the state, as `insula`), `record` after it (the exchange stored and
 * appraised). Both go through the hooks, so both fail open.
 */
import type { BaseMessage } from '@langchain/core/messages';
import { Annotation, type LangGraphRunnableConfig } from '@langchain/langgraph';
import type { InboundContext } from '../../src/hooks/index.js';
import { parse } from '../../src/memory/schema.js';
import { inboundTurn, outboundTurn, TurnOptionsSchema, type TurnOptions } from '../turn.js';

/** The state fragment the nodes use: spread `InsulaAnnotation.spec` into the graph's Annotation.Root. */
export const InsulaAnnotation = Annotation.Root({
  /** The latest turn's recall: `block` for the prompt, `memories`, `state`, `actions`, `generation`. */
  insula: Annotation<InboundContext | null>({ reducer: (_previous, next) => next, default: () => null }),
});

interface TurnState {
  messages: BaseMessage[];
  insula?: InboundContext | null;
}

/** Before the model: recalls for the latest human message; `insula` is null when there is none. */
export function createRecallNode(options: TurnOptions) {
  const opts = parse(TurnOptionsSchema, options, 'recall node options');
  return async (state: TurnState, config: LangGraphRunnableConfig): Promise<{ insula: InboundContext | null }> => {
    const turn = inboundTurn(opts, config, state.messages);
    return { insula: turn ? await opts.hooks.beforeInbound(turn) : null };
  };
}

/** After the model: records the latest exchange with the memories its recall used. */
export function createRecordNode(options: TurnOptions) {
  const opts = parse(TurnOptionsSchema, options, 'record node options');
  return async (state: TurnState, config: LangGraphRunnableConfig): Promise<Record<string, never>> => {
    // The ids travel in the checkpointed state, so a turn resumed in another process keeps them.
    const turn = outboundTurn(opts, config, state.messages, state.insula?.memories.map((m) => m.id));
    if (turn) await opts.hooks.beforeOutbound(turn);
    return {};
  };
}
