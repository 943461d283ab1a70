/** The AiNeuron family on the real LangGraph runtime, with LangChain's fake chat models and a real insula. */
import { AIMessage, type BaseMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { FakeListChatModel, FakeStreamingChatModel } from '@langchain/core/utils/testing';
import { END, START, StateGraph, type LangGraphRunnableConfig } from '@langchain/langgraph';
import { FakeToolCallingModel } from 'langchain';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createChatNeuron,
  createNeuronNode,
  createCompletionNeuron,
  createInhibitoryTransformer,
  createRouterNeuron,
  createStructuredOutputNeuron,
  createToolAugmentedNeuron,
  createTransformerNeuron,
  FascicleState,
  NeuronError,
  ObservableEventSchema,
  type AiNeuron,
  type NeuronEvent,
  type NeuronNode,
  type ObservableEvent,
} from '../../adapters/langgraph/index.js';
import { createHooks } from '../../src/hooks/index.js';
import { barrier, openTestInsula, tempDir, useTestInsula } from '../helpers.js';

type Graph = ReturnType<typeof single>;

/** One neuron between START and END. */
function single(name: string, node: NeuronNode) {
  return new StateGraph(FascicleState)
    .addNode(name, node as never)
    .addEdge(START, name as never)
    .addEdge(name as never, END)
    .compile();
}

/** Runs a graph streaming values and custom events; returns the final state and the observable events. */
async function runStreaming(graph: Graph, events: NeuronEvent[], config: LangGraphRunnableConfig = {}) {
  const observed: ObservableEvent[] = [];
  let final: typeof FascicleState.State = { events, output: null };
  for await (const [mode, chunk] of await graph.stream({ events }, { ...config, streamMode: ['custom', 'values'] })) {
    if (mode === 'custom') observed.push(ObservableEventSchema.parse(chunk));
    else final = chunk as typeof FascicleState.State;
  }
  return { final, observed };
}

/** The messages and call options each chat model call receives. */
function captureModelCalls() {
  const messages: BaseMessage[][] = [];
  const options: Array<Record<string, unknown> | undefined> = [];
  const callbacks = [
    {
      handleChatModelStart(_llm: unknown, batch: BaseMessage[][], _runId: string, _parent?: string, extra?: Record<string, unknown>) {
        messages.push(batch[0]!);
        options.push(extra?.['options'] as Record<string, unknown> | undefined);
      },
    },
  ];
  return { messages, options, callbacks };
}

const user = (content: string): NeuronEvent => ({ role: 'user', content });

describe('base neuron', () => {
  it('continues through calltools and ends with its return value; it never runs a tool itself', async () => {
    let toolRan = 0;
    const lookup = tool(async () => String(++toolRan), { name: 'lookup', description: 'Looks a fact up.', schema: z.object({ key: z.string() }) });
    const model = new FakeToolCallingModel({ toolCalls: [[{ name: 'lookup', args: { key: 'capital' }, id: 'c1' }], []] });
    const calls: Array<[string, string]> = [];
    const neuron = createChatNeuron({ model, system: 'You answer questions.', tools: [lookup] });
    const result = await neuron('What is the capital of France?', async (name, params) => {
      calls.push([name, params]);
      return 'Paris (from calltools)';
    });
    expect(calls).toEqual([['lookup', '{"key":"capital"}']]);
    // The fake's final reply echoes the conversation: the tool's answer went back to the model.
    expect(result).toContain('Paris (from calltools)');
    expect(toolRan).toBe(0);
  });

  it('gives up after maxSteps model calls that only ever call tools', async () => {
    const model = new FakeToolCallingModel({ toolCalls: [[{ name: 'lookup', args: { key: 'x' }, id: 'c1' }]] });
    const lookup = tool(async () => 'x', { name: 'lookup', description: 'Looks a fact up.', schema: z.object({ key: z.string() }) });
    let calls = 0;
    const neuron = createChatNeuron({ name: 'looper', model, tools: [lookup], maxSteps: 3 });
    await expect(neuron('loop', async () => String(++calls))).rejects.toThrow(/neuron looper: no result after 3 model calls/);
    expect(calls).toBe(3);
  });

  it('any AiNeuron runs as a graph node: the events are its input, its tools run through calltools', async () => {
    const add = tool(async ({ a, b }) => a + b, { name: 'add', description: 'Adds.', schema: z.object({ a: z.number(), b: z.number() }) });
    const seen: string[] = [];
    const adder: AiNeuron = async (input, calltools) => {
      seen.push(input);
      await expect(calltools('subtract', '{}')).rejects.toThrow(/unknown tool "subtract" \(available: add\)/);
      return `the sum is ${await calltools('add', JSON.stringify({ a: 2, b: 3 }))}`;
    };
    const out = await single('adder', createNeuronNode({ name: 'adder', neuron: adder, tools: [add] })).invoke({ events: [user('add 2 and 3')] });
    expect(seen).toEqual(['[user]\nadd 2 and 3']);
    expect(out.output).toBe('the sum is 5');
    expect(out.events.at(-1)).toEqual({ role: 'assistant', content: 'the sum is 5', source: 'adder' });
  });
});

