/** Fascicles on the real LangGraph runtime: topologies, one interface, observable events on the custom stream. */
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { END, START, StateGraph } from '@langchain/langgraph';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createRouterNeuron,
  createStructuredOutputNeuron,
  createTransformerNeuron,
  emitObservable,
  fascicle,
  FascicleState,
  ObservableEventSchema,
  type Fascicle,
  type FascicleChunk,
  type FascicleOutput,
  type NeuronEvent,
  type NeuronNode,
  type ObservableEvent,
} from '../../adapters/langgraph/index.js';
import { barrier } from '../helpers.js';

const user = (content: string): NeuronEvent => ({ role: 'user', content });

/** A stage appending one event naming itself and what it saw. */
const says = (name: string, onRun?: () => Promise<void>): NeuronNode => async (state) => {
  await onRun?.();
  return { events: [{ role: 'assistant', content: `${name} saw ${state.events.length}`, source: name }], output: name };
};

async function collect(f: Fascicle, events: NeuronEvent[]) {
  const observed: Array<{ event: ObservableEvent; namespace: string[] }> = [];
  let output: FascicleOutput | null = null;
  for await (const chunk of f.stream({ events }) as AsyncGenerator<FascicleChunk>) {
    if (chunk.type === 'output') output = chunk.output;
    else observed.push({ event: ObservableEventSchema.parse(chunk.event), namespace: chunk.namespace });
  }
  return { observed, output: output! };
}

const trace = (observed: Array<{ event: ObservableEvent }>) => observed.map(({ event }) => `${event.type} ${event.stage}`);


