/**
 * Knowledge graph over a namespace: (subject, predicate, object) triples with validity time,
 * entities linked to the memories that mention them, Louvain communities (graphology) and a
 * health report. Triples come from the caller or from an optional LangChain chat model.
 */
import { createRequire } from 'node:module';
import { UndirectedGraph } from 'graphology';
import { connectedComponents } from 'graphology-components';
import { z } from 'zod';
import { StoredTextSchema, TimeSchema } from './schema.js';
import type { GraphStore, StoredTriple } from './store.js';
import { seededRandom } from '../random.js';

// A CommonJS module whose typings declare an ES default export: load it the way it ships.
const louvain = createRequire(import.meta.url)('graphology-communities-louvain') as typeof import('graphology-communities-louvain').default;

export const TripleInputSchema = z
  .object({
    subject: StoredTextSchema.trim().min(1).max(200),
    predicate: StoredTextSchema.trim().min(1).max(100),
    object: StoredTextSchema.trim().min(1).max(200),
    validFrom: TimeSchema.optional(),
    validTo: TimeSchema.nullable().optional(),
    confidence: z.number().min(0).max(1).default(1),
    memoryId: z.string().min(1).optional(),
    /** Close the currently valid triples with the same subject and predicate (a fact that changed). */
    supersede: z.boolean().default(false),
  })
  .strict();
export type TripleInput = z.input<typeof TripleInputSchema>;

export interface GraphHealth {
  entities: number;
  triples: number;
  communities: number;
  components: number;
  /** Components of one or two entities cut off from the rest. */
  isolatedCommunities: number;
  /** components / entities: 0 for one connected graph, near 1 when nothing connects. */
  fragmentation: number;
  /** Currently valid triples that disagree: same subject and predicate, different objects. */
  contradictions: Array<{ subject: string; predicate: string; objects: string[] }>;
}

export async function addTriples(store: GraphStore, namespace: string, inputs: readonly z.output<typeof TripleInputSchema>[], now: number): Promise<StoredTriple[]> {
  for (const t of inputs) {
    if (t.supersede) await store.closeTriples(namespace, t.subject, t.predicate, t.validFrom ?? now);
  }
  return store.addTriples(
    namespace,
    inputs.map((t) => ({
      subject: t.subject,
      predicate: t.predicate,
      object: t.object,
      validFrom: t.validFrom ?? now,
      validTo: t.validTo ?? null,
      confidence: t.confidence,
      memoryId: t.memoryId ?? null,
    })),
    now,
  );
}

export function isValidAt(t: StoredTriple, at: number): boolean {
  return t.validFrom <= at && (t.validTo === null || t.validTo > at);
}

/**
 * Graph key of an entity. Prefixed: graphology and Louvain keep nodes in plain objects, where an
 * entity named "__proto__" would break them.
 */
const nodeKey = (name: string) => `e:${name.toLowerCase()}`;

function buildGraph(triples: readonly StoredTriple[], entities: readonly string[]): UndirectedGraph {
  const graph = new UndirectedGraph();
  for (const e of entities) graph.mergeNode(nodeKey(e));
  for (const t of triples) {
    const s = nodeKey(t.subject);
    const o = nodeKey(t.object);
    graph.mergeNode(s);
    graph.mergeNode(o);
    if (s !== o) {
      const existing = graph.hasEdge(s, o) ? (graph.getEdgeAttribute(s, o, 'weight') as number) : 0;
      graph.mergeEdge(s, o, { weight: existing + t.confidence });
    }
  }
  return graph;
}

/** Louvain communities over the entity graph; stored on the entities. Returns entity → community. */
export async function detectCommunities(store: GraphStore, namespace: string): Promise<Map<string, number>> {
  const [triples, entities] = await Promise.all([store.triples(namespace), store.entities(namespace)]);
  const graph = buildGraph(triples, entities.map((e) => e.name));
  const byKey = louvain(graph, { getEdgeWeight: 'weight', rng: seededRandom(42) });
  const names = new Map(entities.map((e) => [nodeKey(e.name), e.name]));
  const communities = new Map<string, number>();
  for (const [key, community] of Object.entries(byKey)) communities.set(names.get(key) ?? key.slice(2), community);
  await store.setCommunities(namespace, communities);
  return communities;
}

export async function graphHealth(store: GraphStore, namespace: string, now: number): Promise<GraphHealth> {
  const [triples, entities] = await Promise.all([store.triples(namespace), store.entities(namespace)]);
  const graph = buildGraph(triples, entities.map((e) => e.name));
  const components = graph.order === 0 ? [] : connectedComponents(graph);
  const communities = graph.order === 0 ? 0 : new Set(Object.values(louvain(graph, { rng: seededRandom(42) }))).size;
  const current = new Map<string, Set<string>>();
  const display = new Map<string, { subject: string; predicate: string }>();
  for (const t of triples) {
    if (!isValidAt(t, now)) continue;
    const key = `${t.subject.toLowerCase()}\u0000${t.predicate}`;
    const objects = current.get(key) ?? new Set<string>();
    objects.add(t.object);
    current.set(key, objects);
    display.set(key, { subject: t.subject, predicate: t.predicate });
  }
  const contradictions = [...current]
    .filter(([, objects]) => objects.size > 1)
    .map(([key, objects]) => ({ ...display.get(key)!, objects: [...objects].sort() }));
  return {
    entities: graph.order,
    triples: triples.length,
    communities,
    components: components.length,
    isolatedCommunities: components.filter((c) => c.length <= 2).length,
    fragmentation: graph.order === 0 ? 0 : components.length / graph.order,
    contradictions,
  };
}

/** What an extraction chat model must return. */
export const ExtractedTriplesSchema = z.object({
  triples: z
    .array(z.object({ subject: z.string().min(1).max(200), predicate: z.string().min(1).max(100), object: z.string().min(1).max(200) }))
    .max(32),
});

export const EXTRACTION_PROMPT = `Extract factual (subject, predicate, object) triples from the text.
Use short canonical entity names and lower-case snake_case predicates.
Answer with JSON only: {"triples": [{"subject": "...", "predicate": "...", "object": "..."}]}.
Text:
`;

/** Minimal shape of a LangChain chat model (BaseChatModel.invoke); kept structural so @langchain/core stays optional. */
export interface ChatModelLike {
  invoke(input: string): Promise<{ content: unknown }>;
}

export function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (typeof p === 'string' ? p : typeof p === 'object' && p && 'text' in p ? String((p as { text: unknown }).text) : '')).join('');
  return '';
}

/** Parses the first JSON object in a model reply. */
export function parseJsonReply<S extends z.ZodType>(text: string, schema: S): z.output<S> {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) throw new Error('model reply holds no JSON object');
  return schema.parse(JSON.parse(text.slice(start, end + 1)));
}

export async function extractTriples(model: ChatModelLike, text: string): Promise<z.output<typeof ExtractedTriplesSchema>['triples']> {
  const reply = await model.invoke(EXTRACTION_PROMPT + text);
  return parseJsonReply(messageText(reply.content), ExtractedTriplesSchema).triples;
}