describe('StructuredOutput neuron', () => {
  const ctx = useTestInsula();
  const Answer = z.object({ steps: z.array(z.string()).min(1), needsTicket: z.boolean() });

  it('recalls into its memory, retries a bad reply, returns a typed object and records the outcome in the hub', async () => {
    await ctx.mem.remember({ namespace: 'team', content: 'Production deploys need a change ticket approved by the ops lead.' });
    const model = new FakeListChatModel({ responses: ['Sure, here are the steps!', JSON.stringify({ steps: ['open a change ticket', 'deploy'], needsTicket: true })] });
    const node = createStructuredOutputNeuron({ name: 'answer', model, memory: 'You explain deploy procedures.', schema: Answer, insula: { client: ctx.mem, namespace: 'team', domain: 'ops' } });
    const { messages, callbacks } = captureModelCalls();
    const { final, observed } = await runStreaming(single('answer', node), [user('How do we deploy to production?')], { callbacks });

    expect(final.output).toEqual({ steps: ['open a change ticket', 'deploy'], needsTicket: true });
    expect(final.events.at(-1)).toEqual({ role: 'assistant', content: JSON.stringify(final.output), source: 'answer' });
    const system = messages[0]![0]!;
    expect(system.getType()).toBe('system');
    expect(system.text).toContain('You explain deploy procedures.');
    expect(system.text).toContain('change ticket approved by the ops lead');
    // The second call carries the complaint about the first reply.
    expect(messages[1]!.at(-1)!.text).toMatch(/did not match the required structure/);
    expect(observed.map((e) => e.message)).toEqual(['recalled 1 memories', 'invalid structured output (attempt 1 of 2)']);
    const strategy = (await ctx.mem.state('team')).domains['ops']!.strategies['answer']!;
    expect(strategy.trials).toBeGreaterThan(0);
    expect(strategy.successRate).toBeGreaterThan(0.5);
  });

  it('fails with the neuron named after its attempts, and the failure reaches the hub', async () => {
    const model = new FakeListChatModel({ responses: ['not json', JSON.stringify({ steps: [], needsTicket: 'yes' })] });
    const node = createStructuredOutputNeuron({ name: 'answer', model, schema: Answer, insula: { client: ctx.mem, namespace: 'team', domain: 'ops' } });
    await expect(single('answer', node).invoke({ events: [user('How do we deploy?')] })).rejects.toThrow(/neuron answer: invalid structured output after 2 attempts: .*steps/);
    expect((await ctx.mem.state('team')).domains['ops']!.strategies['answer']!.successRate).toBeLessThan(0.5);
  });

  it('proceeds without memory when insula fails', async () => {
    const { dir, cleanup } = tempDir();
    const broken = await openTestInsula(join(dir, 'db.kuzu'));
    await broken.remember({ namespace: 'team', content: 'Production deploys need a change ticket.' });
    await broken.close();
    try {
      const model = new FakeListChatModel({ responses: [JSON.stringify({ steps: ['deploy'], needsTicket: false })] });
      const node = createStructuredOutputNeuron({ name: 'answer', model, memory: 'You explain.', schema: Answer, insula: { client: broken, namespace: 'team', timeoutMs: 1000 } });
      const { messages, callbacks } = captureModelCalls();
      const out = await single('answer', node).invoke({ events: [user('How do we deploy to production?')] }, { callbacks });
      expect(out.output).toEqual({ steps: ['deploy'], needsTicket: false });
      expect(messages[0]![0]!.text).toBe('You explain.');
    } finally {
      cleanup();
    }
  });
});

