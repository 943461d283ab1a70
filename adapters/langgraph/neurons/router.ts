/**
 * Router (the seed's type 5): splits and reshapes the events into sub-tasks and sends each to a
 * downstream neuron, `Array<{neuron, events}>`, as LangGraph `Send`s in a `Command`: the targets
 * run in parallel in the next step, each seeing only its own events. The routing is the model's
 * (a structured reply choosing among the targets) or a function's (rule-based).
 */
import { Command, END, Send } from '@langchain/langgraph';
import { z } from 'zod';
import { parse } from '../../../src/memory/schema.js';
import { NeuronEventSchema, type NeuronEvent } from './events.js';
import { NeuronInsulaSchema } from './insula-link.js';
import { ChatModelSchema, NeuronNameSchema, promptOf, withMemory } from './neuron.js';
import { emitObservable } from './observe.js';
import { renderEvents, type NeuronNode } from './state.js';
import { invokeStructured } from './structured-output.js';

export interface Route {
  neuron: string;
  events: NeuronEvent[];
}
export type RouteFunction = (events: NeuronEvent[]) => Route[] | Promise<Route[]>;

export const RouterOptionsSchema = z
  .object({
    name: NeuronNameSchema,
    /** Downstream neurons by name, with what each does (the model chooses by these descriptions). */
    targets: z.record(NeuronNameSchema, z.string().max(2000)).refine((t) => Object.keys(t).length > 0, 'targets: at least one'),
    /** A model routes by a structured reply... */
    model: ChatModelSchema.optional(),
    memory: z.string().max(200_000).default(''),
    insula: NeuronInsulaSchema.optional(),
    attempts: z.number().int().min(1).max(10).default(2),
    /** ...or a function routes by rule. */
    route: z.custom<RouteFunction>((v) => typeof v === 'function', 'a function (events) => routes').optional(),
  })
  .strict()
  .refine((o) => (o.model === undefined) !== (o.route === undefined), { message: 'model or route: exactly one of them', path: ['model'] });
export type RouterOptions = z.input<typeof RouterOptionsSchema>;

/** A Router node; `targets` lists where it may send, for the graph's edges. */
export type RouterNode = NeuronNode & { targets: string[] };

export function createRouterNeuron(options: RouterOptions): RouterNode {
  const opts = parse(RouterOptionsSchema, options, 'Router neuron options');
  const targets = Object.keys(opts.targets);
  const RoutesSchema = z.object({
    routes: z
      .array(z.object({ neuron: z.enum(targets as [string, ...string[]]), events: z.array(NeuronEventSchema.pick({ role: true, content: true })).min(1).max(256) }))
      .max(64),
  });
  const instructions = [
    'Split the events into sub-tasks and route each to one of these neurons, with the events it needs (reshaped as it needs them):',
    ...Object.entries(opts.targets).map(([name, what]) => `- ${name}: ${what}`),
    'Reply with {"routes": [{"neuron": ..., "events": [{"role": ..., "content": ...}]}]}; no routes when nothing needs doing.',
  ].join('\n');

  const node = async (state: { events: NeuronEvent[] }, config: Parameters<NeuronNode>[1]) => {
    const input = renderEvents(state.events);
    let routes: Route[];
    if (opts.route) {
      routes = parse(z.array(z.object({ neuron: z.enum(targets as [string, ...string[]]), events: z.array(NeuronEventSchema) })), await opts.route(state.events), `routes of ${opts.name}`);
    } else {
      const model = opts.model!;
      routes = await withMemory(opts, input, config, async (system) => {
        const reply = await invokeStructured(opts.name, model, RoutesSchema, promptOf([system, instructions].filter(Boolean).join('\n\n'), input), opts.attempts, config);
        // The model wrote these events: the router is their source.
        const result = reply.routes.map((r) => ({ neuron: r.neuron, events: r.events.map((e) => ({ ...e, source: opts.name })) }));
        return { result, text: JSON.stringify(result) };
      });
    }
    emitObservable(config, { type: 'info', stage: opts.name, message: routes.length ? `routed to ${routes.map((r) => r.neuron).join(', ')}` : 'nothing to route', metadata: { routes: routes.map((r) => ({ neuron: r.neuron, events: r.events.length })) } });
    if (routes.length === 0) return new Command({ goto: END });
    return new Command({ goto: routes.map((r) => new Send(r.neuron, { events: r.events })) });
  };
  return Object.assign(node, { targets });
}
