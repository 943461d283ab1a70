/**
 * Completion (the seed's type 4): the model continues a prefix message (an assistant message it
 * completes, e.g. the opening of a code block) and stops at a stop sequence. `stop` goes to the
 * model as a call option; a model that ignores it is cut at the first stop sequence here, so the
 * result never runs past one either way.
 */
import { AIMessage } from '@langchain/core/messages';
import { z } from 'zod';
import { parse } from '../../../src/memory/schema.js';
import { NeuronOptionsSchema, promptOf, withMemory } from './neuron.js';
import { renderEvents, type NeuronNode } from './state.js';

export const CompletionOptionsSchema = NeuronOptionsSchema.extend({
  /** The start of the answer, sent as an assistant message for the model to continue. */
  prefix: z.string().max(200_000).default(''),
  stop: z.array(z.string().min(1).max(64)).min(1).max(16),
}).strict();
export type CompletionOptions = z.input<typeof CompletionOptionsSchema>;

/** `text` up to the earliest of the stop sequences. */
export function cutAtStop(text: string, stop: readonly string[]): string {
  const at = Math.min(...stop.map((s) => text.indexOf(s)).filter((i) => i >= 0));
  return Number.isFinite(at) ? text.slice(0, at) : text;
}

export function createCompletionNeuron(options: CompletionOptions): NeuronNode {
  const opts = parse(CompletionOptionsSchema, options, 'Completion neuron options');
  return async (state, config) => {
    const input = renderEvents(state.events);
    const completion = await withMemory(opts, input, config, async (system) => {
      const messages = [...promptOf(system, input), ...(opts.prefix ? [new AIMessage(opts.prefix)] : [])];
      const reply = await opts.model.invoke(messages, { ...config, stop: opts.stop });
      const text = cutAtStop(reply.text, opts.stop);
      return { result: text, text };
    });
    return { events: [{ role: 'assistant', content: completion, source: opts.name, metadata: { prefix: opts.prefix } }], output: completion };
  };
}
