/**
 * StructuredOutput (the seed's type 2): memory + events → an object of a zod schema. A terminal
 * neuron, usually a fascicle's exit: no tools, the structure constrained at generation time
 * (`withStructuredOutput`) and checked against the schema here. An invalid reply is asked again
 * with the schema's complaint, up to `attempts` times.
 */
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { HumanMessage, type BaseMessage } from '@langchain/core/messages';
import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import { z } from 'zod';
import { formatIssues, parse } from '../../../src/memory/schema.js';
import { NeuronError, NeuronOptionsSchema, promptOf, withMemory } from './neuron.js';
import { emitObservable } from './observe.js';
import { renderEvents, type NeuronNode } from './state.js';

export const ZodSchemaSchema = z.custom<z.ZodType>((v) => v instanceof z.ZodType, 'a zod schema');

export const StructuredOutputOptionsSchema = NeuronOptionsSchema.extend({
  schema: ZodSchemaSchema,
  /** Model calls before an invalid reply fails the neuron. */
  attempts: z.number().int().min(1).max(10).default(2),
}).strict();
export type StructuredOutputOptions<T> = Omit<z.input<typeof StructuredOutputOptionsSchema>, 'schema'> & { schema: z.ZodType<T> };

/**
 * Asks `model` for an object of `schema`; a reply that fails to parse or validate is sent back with
 * the complaint. Returns the validated object, or throws a NeuronError after `attempts` calls.
 */
export async function invokeStructured<T>(
  neuron: string,
  model: BaseChatModel,
  schema: z.ZodType<T>,
  messages: BaseMessage[],
  attempts: number,
  config: LangGraphRunnableConfig,
): Promise<T> {
  const runnable = model.withStructuredOutput(schema as z.ZodType<Record<string, unknown>>);
  const conversation = [...messages];
  let complaint = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const parsed = schema.safeParse(await runnable.invoke(conversation, config));
      if (parsed.success) return parsed.data;
      complaint = formatIssues(parsed.error);
    } catch (err) {
      complaint = err instanceof Error ? err.message : String(err);
    }
    emitObservable(config, { type: 'info', stage: neuron, message: `invalid structured output (attempt ${attempt} of ${attempts})`, metadata: { complaint } });
    conversation.push(new HumanMessage(`Your reply did not match the required structure: ${complaint}\nReply again with only the structured output.`));
  }
  throw new NeuronError(neuron, `invalid structured output after ${attempts} attempts: ${complaint}`);
}

export function createStructuredOutputNeuron<T>(options: StructuredOutputOptions<T>): NeuronNode {
  const opts = parse(StructuredOutputOptionsSchema, options, 'StructuredOutput neuron options');
  const schema = opts.schema as z.ZodType<T>;
  return async (state, config) => {
    const input = renderEvents(state.events);
    const output = await withMemory(opts, input, config, async (system) => {
      const result = await invokeStructured(opts.name, opts.model, schema, promptOf(system, input), opts.attempts, config);
      return { result, text: JSON.stringify(result) };
    });
    return { events: [{ role: 'assistant', content: JSON.stringify(output), source: opts.name }], output };
  };
}