describe('fascicle', () => {
  it('a serial pipeline: one interface in and out, each stage reported on the custom stream, the exit’s typed output', async () => {
    const normalise = createTransformerNeuron({ name: 'normalise', transform: (events) => events.map((e) => ({ ...e, content: e.content.trim().toLowerCase() })) });
    const expand = createTransformerNeuron({
      name: 'expand',
      model: new FakeListChatModel({ responses: [JSON.stringify({ events: [{ role: 'task', content: 'book a table' }, { role: 'task', content: 'invite ana' }] })] }),
      memory: 'Split the request into tasks.',
    });
    const Plan = z.object({ tasks: z.array(z.string()), count: z.number().int() });
    const exit = createStructuredOutputNeuron({
      name: 'plan',
      model: new FakeListChatModel({ responses: [JSON.stringify({ tasks: ['book a table', 'invite ana'], count: 2 })] }),
      schema: Plan,
    });
    const f = fascicle('planner').stage('normalise', normalise).stage('expand', expand).stage('plan', exit).pipeline('normalise', 'expand', 'plan').compile();

    const { observed, output } = await collect(f, [user('  Dinner with ANA  ')]);
    expect(trace(observed)).toEqual(['stage_started normalise', 'stage_completed normalise', 'stage_started expand', 'stage_completed expand', 'stage_started plan', 'stage_completed plan']);
    for (const { event, namespace } of observed) {
      expect(event.fascicle).toBe('planner');
      expect(namespace).toEqual([]);
    }
    expect(observed[1]!.event.metadata!['ms']).toBeGreaterThanOrEqual(0);
    expect(output.output).toEqual({ tasks: ['book a table', 'invite ana'], count: 2 });
    expect(output.events.map((e) => e.source)).toEqual(['expand', 'expand', 'plan']);

    const again = await f.run({ events: [user('Dinner with Ana')] });
    expect(Plan.parse(again.output).count).toBe(2);
  });

  it('a static fan-out runs the branches in parallel, and a join waits for all of them', async () => {
    const together = barrier(2);
    let merges = 0;
    const merge: NeuronNode = async (state) => (merges++, { events: [], output: state.events.map((e) => e.content) });
    const f = fascicle('fan')
      .stage('split', says('split'))
      .stage('a', says('a', together))
      .stage('b1', says('b1', together))
      .stage('b2', says('b2'))
      .stage('merge', merge)
      .edge('split', ['a', 'b1'])
      .edge('b1', 'b2')
      .join(['a', 'b2'], 'merge')
      .compile();
    const { observed, output } = await collect(f, [user('go')]);
    expect(merges).toBe(1);
    expect(output.output).toEqual(['go', 'split saw 1', 'a saw 2', 'b1 saw 2', 'b2 saw 4']);
    const t = trace(observed);
    expect(t.indexOf('stage_started b1')).toBeLessThan(t.indexOf('stage_completed a'));
    expect(t.indexOf('stage_completed b2')).toBeLessThan(t.indexOf('stage_started merge'));
  });

  it('a conditional DAG: the router chooses the path, the common stage runs once', async () => {
    const triage = createRouterNeuron({
      name: 'triage',
      targets: { quick: 'short answers', thorough: 'research' },
      route: (events) => [{ neuron: events.some((e) => e.content.includes('why')) ? 'thorough' : 'quick', events }],
    });
    const build = () =>
      fascicle('answer')
        .stage('triage', triage)
        .stage('quick', says('quick'))
        .stage('thorough', says('thorough'))
        .stage('report', says('report'))
        .edge('quick', 'report')
        .edge('thorough', 'report')
        .compile();
    const why = await collect(build(), [user('why is the sky blue')]);
    expect(trace(why.observed)).toEqual([
      'stage_started triage',
      'info triage',
      'stage_completed triage',
      'stage_started thorough',
      'stage_completed thorough',
      'stage_started report',
      'stage_completed report',
    ]);
    expect(why.observed[1]!.event.metadata).toEqual({ routes: [{ neuron: 'thorough', events: 1 }] });
    const what = await collect(build(), [user('what time is it')]);
    expect(trace(what.observed)).toContain('stage_completed quick');
    expect(trace(what.observed)).not.toContain('stage_started thorough');
    expect(what.output.output).toBe('report');
  });

  it('a nested fascicle acts as one neuron, and its stages’ events reach the caller from the subgraph', async () => {
    const noisy: NeuronNode = async (state, config) => {
      emitObservable(config, { type: 'info', stage: 'lookup', message: 'found 3 records', metadata: { records: 3 } });
      return { events: [{ role: 'tool', content: 'three records', source: 'lookup' }], output: 'three records' };
    };
    const inner = fascicle('research').stage('lookup', noisy).stage('summarise', createTransformerNeuron({ name: 'summarise', transform: (events) => [{ role: 'summary', content: `${events.length} events read` }] })).pipeline('lookup', 'summarise').compile();
    const outer = fascicle('assistant').stage('research', inner).stage('answer', says('answer')).pipeline('research', 'answer').compile();

    const { observed, output } = await collect(outer, [user('what do we know?')]);
    const fromInner = observed.filter((o) => o.event.fascicle === 'research');
    expect(fromInner.map((o) => `${o.event.type} ${o.event.stage}`)).toEqual(['stage_started lookup', 'info lookup', 'stage_completed lookup', 'stage_started summarise', 'stage_completed summarise']);
    for (const o of fromInner) expect(o.namespace[0]).toMatch(/^research:/);
    expect(fromInner[1]!.event.metadata).toEqual({ records: 3 });
    expect(trace(observed.filter((o) => o.event.fascicle === 'assistant'))).toEqual(['stage_started research', 'stage_completed research', 'stage_started answer', 'stage_completed answer']);
    // Outside, the nested fascicle is one event: its output.
    expect(output.events).toEqual([user('what do we know?'), { role: 'assistant', content: '2 events read', source: 'research' }, { role: 'assistant', content: 'answer saw 2', source: 'answer' }]);
  });

  it('inside a user’s own graph, the caller sees its events with streamMode custom and subgraphs', async () => {
    const f = fascicle('inner').stage('one', says('one')).stage('two', says('two')).pipeline('one', 'two').compile();
    const parent = new StateGraph(FascicleState)
      .addNode('prepare', (async () => ({ events: [user('prepared')] })) as never)
      .addNode('inner', f.graph as never)
      .addEdge(START, 'prepare' as never)
      .addEdge('prepare' as never, 'inner' as never)
      .addEdge('inner' as never, END)
      .compile();
    const seen: Array<[string[], ObservableEvent]> = [];
    for await (const [namespace, chunk] of await parent.stream({ events: [user('start')] }, { streamMode: 'custom', subgraphs: true })) seen.push([namespace, ObservableEventSchema.parse(chunk)]);
    expect(seen.map(([, e]) => `${e.fascicle} ${e.type} ${e.stage}`)).toEqual(['inner stage_started one', 'inner stage_completed one', 'inner stage_started two', 'inner stage_completed two']);
    for (const [namespace] of seen) expect(namespace[0]).toMatch(/^inner:/);
  });

  it('refuses a wrong topology, naming the stage', () => {
    const base = () => fascicle('f').stage('a', says('a')).stage('b', says('b'));
    expect(() => base().edge('a', 'c').compile()).toThrow(/fascicle f: edge a → c: unknown stage "c" \(stages: a, b\)/);
    expect(() => base().edge('a', 'b').edge('b', 'a').compile()).toThrow(/fascicle f: cycle a → b → a: a fascicle is a DAG/);
    expect(() => base().stage('a', says('a'))).toThrow(/stage "a" is defined twice/);
    expect(() => base().exit('z').compile()).toThrow(/exit: unknown stage "z"/);
    const router = createRouterNeuron({ name: 'r', targets: { nowhere: 'x' }, route: () => [] });
    expect(() => base().stage('r', router).compile()).toThrow(/router r: unknown stage "nowhere"/);
    expect(() => fascicle('empty').compile()).toThrow(/fascicle empty: no stages/);
    expect(() => fascicle('f').stage('a:b', says('a'))).toThrow(/invalid stage name: name: 1-64 characters/);
  });

  it('validates its input', async () => {
    const f = fascicle('f').stage('a', says('a')).compile();
    await expect(f.run({ events: [{ role: '', content: 'x' }] })).rejects.toThrow(/invalid input of fascicle f: events\.0\.role/);
  });
});