describe('ToolAugmented neuron', () => {
  const ctx = useTestInsula();

  it('runs its tool loop through calltools, registers a structured output after a rejected one, and feeds the hub per neuron and tool', async () => {
    const searched: unknown[] = [];
    const search = tool(async (args) => (searched.push(args), ['runbook: drain the node, then upgrade']), {
      name: 'search',
      description: 'Searches the runbooks.',
      schema: z.object({ query: z.string() }),
    });
    const model = new FakeToolCallingModel({
      toolCalls: [
        [{ name: 'search', args: { query: 'node upgrade' }, id: 't1' }],
        [{ name: 'register_output', args: { summary: 42 }, id: 't2' }],
        [{ name: 'register_output', args: { summary: 'Drain the node, then upgrade it.', sources: 1 }, id: 't3' }],
      ],
    });
    const hooks = createHooks(ctx.mem);
    const node = createToolAugmentedNeuron({
      name: 'researcher',
      model,
      memory: 'You research runbooks.',
      tools: [search],
      output: z.object({ summary: z.string(), sources: z.number().int() }),
      insula: { client: hooks, namespace: 'ops-team', domain: 'ops' },
    });
    const { messages, callbacks } = captureModelCalls();
    const out = await single('researcher', node).invoke({ events: [user('How do I upgrade a node?')] }, { callbacks, configurable: { thread_id: 'run-1' } });
    await hooks.flush();

    expect(out.output).toEqual({ summary: 'Drain the node, then upgrade it.', sources: 1 });
    expect(searched).toEqual([{ query: 'node upgrade' }]);
    expect(messages).toHaveLength(3);
    expect(messages[1]!.at(-1)!.text).toContain('runbook: drain the node');
    const rejected = messages[2]!.at(-1)!;
    expect(rejected.getType()).toBe('tool');
    expect(rejected.text).toMatch(/invalid output: summary/);
    const strategies = (await ctx.mem.state('ops-team')).domains['ops']!.strategies;
    expect(strategies['researcher']!.trials).toBeGreaterThan(0);
    expect(strategies['tool:search']!.trials).toBeGreaterThan(0);
  });

  it('reserves the register_output name', () => {
    const clash = tool(async () => 'x', { name: 'register_output', description: 'x', schema: z.object({}) });
    expect(() => createToolAugmentedNeuron({ name: 'n', model: new FakeToolCallingModel(), tools: [clash] })).toThrow(/tools: "register_output" is reserved/);
  });
});

describe('Completion neuron', () => {
  const prefix = '```python\ndef add(a, b):\n    ';

  it('sends the prefix message and the stop sequences, and cuts a model that ignores stop at the first one', async () => {
    const model = new FakeStreamingChatModel({ responses: [new AIMessage('return a + b\n```\nThis adds two numbers.')] });
    const node = createCompletionNeuron({ name: 'coder', model, memory: 'You complete Python code.', prefix, stop: ['```', '\n\n\n'] });
    const { messages, options, callbacks } = captureModelCalls();
    const out = await single('coder', node).invoke({ events: [user('A function adding two numbers.')] }, { callbacks });
    expect(out.output).toBe('return a + b\n');
    expect(options[0]?.['stop']).toEqual(['```', '\n\n\n']);
    const last = messages[0]!.at(-1)!;
    expect(last.getType()).toBe('ai');
    expect(last.text).toBe(prefix);
  });

  it('never returns past a stop sequence from a model that stops at it', async () => {
    // FakeListChatModel answers a call with stop sequences with the first of them.
    const model = new FakeListChatModel({ responses: ['return a + b'] });
    const node = createCompletionNeuron({ name: 'coder', model, prefix, stop: ['```'] });
    const out = await single('coder', node).invoke({ events: [user('A function adding two numbers.')] });
    expect(out.output).toBe('');
  });
});


