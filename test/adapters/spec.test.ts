/** Fascicles from a declarative spec: JSON in, a compiled fascicle out, bad specs refused field by field. */
import { tool } from '@langchain/core/tools';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { FakeToolCallingModel } from 'langchain';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FascicleSpecSchema, instantiateFascicle, type FascicleSpec, type InstantiateOptions } from '../../adapters/langgraph/index.js';
import { useTestInsula } from '../helpers.js';

const OrderSchema = { type: 'object' as const, properties: { item: { type: 'string' }, quantity: { type: 'integer', minimum: 1 } }, required: ['item', 'quantity'] };

/** The seed's shape: a router, parallel tool neurons, an aggregating transformer, a structured exit. */
const spec: FascicleSpec = {
  name: 'orders',
  neurons: [
    { type: 'router', name: 'intent', model: 'fast', memory: 'You read orders.', targets: { stock: 'checks the stock', price: 'prices the order' } },
    { type: 'tool-augmented', name: 'stock', model: 'stock-model', tools: ['inventory'], output: { type: 'object', properties: { available: { type: 'integer' } }, required: ['available'] } },
    { type: 'tool-augmented', name: 'price', model: 'price-model', tools: [] },
    { type: 'transformer', name: 'merge', model: 'fast', memory: 'Merge the findings.' },
    { type: 'structured-output', name: 'order', model: 'exit', schema: OrderSchema },
  ],
  entry: 'intent',
  exit: 'order',
  edges: [
    { from: ['stock', 'price'], to: 'merge' },
    { from: 'merge', to: 'order' },
  ],
};

function registry(extra: Partial<InstantiateOptions> = {}): InstantiateOptions {
  const inventory = tool(async ({ item }) => ({ item, available: 12 }), { name: 'inventory', description: 'Stock of an item.', schema: z.object({ item: z.string() }) });
  return {
    models: {
      fast: new FakeListChatModel({
        responses: [
          JSON.stringify({ routes: [{ neuron: 'stock', events: [{ role: 'task', content: 'stock of mugs' }] }, { neuron: 'price', events: [{ role: 'task', content: 'price 3 mugs' }] }] }),
          JSON.stringify({ events: [{ role: 'draft', content: '3 mugs, 12 in stock' }] }),
        ],
      }),
      'stock-model': new FakeToolCallingModel({ toolCalls: [[{ name: 'inventory', args: { item: 'mug' }, id: 's1' }], [{ name: 'register_output', args: { available: 12 }, id: 's2' }]] }),
      'price-model': new FakeListChatModel({ responses: ['3 mugs cost 24 EUR'] }),
      exit: new FakeListChatModel({ responses: [JSON.stringify({ item: 'mug', quantity: 0 }), JSON.stringify({ item: 'mug', quantity: 3 })] }),
    },
    tools: { inventory },
    ...extra,
  };
}

describe('fascicle spec', () => {
  const ctx = useTestInsula();

  it('instantiates a JSON spec into a running fascicle whose exit follows the JSON Schema, with insula on its neurons', async () => {
    const fromJson = JSON.parse(JSON.stringify(spec)) as FascicleSpec;
    const f = instantiateFascicle(fromJson, registry({ insula: { client: ctx.mem, namespace: 'shop', domain: 'orders' } }));
    const out = await f.run({ events: [{ role: 'user', content: 'I want 3 mugs' }] });
    // quantity 0 broke the schema's minimum; the exit asked again.
    expect(out.output).toEqual({ item: 'mug', quantity: 3 });
    const strategies = (await ctx.mem.state('shop')).domains['orders']!.strategies;
    expect(Object.keys(strategies).sort()).toEqual(['intent', 'merge', 'order', 'price', 'stock', 'tool:inventory']);
    expect(strategies['order']!.successRate).toBeGreaterThan(0.5);
  });

  it('builds nested fascicles and an inhibitory Transformer', async () => {
    const nested: FascicleSpec = {
      name: 'outer',
      neurons: [{ type: 'inhibitory-transformer', name: 'calm', maxEvents: 4 }, { type: 'completion', name: 'finish', model: 'done', stop: ['END'] }],
      fascicles: [{ name: 'inner', neurons: [{ type: 'transformer', name: 'shorten', model: 'short' }] }],
      edges: [{ from: 'calm', to: 'inner' }, { from: 'inner', to: 'finish' }],
    };
    const f = instantiateFascicle(nested, {
      models: { short: new FakeListChatModel({ responses: [JSON.stringify({ events: [{ role: 'note', content: 'short' }] })] }), done: new FakeListChatModel({ responses: ['unused'] }) },
      insula: { client: ctx.mem, namespace: 'shop' },
    });
    const out = await f.run({ events: [{ role: 'user', content: 'a long story' }] });
    expect(out.events.map((e) => e.source)).toEqual([undefined, 'inner', 'finish']);
    expect(out.events[1]!.content).toBe('short');
  });

  it('refuses bad specs, naming the field', () => {
    const bad = (change: (s: FascicleSpec) => void, options = registry()) => {
      const copy = structuredClone(spec);
      change(copy);
      return () => instantiateFascicle(copy, options);
    };
    expect(bad((s) => void (s.neurons[1]!.type === 'tool-augmented' && (s.neurons[1]!.model = 'gpt')))).toThrow(/neurons\.1\.model: unknown model "gpt" \(known: fast, stock-model, price-model, exit\)/);
    expect(bad((s) => void (s.neurons[1]!.type === 'tool-augmented' && (s.neurons[1]!.tools = ['inventory', 'web'])))).toThrow(/neurons\.1\.tools\.1: unknown tool "web" \(known: inventory\)/);
    expect(bad((s) => (s.edges![1]!.to = 'ordr'))).toThrow(/edges\.1\.to: unknown stage "ordr"/);
    expect(bad((s) => s.edges!.push({ from: 'order', to: 'merge' }))).toThrow(/edges\.\d: cycle (merge → order → merge|order → merge → order): a fascicle is a DAG/);
    expect(bad((s) => (s.neurons[2]!.name = 'stock'))).toThrow(/neurons\.2\.name: stage "stock" is defined twice/);
    expect(bad((s) => void (s.neurons[0]!.type === 'router' && (s.neurons[0]!.targets = { stock: 'x', legal: 'y' })))).toThrow(/neurons\.0\.targets\.legal: unknown stage "legal"/);
    expect(bad((s) => void (s.neurons[4]!.type === 'structured-output' && (s.neurons[4]!.schema = { type: 'object', properties: { a: { type: 'nonsense' } } })))).toThrow(/neurons\.4\.schema: not a usable JSON Schema: Unsupported type: nonsense/);
    expect(bad((s) => void (s.neurons[4]!.type === 'structured-output' && (s.neurons[4]!.schema = { type: 'string' } as never)))).toThrow(/neurons\.4\.schema\.type/);
    expect(bad((s) => s.neurons.push({ type: 'inhibitory-transformer', name: 'calm' }))).toThrow(/neurons\.5: an inhibitory Transformer needs insula/);
    expect(bad((s) => s.neurons.push({ type: 'telepathic', name: 'x' } as never))).toThrow(/neurons\.5\.type/);
    expect(() => FascicleSpecSchema.parse({ name: 'f', neurons: [], fascicles: [{ name: 'g', neurons: [], edges: [{ from: 'a', to: 'b' }] }] })).toThrow(/a fascicle needs at least one stage/);
  });
});
