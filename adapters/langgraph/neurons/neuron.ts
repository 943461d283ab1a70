/**
 * The base neuron (the seed's type 1): `(input, calltools) => Promise<string>` on a LangChain chat
 * model. The return value ends the computation; a tool call continues it through `calltools`, whose
 * answer goes back to the model. The neuron never runs a tool itself, so whoever supplies
 * `calltools` decides what a tool does. Also the options every neuron type shares.
 */
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { HumanMessage, SystemMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import type { RunnableConfig } from '@langchain/core/runnables';
import type { StructuredToolInterface } from '@langchain/core/tools';
import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import { z } from 'zod';
import { parse } from '../../../src/memory/schema.js';
import type { AiNeuron, CallTools } from './events.js';
import { NeuronInsulaSchema, recallFor, recordOutcome, type NeuronInsula, type NeuronOutcome } from './insula-link.js';
import { emitObservable } from './observe.js';
import { renderEvents, type NeuronNode } from './state.js';

/** A LangChain chat model the caller passes in. */
export const ChatModelSchema = z.custom<BaseChatModel>(
  (v) => typeof v === 'object' && v !== null && typeof (v as BaseChatModel).invoke === 'function' && typeof (v as BaseChatModel).withStructuredOutput === 'function',
  'a LangChain chat model (BaseChatModel)',
);
export const ToolSchema = z.custom<StructuredToolInterface>(
  (v) => typeof v === 'object' && v !== null && typeof (v as StructuredToolInterface).name === 'string' && typeof (v as StructuredToolInterface).invoke === 'function' && 'schema' in v,
  'a LangChain tool',
);
/** A neuron's name: its graph node (LangGraph reserves ":" and "|"), its strategy in the hub, its `source` on the events it emits. */
export const NeuronNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'name: 1-64 characters from A-Z a-z 0-9 _ . -, starting with a letter or digit');

/** What every model-driven neuron takes: its name, model, static memory (the system prompt) and insula. */
export const NeuronOptionsSchema = z
  .object({
    name: NeuronNameSchema,
    model: ChatModelSchema,
    /** The neuron's static knowledge and instructions; recalled memories are added to it per call. */
    memory: z.string().max(200_000).default(''),
    insula: NeuronInsulaSchema.optional(),
  })
  .strict();

/** A neuron that could not produce its result (step bound reached, output invalid after its attempts). */
export class NeuronError extends Error {
  constructor(
    readonly neuron: string,
    message: string,
  ) {
    super(`neuron ${neuron}: ${message}`);
    this.name = 'NeuronError';
  }
}

/** The system prompt of one call: the neuron's memory, then what insula recalled for it. */
export function systemPrompt(memory: string, recalled: string): string {
  return [memory.trim(), recalled.trim()].filter(Boolean).join('\n\n');
}

/** What a neuron's work gives back: its result and the text recorded for it. */
export interface NeuronWork<R> {
  result: R;
  text: string;
}

/**
 * One call of a model-driven neuron with insula around it: recall for `input` into the system
 * prompt, run `work`, record its success or failure (with the recalled memories) as feedback for
 * the strategy named after the neuron, and of the tools in `toolEvents` (filled while `work`
 * runs). A failed `work` still throws, after it is recorded.
 */
export async function withMemory<R>(
  neuron: { name: string; memory: string; insula?: NeuronInsula | undefined },
  input: string,
  config: LangGraphRunnableConfig,
  work: (system: string) => Promise<NeuronWork<R>>,
  toolEvents: NeuronOutcome['toolEvents'] = [],
): Promise<R> {
  const recalled = await recallFor(neuron.insula, neuron.name, input, config);
  if (recalled.memoryIds.length > 0) emitObservable(config, { type: 'info', stage: neuron.name, message: `recalled ${recalled.memoryIds.length} memories`, metadata: { memoryIds: recalled.memoryIds } });
  const outcome = { neuron: neuron.name, query: input, memoryIds: recalled.memoryIds, toolEvents };
  let done: NeuronWork<R>;
  try {
    done = await work(systemPrompt(neuron.memory, recalled.block));
  } catch (err) {
    await recordOutcome(neuron.insula, { ...outcome, result: err instanceof Error ? err.message : String(err), success: false }, config);
    throw err;
  }
  await recordOutcome(neuron.insula, { ...outcome, result: done.text, success: true }, config);
  return done.result;
}

/** A single-turn prompt: the system prompt (when any), then the input. */
export function promptOf(system: string, input: string): BaseMessage[] {
  return [...(system ? [new SystemMessage(system)] : []), new HumanMessage(input)];
}

