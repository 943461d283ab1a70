/**
 * AiNerveFascicle: neurons joined by a fixed topology into one LangGraph subgraph with one
 * interface, `{events}` in, `{events, output}` out, whatever is inside. Serial pipelines
 * (`pipeline`), static fan-out/fan-in (`edge(from, [a, b])` then `join([a, b], to)`), and
 * conditional DAGs (a Router stage sending to some of its targets, which lead on to a common
 * stage). Every stage reports `stage_started` and `stage_completed` on LangGraph's custom stream,
 * and neurons add `info`; nested fascicles report theirs too (stream with `subgraphs: true`).
 */
import { END, START, StateGraph, type LangGraphRunnableConfig } from '@langchain/langgraph';
import { z } from 'zod';
import { parse } from '../../src/memory/schema.js';
import { NeuronEventSchema, ObservableEventSchema, type FascicleInput, type FascicleOutput, type NeuronEvent, type ObservableEvent } from './neurons/events.js';
import { NeuronNameSchema } from './neurons/neuron.js';
import { emitObservable, withinFascicle } from './neurons/observe.js';
import { FascicleState, type NeuronNode } from './neurons/state.js';

export const FascicleInputSchema = z.object({ events: z.array(NeuronEventSchema).max(100_000) }).strict();

/** What a caller streaming a fascicle sees: its observable events (with the subgraph path), then its output. */
export type FascicleChunk = { type: 'observable'; event: ObservableEvent; namespace: string[] } | { type: 'output'; output: FascicleOutput };

export interface Fascicle {
  readonly name: string;
  /** The compiled LangGraph graph: add it to a parent graph as a node, or invoke it directly. */
  readonly graph: ReturnType<typeof compileGraph>;
  run(input: FascicleInput, config?: LangGraphRunnableConfig): Promise<FascicleOutput>;
  /** Runs the fascicle, yielding its observable events (nested fascicles' included) as they come, then its output. */
  stream(input: FascicleInput, config?: LangGraphRunnableConfig): AsyncGenerator<FascicleChunk>;
}

/** A stage: a neuron node, or a fascicle acting as one neuron (its output becomes one event). */
export type Stage = NeuronNode | Fascicle;

/** A fascicle whose topology is wrong: a missing stage, an edge to nowhere, a cycle. */
export class FascicleError extends Error {
  constructor(fascicle: string, message: string) {
    super(`fascicle ${fascicle}: ${message}`);
    this.name = 'FascicleError';
  }
}

const isFascicle = (stage: Stage): stage is Fascicle => typeof stage === 'object' && 'graph' in stage;
const targetsOf = (stage: Stage): string[] => (typeof stage === 'function' && 'targets' in stage && Array.isArray(stage.targets) ? (stage.targets as string[]) : []);

export class FascicleBuilder {
  private readonly stages = new Map<string, Stage>();
  private readonly edges: Array<{ from: string[]; to: string }> = [];
  private entryStage: string | null = null;
  private exitStage: string | null = null;

  constructor(readonly name: string) {
    parse(NeuronNameSchema, name, 'fascicle name');
  }

  stage(name: string, stage: Stage): this {
    parse(NeuronNameSchema, name, 'stage name');
    if (this.stages.has(name)) throw new FascicleError(this.name, `stage "${name}" is defined twice`);
    this.stages.set(name, stage);
    return this;
  }

  /** `from` → `to`; several targets run in parallel (a static fan-out). */
  edge(from: string, to: string | string[]): this {
    for (const target of [to].flat()) this.edges.push({ from: [from], to: target });
    return this;
  }

  /** `to` runs once every stage in `from` has (a fan-in waiting for all branches). */
  join(from: string[], to: string): this {
    if (from.length === 0) throw new FascicleError(this.name, `join into "${to}" needs at least one stage`);
    this.edges.push({ from, to });
    return this;
  }

  /** Stages one after another. */
  pipeline(...names: string[]): this {
    for (let i = 1; i < names.length; i++) this.edge(names[i - 1]!, names[i]!);
    return this;
  }

  /** Where the events enter; by default the first stage. */
  entry(name: string): this {
    this.entryStage = name;
    return this;
  }

  /** Whose result is the fascicle's output; by default the last stage. */
  exit(name: string): this {
    this.exitStage = name;
    return this;
  }