describe('Router neuron', () => {
  function fanOut(router: ReturnType<typeof createRouterNeuron>, seen: Record<string, NeuronEvent[]>, joined: NeuronEvent[][]) {
    const together = barrier(2);
    const branch = (name: string): NeuronNode => async (state) => {
      seen[name] = state.events;
      await together();
      return { events: [{ role: 'assistant', content: `${name} did: ${state.events.map((e) => e.content).join(' + ')}`, source: name }] };
    };
    return new StateGraph(FascicleState)
      .addNode('router', router as never, { ends: ['billing', 'shipping'] })
      .addNode('billing', branch('billing') as never)
      .addNode('shipping', branch('shipping') as never)
      .addNode('join', (async (state: typeof FascicleState.State) => (joined.push(state.events), { output: state.events.length })) as never)
      .addEdge(START, 'router' as never)
      .addEdge('billing' as never, 'join' as never)
      .addEdge('shipping' as never, 'join' as never)
      .addEdge('join' as never, END)
      .compile();
  }
  const targets = { billing: 'refunds and invoices', shipping: 'parcels and delivery' };

  it('a model splits the events into Sends that run in parallel, each branch seeing its own, and the join sees all; a reply naming an unknown target is asked again', async () => {
    const model = new FakeListChatModel({
      responses: [
        JSON.stringify({ routes: [{ neuron: 'legal', events: [{ role: 'task', content: 'sue them' }] }] }),
        JSON.stringify({
          routes: [
            { neuron: 'billing', events: [{ role: 'task', content: 'refund order 17' }] },
            { neuron: 'shipping', events: [{ role: 'task', content: 'where is parcel 17' }] },
          ],
        }),
      ],
    });
    const router = createRouterNeuron({ name: 'router', model, memory: 'You triage customer requests.', targets });
    const seen: Record<string, NeuronEvent[]> = {};
    const joined: NeuronEvent[][] = [];
    const { messages, callbacks } = captureModelCalls();
    const out = await fanOut(router, seen, joined).invoke({ events: [user('Refund order 17, and where is my parcel?')] }, { callbacks });

    expect(seen['billing']).toEqual([{ role: 'task', content: 'refund order 17', source: 'router' }]);
    expect(seen['shipping']).toEqual([{ role: 'task', content: 'where is parcel 17', source: 'router' }]);
    expect(joined).toHaveLength(1);
    expect(joined[0]!.map((e) => e.source).sort()).toEqual(['billing', 'shipping', undefined].sort());
    expect(out.output).toBe(3);
    expect(messages[0]![0]!.text).toContain('- billing: refunds and invoices');
    expect(messages[1]!.at(-1)!.text).toMatch(/routes\.0\.neuron/);
  });

  it('routes by a rule function, ends when nothing is routed, and refuses an unknown target by name', async () => {
    const byKeyword = createRouterNeuron({
      name: 'router',
      targets,
      route: (events) =>
        (['billing', 'shipping'] as const).flatMap((neuron) => {
          const mine = events.filter((e) => e.content.includes(neuron === 'billing' ? 'refund' : 'parcel'));
          return mine.length ? [{ neuron, events: mine }] : [];
        }),
    });
    const seen: Record<string, NeuronEvent[]> = {};
    const joined: NeuronEvent[][] = [];
    await fanOut(byKeyword, seen, joined).invoke({ events: [user('refund please'), user('my parcel is late'), user('thanks')] });
    expect(seen['billing']).toEqual([user('refund please')]);
    expect(seen['shipping']).toEqual([user('my parcel is late')]);
    expect(joined[0]).toHaveLength(5);

    const none: Record<string, NeuronEvent[]> = {};
    const out = await fanOut(byKeyword, none, []).invoke({ events: [user('hello')] });
    expect(none).toEqual({});
    expect(out.output).toBeNull();

    const wrong = createRouterNeuron({ name: 'router', targets, route: (events) => [{ neuron: 'legal', events }] });
    await expect(fanOut(wrong, {}, []).invoke({ events: [user('x')] })).rejects.toThrow(/routes of router: 0\.neuron/);
  });
});

describe('Transformer neuron', () => {
  it('replaces the event stream, by rule or by model', async () => {
    const compress = createTransformerNeuron({
      name: 'compress',
      transform: (events) => [{ role: 'summary', content: events.map((e) => e.content).join(' / '), source: 'compress' }],
    });
    const graph = new StateGraph(FascicleState)
      .addNode('draft', (async () => ({ events: [{ role: 'assistant', content: 'draft A' }, { role: 'assistant', content: 'draft B' }] })) as never)
      .addNode('compress', compress as never)
      .addEdge(START, 'draft' as never)
      .addEdge('draft' as never, 'compress' as never)
      .addEdge('compress' as never, END)
      .compile();
    const out = await graph.invoke({ events: [user('write two drafts')] });
    expect(out.events).toEqual([{ role: 'summary', content: 'write two drafts / draft A / draft B', source: 'compress' }]);

    const model = new FakeListChatModel({ responses: [JSON.stringify({ events: [{ role: 'task', content: 'step 1' }, { role: 'task', content: 'step 2' }] })] });
    const expand = createTransformerNeuron({ name: 'expand', model, memory: 'Split the request into steps.' });
    const expanded = await single('expand', expand).invoke({ events: [user('do both steps')] });
    expect(expanded.events).toEqual([
      { role: 'task', content: 'step 1', source: 'expand' },
      { role: 'task', content: 'step 2', source: 'expand' },
    ]);
    expect(expanded.output).toBe('step 1\n\nstep 2');
  });
});