export const ChatNeuronOptionsSchema = z
  .object({
    /** Used in errors. */
    name: NeuronNameSchema.default('neuron'),
    model: ChatModelSchema,
    system: z.string().max(400_000).default(''),
    /** Tools the model may call (bound to it); `calltools` runs them. */
    tools: z.array(ToolSchema).max(128).default([]),
    /** Model calls allowed before the neuron gives up. */
    maxSteps: z.number().int().min(1).max(100).default(8),
    /**
     * An output-register tool among `tools`: once `calltools` accepts a call to it, the neuron
     * returns that call's params; until then a plain text reply is asked to call it.
     */
    outputTool: z.string().min(1).optional(),
  })
  .strict();
export type ChatNeuronOptions = z.input<typeof ChatNeuronOptionsSchema>;

/** A base neuron on a chat model; `config` carries the run's callbacks into the model calls. */
export function createChatNeuron(options: ChatNeuronOptions, config?: RunnableConfig): AiNeuron {
  const opts = parse(ChatNeuronOptionsSchema, options, 'chat neuron options');
  if (opts.outputTool && !opts.tools.some((t) => t.name === opts.outputTool)) throw new NeuronError(opts.name, `outputTool "${opts.outputTool}" is not among its tools`);
  if (opts.tools.length > 0 && typeof opts.model.bindTools !== 'function') throw new NeuronError(opts.name, 'its model cannot bind tools');
  const model = opts.tools.length > 0 ? opts.model.bindTools!(opts.tools) : opts.model;
  return async (input, calltools) => {
    const messages = promptOf(opts.system, input);
    for (let step = 0; step < opts.maxSteps; step++) {
      const reply = await model.invoke(messages, config);
      messages.push(reply);
      const calls = reply.tool_calls ?? [];
      if (calls.length === 0) {
        if (!opts.outputTool) return reply.text;
        messages.push(new HumanMessage(`Finish by calling the ${opts.outputTool} tool with your result.`));
        continue;
      }
      for (const call of calls) {
        const params = JSON.stringify(call.args ?? {});
        const toolCallId = call.id ?? `${call.name}-${step}`;
        try {
          const result = await calltools(call.name, params);
          messages.push(new ToolMessage({ content: result, tool_call_id: toolCallId, name: call.name }));
          if (call.name === opts.outputTool) return params;
        } catch (err) {
          // The model sees the failure and may correct its call (a bad output included).
          messages.push(new ToolMessage({ content: `Error: ${err instanceof Error ? err.message : String(err)}`, tool_call_id: toolCallId, name: call.name, status: 'error' }));
        }
      }
    }
    throw new NeuronError(opts.name, `no result after ${opts.maxSteps} model calls`);
  };
}

/**
 * `calltools` over a set of tools: parses the params, runs the tool with the run's config, and
 * notes each call (ok or not, how long) in `toolEvents` for the hub.
 */
export function toolCaller(tools: readonly StructuredToolInterface[], config: RunnableConfig, toolEvents: NonNullable<NeuronOutcome['toolEvents']>): CallTools {
  const registry = new Map(tools.map((t) => [t.name, t]));
  return async (name, params) => {
    const found = registry.get(name);
    if (!found) throw new Error(`unknown tool "${name}" (available: ${[...registry.keys()].join(', ') || 'none'})`);
    const started = Date.now();
    try {
      const result: unknown = await found.invoke(JSON.parse(params), config);
      toolEvents.push({ name, ok: true, durationMs: Date.now() - started });
      return typeof result === 'string' ? result : JSON.stringify(result);
    } catch (err) {
      toolEvents.push({ name, ok: false, error: err instanceof Error ? err.message : String(err), durationMs: Date.now() - started });
      throw err;
    }
  };
}

export const NeuronNodeOptionsSchema = z
  .object({
    name: NeuronNameSchema,
    /** Any base neuron: a chat model's (createChatNeuron), a remote service's, a function. */
    neuron: z.custom<AiNeuron>((v) => typeof v === 'function', 'an AiNeuron (input, calltools) => Promise<string>'),
    /** What its `calltools` can run. */
    tools: z.array(ToolSchema).max(128).default([]),
  })
  .strict();
export type NeuronNodeOptions = z.input<typeof NeuronNodeOptionsSchema>;

/** A base neuron as a graph node: the events as its input string, its return value as one event and the output. */
export function createNeuronNode(options: NeuronNodeOptions): NeuronNode {
  const opts = parse(NeuronNodeOptionsSchema, options, 'neuron node options');
  return async (state, config) => {
    const result = await opts.neuron(renderEvents(state.events), toolCaller(opts.tools, config, []));
    return { events: [{ role: 'assistant', content: result, source: opts.name }], output: result };
  };
}
