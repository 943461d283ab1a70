/**
 * Write-through, in-process cache in front of the store: memory records (no embedding), int8
 * embeddings (per-vector scale) for candidate rescoring, session order and Hebbian adjacency.
 * Kùzu stays the store of record; this exists because reading a few dozen rows' properties back
 * through Kùzu costs tens of milliseconds at 100k memories, more than the whole recall budget.
 * A database file is opened read-write by one process, so write-through keeps the cache exact.
 */
import type { LinkEdge, StoredMemory } from './store.js';

export interface QuantisedVector {
  codes: Int8Array;
  scale: number;
}

export function quantise(v: Float32Array): QuantisedVector {
  let max = 0;
  for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i]!));
  const scale = max > 0 ? max / 127 : 1;
  const codes = new Int8Array(v.length);
  for (let i = 0; i < v.length; i++) codes[i] = Math.round(v[i]! / scale);
  return { codes, scale };
}

export function dequantise(q: QuantisedVector): Float32Array {
  const out = new Float32Array(q.codes.length);
  for (let i = 0; i < out.length; i++) out[i] = q.codes[i]! * q.scale;
  return out;
}

interface Entry {
  memory: StoredMemory;
  vector: QuantisedVector | null;
}

export class MemoryCache {
  private readonly entries = new Map<string, Entry>();
  /** namespace\u001fsession → ids in session order; present only when complete. */
  private readonly sessions = new Map<string, string[]>();
  /** id → neighbour id → link; present only when all of the id's links are loaded. */
  private readonly adjacency = new Map<string, Map<string, LinkEdge>>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(id: string): Entry | undefined {
    const e = this.entries.get(id);
    if (e) {
      // Map order doubles as recency for LRU eviction.
      this.entries.delete(id);
      this.entries.set(id, e);
    }
    return e;
  }

  put(memory: StoredMemory, vector: QuantisedVector | null): void {
    const previous = this.entries.get(memory.id);
    this.entries.delete(memory.id);
    this.entries.set(memory.id, { memory, vector: vector ?? previous?.vector ?? null });
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.adjacency.delete(oldest);
    }
  }

  patch(id: string, change: Partial<StoredMemory>): void {
    const e = this.entries.get(id);
    if (e) e.memory = { ...e.memory, ...change };
  }

  evict(id: string): void {
    const e = this.entries.get(id);
    this.entries.delete(id);
    if (e?.memory.session) {
      const order = this.sessions.get(sessionKey(e.memory.namespace, e.memory.session));
      const at = order?.indexOf(id) ?? -1;
      if (at >= 0) order!.splice(at, 1);
    }
    const links = this.adjacency.get(id);
    this.adjacency.delete(id);
    if (links) for (const other of links.keys()) this.adjacency.get(other)?.delete(id);
  }

  evictNamespace(namespace: string): void {
    for (const [id, e] of this.entries) if (e.memory.namespace === namespace) this.evict(id);
    for (const key of this.sessions.keys()) if (key.startsWith(`${namespace}\u001f`)) this.sessions.delete(key);
    // Adjacency of evicted ids went with them; ids outside the cache may still hold entries.
    this.adjacency.clear();
  }

  sessionOrder(namespace: string, session: string): string[] | undefined {
    return this.sessions.get(sessionKey(namespace, session));
  }

  setSessionOrder(namespace: string, session: string, ids: string[]): void {
    this.sessions.set(sessionKey(namespace, session), ids);
  }

  /** Appends to a session whose order is known; a session first seen now starts complete. */
  appendToSession(namespace: string, session: string, id: string, isNew: boolean): void {
    const key = sessionKey(namespace, session);
    const order = this.sessions.get(key);
    if (order) order.push(id);
    else if (isNew) this.sessions.set(key, [id]);
  }

  links(id: string): Map<string, LinkEdge> | undefined {
    return this.adjacency.get(id);
  }

  setLinks(id: string, links: readonly LinkEdge[]): void {
    const map = new Map<string, LinkEdge>();
    for (const l of links) map.set(l.a === id ? l.b : l.a, l);
    this.adjacency.set(id, map);
  }

  /** Mirrors a link write into every loaded endpoint. */
  applyLink(link: LinkEdge | { a: string; b: string; deleted: true }): void {
    for (const [self, other] of [
      [link.a, link.b],
      [link.b, link.a],
    ] as const) {
      const map = this.adjacency.get(self);
      if (!map) continue;
      if ('deleted' in link) map.delete(other);
      else map.set(other, link);
    }
  }
}

export function sessionKey(namespace: string, session: string): string {
  return `${namespace}\u001f${session}`;
}