describe('inhibitory Transformer', () => {
  const ctx = useTestInsula();
  const DEPTH = 9;
  const depthOf = (e: NeuronEvent) => Number(e.metadata?.['depth'] ?? 0);
  /** Each thought under DEPTH begets three: two of them identical (a reverberation). */
  const echo = createTransformerNeuron({
    name: 'echo',
    transform: (events) =>
      events.flatMap((e) => {
        if (depthOf(e) >= DEPTH) return [];
        const child = (i: number): NeuronEvent => ({ role: 'thought', content: `${e.content}.${i}`, source: 'echo', metadata: { depth: depthOf(e) + 1 } });
        return [child(0), child(0), child(1)];
      }),
  });

  /** The feedback loop: echo feeds its events back to itself (through the inhibitor when given) until none are left. */
  function loop(inhibitor: NeuronNode | null, waves: number[]) {
    const counted: NeuronNode = async (state, config) => (waves.push(state.events.length), echo(state, config));
    const first = inhibitor ? 'inhibit' : 'echo';
    const graph = new StateGraph(FascicleState).addNode('echo', counted as never);
    if (inhibitor) graph.addNode('inhibit', inhibitor as never).addEdge('inhibit' as never, 'echo' as never);
    return graph
      .addEdge(START, first as never)
      .addConditionalEdges('echo' as never, (state: typeof FascicleState.State) => (state.events.length > 0 ? first : END))
      .compile();
  }
  const seed = (depth: number): NeuronEvent[] => [{ role: 'thought', content: 'idea', metadata: { depth } }];

  it('leaves quiet loops untouched and bounds a cascade once the hub reports it', async () => {
    const inhibitor = createInhibitoryTransformer({ name: 'inhibit', insula: { client: ctx.mem, namespace: 'mind' }, maxEvents: 8 });
    const observed: ObservableEvent[] = [];
    const run = async (graph: ReturnType<typeof loop>, depth: number) => {
      for await (const chunk of await graph.stream({ events: seed(depth) }, { streamMode: 'custom', recursionLimit: 200 })) observed.push(ObservableEventSchema.parse(chunk));
    };

    // Quiet times: short echoes give the hub its baseline (50 readings), and pass untouched.
    for (let i = 0; i < 30; i++) {
      const waves: number[] = [];
      await run(loop(inhibitor, waves), DEPTH - 1);
      expect(waves).toEqual([1, 3]);
    }
    expect(observed).toEqual([]);

    const unchecked: number[] = [];
    await run(loop(null, unchecked), 0);
    const inhibited: number[] = [];
    await run(loop(inhibitor, inhibited), 0);

    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    // Unchecked, the events triple every pass: 3^9 in the last one.
    expect(unchecked).toEqual(Array.from({ length: DEPTH + 1 }, (_, i) => 3 ** i));
    expect(inhibited).toHaveLength(DEPTH + 1);
    expect(Math.max(...inhibited)).toBeLessThanOrEqual(9);
    expect(sum(inhibited)).toBeLessThan(sum(unchecked) / 50);
    expect(observed.length).toBeGreaterThan(0);
    for (const e of observed) {
      expect(e.type).toBe('info');
      expect(e.message).toMatch(/^cascade: \d+ events throttled to \d+$/);
      expect(e.metadata!['anomaly']).toBeGreaterThanOrEqual(0.4);
    }
    expect((await ctx.mem.state('mind')).domains['cascade']!.anomaly).toBeGreaterThan(0);
    // Without a baseline (a namespace the hub has no readings for) the hub reports nothing yet: the cascade passes.
    const blind: number[] = [];
    await run(loop(createInhibitoryTransformer({ name: 'inhibit', insula: { client: ctx.mem, namespace: 'newborn' } }), blind), 0);
    expect(blind).toEqual(unchecked);
    console.info(`inhibitory transformer: events per pass unchecked ${JSON.stringify(unchecked)} (total ${sum(unchecked)}); inhibited ${JSON.stringify(inhibited)} (total ${sum(inhibited)}); throttled ${observed.length} times`);
  }, 120_000);
});
