/**
 * A fascicle as data: a JSON-able, zod-validated spec of its neurons and topology, and
 * `instantiateFascicle` building it with the chat models and tools a caller registers by key. What
 * a lifeform creates at run time (issue #6), or what a user keeps in a file. Schemas are JSON Schema
 * (converted with zod's `fromJSONSchema`); a bad spec is refused with the field named, e.g.
 * `neurons.2.model: unknown model "gpt" (known: fast, smart)` or `edges.1.to: unknown stage "x"`.
 */
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { StructuredToolInterface } from '@langchain/core/tools';
import { z } from 'zod';
import { DomainSchema, parse } from '../../src/memory/schema.js';
import { fascicle, type Fascicle, type Stage } from './fascicle.js';
import { createCompletionNeuron } from './neurons/completion.js';
import { createInhibitoryTransformer, MetricNameSchema } from './neurons/inhibitory-transformer.js';
import { NeuronInsulaSchema, type NeuronInsula } from './neurons/insula-link.js';
import { ChatModelSchema, NeuronNameSchema, ToolSchema } from './neurons/neuron.js';
import { createRouterNeuron } from './neurons/router.js';
import { createStructuredOutputNeuron } from './neurons/structured-output.js';
import { createToolAugmentedNeuron } from './neurons/tool-augmented.js';
import { createTransformerNeuron } from './neurons/transformer.js';

/** A JSON Schema for an object (structured output, a register_output tool's arguments). */
const ObjectJsonSchema = z.looseObject({ type: z.literal('object') });

const ModelNeuron = {
  name: NeuronNameSchema,
  /** Key into the caller's model registry. */
  model: z.string().min(1).max(128),
  memory: z.string().max(200_000).default(''),
  /** Whether the neuron recalls from and records into insula (when the caller gives one). */
  insula: z.boolean().default(true),
};

export const NeuronSpecSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('structured-output'), ...ModelNeuron, schema: ObjectJsonSchema, attempts: z.number().int().min(1).max(10).optional() }).strict(),
  z
    .object({
      type: z.literal('tool-augmented'),
      ...ModelNeuron,
      /** Keys into the caller's tool registry. */
      tools: z.array(z.string().min(1).max(128)).max(127).default([]),
      output: ObjectJsonSchema.optional(),
      maxSteps: z.number().int().min(1).max(100).optional(),
    })
    .strict(),
  z.object({ type: z.literal('completion'), ...ModelNeuron, prefix: z.string().max(200_000).default(''), stop: z.array(z.string().min(1).max(64)).min(1).max(16) }).strict(),
  z.object({ type: z.literal('router'), ...ModelNeuron, targets: z.record(NeuronNameSchema, z.string().max(2000)), attempts: z.number().int().min(1).max(10).optional() }).strict(),
  z.object({ type: z.literal('transformer'), ...ModelNeuron, attempts: z.number().int().min(1).max(10).optional() }).strict(),
  z
    .object({
      type: z.literal('inhibitory-transformer'),
      name: NeuronNameSchema,
      metric: MetricNameSchema.optional(),
      domain: DomainSchema.optional(),
      threshold: z.number().gt(0).max(1).optional(),
      maxEvents: z.number().int().min(1).max(100_000).optional(),
      dedupe: z.boolean().optional(),
    })
    .strict(),
]);
export type NeuronSpec = z.input<typeof NeuronSpecSchema>;

const EdgeSpecSchema = z
  .object({
    /** Several stages: the target waits for all of them (fan-in). */
    from: z.union([NeuronNameSchema, z.array(NeuronNameSchema).min(1).max(64)]),
    /** Several stages: they run in parallel (fan-out). */
    to: z.union([NeuronNameSchema, z.array(NeuronNameSchema).min(1).max(64)]),
  })
  .strict();

interface FascicleSpecShape<Neuron> {
  name: string;
  neurons: Neuron[];
  /** Fascicles used as stages (each acts as one neuron of this one). */
  fascicles?: Array<FascicleSpecShape<Neuron>> | undefined;
  entry?: string | undefined;
  exit?: string | undefined;
  edges?: Array<z.input<typeof EdgeSpecSchema>> | undefined;
}