  compile(): Fascicle {
    const names = [...this.stages.keys()];
    const entry = this.entryStage ?? names[0];
    const exit = this.exitStage ?? names.at(-1);
    if (!entry || !exit) throw new FascicleError(this.name, 'no stages');
    const known = (stage: string, where: string) => {
      if (!this.stages.has(stage)) throw new FascicleError(this.name, `${where}: unknown stage "${stage}" (stages: ${names.join(', ')})`);
    };
    known(entry, 'entry');
    known(exit, 'exit');
    for (const e of this.edges) {
      for (const from of e.from) known(from, `edge ${e.from.join('+')} → ${e.to}`);
      known(e.to, `edge ${e.from.join('+')} → ${e.to}`);
    }
    for (const [name, stage] of this.stages) for (const target of targetsOf(stage)) known(target, `router ${name}`);
    const successors = new Map(names.map((n) => [n, new Set<string>()]));
    for (const e of this.edges) for (const from of e.from) successors.get(from)!.add(e.to);
    for (const [name, stage] of this.stages) for (const target of targetsOf(stage)) successors.get(name)!.add(target);
    const cycle = findCycle(successors);
    if (cycle) throw new FascicleError(this.name, `cycle ${cycle.join(' → ')}: a fascicle is a DAG`);
    const graph = compileGraph(this.name, this.stages, this.edges, entry, exit);
    return fascicleOf(this.name, graph);
  }
}

export function fascicle(name: string): FascicleBuilder {
  return new FascicleBuilder(name);
}

function compileGraph(name: string, stages: ReadonlyMap<string, Stage>, edges: ReadonlyArray<{ from: string[]; to: string }>, entry: string, exit: string) {
  // Stage names are only known at run time, so the graph is typed with string node names.
  const builder = new StateGraph(FascicleState) as unknown as StateGraph<typeof FascicleState.spec, typeof FascicleState.State, typeof FascicleState.Update, string>;
  for (const [stageName, stage] of stages) {
    const targets = targetsOf(stage);
    builder.addNode(stageName, observed(name, stageName, stage) as never, targets.length > 0 ? { ends: targets } : {});
  }
  builder.addEdge(START, entry);
  for (const e of edges) builder.addEdge(e.from.length === 1 ? e.from[0]! : e.from, e.to);
  builder.addEdge(exit, END);
  return builder.compile({ name });
}

/** The stage as a node reporting its start and completion; a fascicle stage runs as a subgraph. */
function observed(fascicleName: string, stageName: string, stage: Stage): NeuronNode {
  return async (state, config) => {
    const started = Date.now();
    emitObservable(config, { type: 'stage_started', fascicle: fascicleName, stage: stageName, message: `${stageName} started`, metadata: { events: state.events.length } });
    const inner = withinFascicle(config, fascicleName);
    try {
      const update = isFascicle(stage) ? await asNeuron(stage, state.events, inner) : await stage(state, inner);
      emitObservable(config, { type: 'stage_completed', fascicle: fascicleName, stage: stageName, message: `${stageName} completed`, metadata: { ms: Date.now() - started } });
      return update;
    } catch (err) {
      emitObservable(config, { type: 'info', fascicle: fascicleName, stage: stageName, message: `${stageName} failed`, metadata: { error: err instanceof Error ? err.message : String(err), ms: Date.now() - started } });
      throw err;
    }
  };
}

/** A nested fascicle seen from outside: its output as one event, like a neuron's. */
async function asNeuron(inner: Fascicle, events: NeuronEvent[], config: LangGraphRunnableConfig) {
  const out = await inner.graph.invoke({ events }, config);
  const content = typeof out.output === 'string' ? out.output : JSON.stringify(out.output ?? null);
  return { events: [{ role: 'assistant', content, source: inner.name }], output: out.output };
}

function fascicleOf(name: string, graph: ReturnType<typeof compileGraph>): Fascicle {
  return {
    name,
    graph,
    async run(input, config) {
      const out = await graph.invoke(parse(FascicleInputSchema, input, `input of fascicle ${name}`), config);
      return { events: out.events, output: out.output };
    },
    async *stream(input, config) {
      const events = parse(FascicleInputSchema, input, `input of fascicle ${name}`).events;
      let last: FascicleOutput = { events, output: null };
      const chunks = await graph.stream({ events }, { ...config, streamMode: ['custom', 'values'], subgraphs: true });
      for await (const [namespace, mode, payload] of chunks as AsyncIterable<[string[], string, unknown]>) {
        if (mode === 'custom') {
          const parsed = ObservableEventSchema.safeParse(payload);
          if (parsed.success) yield { type: 'observable', event: parsed.data, namespace };
        } else if (namespace.length === 0) {
          const state = payload as typeof FascicleState.State;
          last = { events: state.events, output: state.output };
        }
      }
      yield { type: 'output', output: last };
    },
  };
}

/** A cycle in the successor map, as the stages along it; null for a DAG. */
function findCycle(successors: ReadonlyMap<string, ReadonlySet<string>>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | null => {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'open');
    path.push(node);
    for (const next of successors.get(node) ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    path.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of successors.keys()) {
    const found = visit(node);
    if (found) return found;
  }
  return null;
}
