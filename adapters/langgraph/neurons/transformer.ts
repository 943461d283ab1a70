/**
 * Transformer (the seed's type 6): events → events. It replaces the event stream (LangGraph's
 * `Overwrite`) with a compressed, expanded or reformatted one, as its memory instructs a model or
 * as a function computes. It must not run in the same step as another stage writing events: an
 * overwrite drops what they append.
 */
import { z } from 'zod';
import { parse } from '../../../src/memory/schema.js';
import { NeuronEventSchema, type NeuronEvent } from './events.js';
import { NeuronInsulaSchema } from './insula-link.js';
import { ChatModelSchema, NeuronNameSchema, promptOf, withMemory } from './neuron.js';
import { renderEvents, replaceEvents, type NeuronNode } from './state.js';
import { invokeStructured } from './structured-output.js';

export type TransformFunction = (events: NeuronEvent[]) => NeuronEvent[] | Promise<NeuronEvent[]>;

export const TransformerOptionsSchema = z
  .object({
    name: NeuronNameSchema,
    /** A model transforms as `memory` instructs... */
    model: ChatModelSchema.optional(),
    memory: z.string().max(200_000).default(''),
    insula: NeuronInsulaSchema.optional(),
    attempts: z.number().int().min(1).max(10).default(2),
    /** ...or a function does. */
    transform: z.custom<TransformFunction>((v) => typeof v === 'function', 'a function (events) => events').optional(),
  })
  .strict()
  .refine((o) => (o.model === undefined) !== (o.transform === undefined), { message: 'model or transform: exactly one of them', path: ['model'] });
export type TransformerOptions = z.input<typeof TransformerOptionsSchema>;

const ReplySchema = z.object({ events: z.array(NeuronEventSchema.pick({ role: true, content: true })).max(1024) });
const INSTRUCTIONS = 'Rewrite the events as instructed. Reply with {"events": [{"role": ..., "content": ...}]}.';

export function createTransformerNeuron(options: TransformerOptions): NeuronNode {
  const opts = parse(TransformerOptionsSchema, options, 'Transformer neuron options');
  return async (state, config) => {
    let events: NeuronEvent[];
    if (opts.transform) {
      events = parse(z.array(NeuronEventSchema), await opts.transform(state.events), `events from ${opts.name}`);
    } else {
      const model = opts.model!;
      const input = renderEvents(state.events);
      const reply = await withMemory(opts, input, config, async (system) => {
        const result = await invokeStructured(opts.name, model, ReplySchema, promptOf([system, INSTRUCTIONS].filter(Boolean).join('\n\n'), input), opts.attempts, config);
        return { result, text: JSON.stringify(result.events) };
      });
      events = reply.events.map((e) => ({ ...e, source: opts.name }));
    }
    return { events: replaceEvents(events), output: events.map((e) => e.content).join('\n\n') };
  };
}