/** A fascicle spec as written (JSON), and as checked (defaults filled in). */
export type FascicleSpec = FascicleSpecShape<NeuronSpec>;
type CheckedSpec = FascicleSpecShape<z.output<typeof NeuronSpecSchema>>;

export const FascicleSpecSchema: z.ZodType<CheckedSpec, FascicleSpec> = z.lazy(() =>
  z
    .object({
      name: NeuronNameSchema,
      neurons: z.array(NeuronSpecSchema).max(256),
      fascicles: z.array(FascicleSpecSchema).max(64).optional(),
      entry: NeuronNameSchema.optional(),
      exit: NeuronNameSchema.optional(),
      edges: z.array(EdgeSpecSchema).max(1024).optional(),
    })
    .strict()
    .superRefine(checkTopology),
);

/** Stage names unique and known wherever referenced, and the topology a DAG. */
function checkTopology(spec: CheckedSpec, ctx: z.RefinementCtx): void {
  const stages = [...spec.neurons.map((n, i) => ({ name: n.name, path: ['neurons', i] })), ...(spec.fascicles ?? []).map((f, i) => ({ name: f.name, path: ['fascicles', i] }))];
  const names = new Set<string>();
  for (const s of stages) {
    if (names.has(s.name)) ctx.addIssue({ code: 'custom', path: [...s.path, 'name'], message: `stage "${s.name}" is defined twice` });
    names.add(s.name);
  }
  if (names.size === 0) ctx.addIssue({ code: 'custom', path: ['neurons'], message: 'a fascicle needs at least one stage' });
  const unknown = (name: string, path: PropertyKey[]) => {
    if (!names.has(name)) ctx.addIssue({ code: 'custom', path, message: `unknown stage "${name}" (stages: ${[...names].join(', ')})` });
  };
  if (spec.entry) unknown(spec.entry, ['entry']);
  if (spec.exit) unknown(spec.exit, ['exit']);
  const successors = new Map([...names].map((n) => [n, [] as Array<{ to: string; path: PropertyKey[] }>]));
  (spec.edges ?? []).forEach((e, i) => {
    const from = [e.from].flat();
    const to = [e.to].flat();
    from.forEach((f, j) => unknown(f, ['edges', i, 'from', ...(Array.isArray(e.from) ? [j] : [])]));
    to.forEach((t, j) => unknown(t, ['edges', i, 'to', ...(Array.isArray(e.to) ? [j] : [])]));
    for (const f of from) for (const t of to) successors.get(f)?.push({ to: t, path: ['edges', i] });
  });
  spec.neurons.forEach((n, i) => {
    if (n.type !== 'router') return;
    for (const target of Object.keys(n.targets)) {
      unknown(target, ['neurons', i, 'targets', target]);
      successors.get(n.name)?.push({ to: target, path: ['neurons', i, 'targets', target] });
    }
  });
  // A DAG: depth-first search for an edge back into the current path.
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): boolean => {
    state.set(node, 'open');
    path.push(node);
    for (const edge of successors.get(node) ?? []) {
      if (state.get(edge.to) === 'open') {
        ctx.addIssue({ code: 'custom', path: edge.path, message: `cycle ${[...path.slice(path.indexOf(edge.to)), edge.to].join(' → ')}: a fascicle is a DAG` });
        return true;
      }
      if (!state.has(edge.to) && successors.has(edge.to) && visit(edge.to)) return true;
    }
    path.pop();
    state.set(node, 'done');
    return false;
  };
  for (const node of successors.keys()) if (!state.has(node) && visit(node)) break;
}

export const InstantiateOptionsSchema = z
  .object({
    models: z.record(z.string(), ChatModelSchema),
    tools: z.record(z.string(), ToolSchema).default({}),
    /** insula for the neurons that use it (all model neurons unless their spec says `insula: false`); required by inhibitory Transformers. */
    insula: NeuronInsulaSchema.optional(),
  })
  .strict();
export type InstantiateOptions = z.input<typeof InstantiateOptionsSchema>;
type Registry = z.output<typeof InstantiateOptionsSchema>;

