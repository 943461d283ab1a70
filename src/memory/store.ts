/**
 * The storage contract insula needs. Kept small so the embedded Kùzu implementation can be swapped
 * for a maintained fork or a server engine. Every method takes the namespace explicitly: namespaces
 * are hard partitions and no method may read or write across them.
 */
import type { AccessState } from './models/act-r.js';
import type { RetentionState } from './models/ebbinghaus.js';
import type { MEMORY_TYPES } from './schema.js';

export type MemoryType = (typeof MEMORY_TYPES)[number];

export interface StoredMemory {
  id: string;
  namespace: string;
  content: string;
  type: MemoryType;
  importance: number;
  valence: number;
  domain: string;
  createdAt: number;
  occurredAt: number;
  session: string | null;
  /** Position within its session (0-based), -1 without a session. */
  seq: number;
  access: AccessState;
  retention: RetentionState;
  pinned: boolean;
  source: string | null;
  metadata: Record<string, unknown> | null;
}

export interface NewMemory extends Omit<StoredMemory, 'seq'> {
  embedding: Float32Array;
}

export interface MemoryStateUpdate {
  id: string;
  access?: AccessState;
  retention?: RetentionState;
  importance?: number;
  pinned?: boolean;
}

export interface ScoredId {
  id: string;
  score: number;
}

export interface LinkEdge {
  a: string;
  b: string;
  weight: number;
  updatedAt: number;
}

export interface SessionNeighbour {
  from: string;
  id: string;
  /** Positive: `id` came after `from` in the session. */
  lag: number;
}

export interface TripleInput {
  subject: string;
  predicate: string;
  object: string;
  validFrom: number;
  validTo: number | null;
  confidence: number;
  memoryId: string | null;
}

export interface StoredTriple extends TripleInput {
  id: string;
  createdAt: number;
}

export interface EntityRecord {
  name: string;
  community: number | null;
  mentions: number;
}

export interface GraphStore {
  readonly dims: number;
  insertMemories(memories: NewMemory[]): Promise<StoredMemory[]>;
  getMemories(namespace: string, ids: readonly string[]): Promise<StoredMemory[]>;
  /** Embeddings for rescoring candidates; an implementation may return a quantised approximation. */
  getEmbeddings(namespace: string, ids: readonly string[]): Promise<Map<string, Float32Array>>;
  /** Nearest neighbours by cosine similarity (score = 1 - cosine distance), from the HNSW index. */
  vectorSearch(namespace: string, vector: Float32Array, k: number): Promise<ScoredId[]>;
  /** BM25 matches from the full-text index. */
  textSearch(namespace: string, query: string, k: number): Promise<ScoredId[]>;
  updateMemoryStates(namespace: string, updates: readonly MemoryStateUpdate[]): Promise<void>;
  /** Memories adjacent in time within their sessions, up to `window` steps either way. */
  sessionNeighbours(namespace: string, ids: readonly string[], window: number): Promise<SessionNeighbour[]>;
  links(namespace: string, ids: readonly string[]): Promise<LinkEdge[]>;
  allLinks(namespace: string): Promise<LinkEdge[]>;
  upsertLinks(namespace: string, links: readonly LinkEdge[]): Promise<void>;
  deleteLinks(namespace: string, pairs: ReadonlyArray<{ a: string; b: string }>): Promise<void>;
  /** Pages through a namespace's memories ordered by id. */
  scanMemories(namespace: string, afterId: string | null, limit: number): Promise<StoredMemory[]>;
  deleteMemories(namespace: string, ids: readonly string[]): Promise<number>;
  deleteNamespace(namespace: string): Promise<number>;
  countMemories(namespace: string): Promise<number>;
  namespaces(): Promise<string[]>;
  linkMentions(namespace: string, memoryId: string, entities: readonly string[]): Promise<void>;
  addTriples(namespace: string, triples: readonly TripleInput[], now: number): Promise<StoredTriple[]>;
  /** Closes currently valid triples with this subject and predicate (validTo = at). */
  closeTriples(namespace: string, subject: string, predicate: string, at: number): Promise<number>;
  triples(namespace: string, filter?: { subject?: string; predicate?: string; object?: string }): Promise<StoredTriple[]>;
  entities(namespace: string): Promise<EntityRecord[]>;
  setCommunities(namespace: string, communities: ReadonlyMap<string, number>): Promise<void>;
  /** Memories that mention any of these entities. */
  memoriesMentioning(namespace: string, entities: readonly string[]): Promise<string[]>;
  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;
  close(): Promise<void>;
}

/** Meta key for per-namespace bookkeeping; a store removes these with the namespace. */
export function namespaceMetaKey(namespace: string, key: string): string {
  return `ns\u001f${namespace}\u001f${key}`;
}

/** Key of an unordered memory pair; links are stored once per pair. */
export function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}