/** The spec checked against the registries: model and tool keys known, JSON Schemas convertible, insula where required. */
function checkRegistry(registry: Registry, spec: CheckedSpec, ctx: z.RefinementCtx, at: PropertyKey[] = []): void {
  const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path: [...at, ...path], message });
  const models = Object.keys(registry.models);
  const tools = Object.keys(registry.tools);
  spec.neurons.forEach((n, i) => {
    if (n.type === 'inhibitory-transformer') {
      if (!registry.insula) issue(['neurons', i], 'an inhibitory Transformer needs insula (instantiate options `insula`)');
      return;
    }
    if (!registry.models[n.model]) issue(['neurons', i, 'model'], `unknown model "${n.model}" (known: ${models.join(', ') || 'none'})`);
    if (n.type === 'tool-augmented') {
      n.tools.forEach((t, j) => {
        if (!registry.tools[t]) issue(['neurons', i, 'tools', j], `unknown tool "${t}" (known: ${tools.join(', ') || 'none'})`);
      });
    }
    for (const field of ['schema', 'output'] as const) {
      const json = field in n ? (n as Record<string, unknown>)[field] : undefined;
      if (json === undefined) continue;
      try {
        z.fromJSONSchema(json as Parameters<typeof z.fromJSONSchema>[0]);
      } catch (err) {
        issue(['neurons', i, field], `not a usable JSON Schema: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  });
  (spec.fascicles ?? []).forEach((f, i) => checkRegistry(registry, f, ctx, [...at, 'fascicles', i]));
}

/** Builds the fascicle a spec describes; throws InsulaValidationError naming the field of a bad spec. */
export function instantiateFascicle(spec: FascicleSpec, options: InstantiateOptions): Fascicle {
  const registry = parse(InstantiateOptionsSchema, options, 'instantiate options');
  const checked = parse(FascicleSpecSchema.superRefine((s, ctx) => checkRegistry(registry, s, ctx)), spec, `fascicle spec${isNamed(spec) ? ` ${spec.name}` : ''}`);
  return build(checked, registry);
}

const isNamed = (v: unknown): v is { name: string } => typeof v === 'object' && v !== null && typeof (v as { name?: unknown }).name === 'string';

function build(spec: CheckedSpec, registry: Registry): Fascicle {
  const builder = fascicle(spec.name);
  for (const n of spec.neurons) builder.stage(n.name, neuronOf(n, registry));
  for (const f of spec.fascicles ?? []) builder.stage(f.name, build(f, registry));
  for (const e of spec.edges ?? []) {
    if (Array.isArray(e.from)) for (const to of [e.to].flat()) builder.join(e.from, to);
    else builder.edge(e.from, e.to);
  }
  if (spec.entry) builder.entry(spec.entry);
  if (spec.exit) builder.exit(spec.exit);
  return builder.compile();
}

function neuronOf(n: z.output<typeof NeuronSpecSchema>, registry: Registry): Stage {
  if (n.type === 'inhibitory-transformer') {
    const { type: _type, ...rest } = n;
    return createInhibitoryTransformer({ ...rest, insula: registry.insula as NeuronInsula });
  }
  const base = { name: n.name, model: registry.models[n.model] as BaseChatModel, memory: n.memory, ...(n.insula && registry.insula ? { insula: registry.insula } : {}) };
  const attempts = 'attempts' in n && n.attempts !== undefined ? { attempts: n.attempts } : {};
  switch (n.type) {
    case 'structured-output':
      return createStructuredOutputNeuron({ ...base, ...attempts, schema: z.fromJSONSchema(n.schema as Parameters<typeof z.fromJSONSchema>[0]) });
    case 'tool-augmented':
      return createToolAugmentedNeuron({
        ...base,
        tools: n.tools.map((t) => registry.tools[t] as StructuredToolInterface),
        ...(n.output ? { output: z.fromJSONSchema(n.output as Parameters<typeof z.fromJSONSchema>[0]) } : {}),
        ...(n.maxSteps ? { maxSteps: n.maxSteps } : {}),
      });
    case 'completion':
      return createCompletionNeuron({ ...base, prefix: n.prefix, stop: n.stop });
    case 'router':
      return createRouterNeuron({ ...base, ...attempts, targets: n.targets });
    case 'transformer':
      return createTransformerNeuron({ ...base, ...attempts });
  }
}
