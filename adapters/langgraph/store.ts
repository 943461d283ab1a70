/**
 * A LangGraph `BaseStore` kept in insula: every item is one memory in a single insula namespace,
 * so `search({query})` ranks with insula's recall (relevance × activation, retention, association)
 * and the items persist in the Kùzu file. The LangGraph namespace, key, value and creation time
 * live in the memory's metadata; the memory's content is the text indexed for search.
 */
import {
  BaseStore,
  type GetOperation,
  type Item,
  type ListNamespacesOperation,
  type MatchCondition,
  type Operation,
  type OperationResults,
  type PutOperation,
  type SearchOperation,
} from '@langchain/langgraph';
import { z } from 'zod';
import type { Insula } from '../../src/insula.js';
import { MAX_CONTENT_CHARS, NamespaceSchema, parse } from '../../src/memory/schema.js';
import type { StoredMemory } from '../../src/memory/store.js';

export const InsulaStoreOptionsSchema = z
  .object({
    insula: z.custom<Insula>((v) => typeof v === 'object' && v !== null && 'recall' in v && 'store' in v, 'an Insula instance'),
    /** The insula namespace holding every item of this store; give each store its own. */
    namespace: NamespaceSchema.default('langgraph'),
    /**
     * Which parts of a value are indexed for `search({query})`, as in LangGraph's IndexConfig:
     * `$` is the whole value as JSON; otherwise dotted paths with `[n]`, `[-n]`, `[*]` and `*`.
     */
    index: z.object({ fields: z.array(z.string().min(1)).min(1).default(['$']) }).prefault({}),
  })
  .strict();
export type InsulaStoreOptions = z.input<typeof InsulaStoreOptionsSchema>;

/** Mirrors LangGraph's own checks on put: labels are non-empty, dot-free, not rooted at "langgraph". */
const PutSchema = z.object({
  namespace: z
    .array(z.string().min(1, 'namespace labels must not be empty').refine((l) => !l.includes('.'), 'namespace labels must not contain "."'))
    .min(1, 'namespace must not be empty')
    .refine((ns) => ns[0] !== 'langgraph', 'namespace must not start with "langgraph"'),
  key: z.string().min(1),
  value: z.record(z.string(), z.unknown()).nullable(),
  index: z.union([z.literal(false), z.array(z.string().min(1))]).optional(),
});

/** What an item keeps in its memory's metadata; memories without it are not items of this store. */
const ItemMetaSchema = z.object({
  namespace: z.array(z.string()).min(1),
  key: z.string(),
  value: z.record(z.string(), z.unknown()),
  createdAt: z.number(),
  indexed: z.boolean(),
});
type ItemMeta = z.output<typeof ItemMetaSchema>;
const META = 'langgraphItem';

/** An item with its relevance score (LangGraph does not export this type from its main entry). */
type SearchItem = Item & { score?: number | undefined };

interface Entry {
  id: string;
  namespace: string[];
  key: string;
  createdAt: number;
  updatedAt: number;
}

const SCAN_PAGE = 500;
const FETCH_PAGE = 100;

export class InsulaStore extends BaseStore {
  private readonly insula: Insula;
  private readonly namespace: string;
  private readonly fields: string[];
  /** (namespace, key) → memory: the lookup insula has no index for, built from one scan on first use. */
  private catalogue: Map<string, Entry> | null = null;
  /** Batches run one at a time so a replace (remember, then forget the old memory) never interleaves. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(options: InsulaStoreOptions) {
    super();
    const opts = parse(InsulaStoreOptionsSchema, options, 'InsulaStore options');
    this.insula = opts.insula;
    this.namespace = opts.namespace;
    this.fields = opts.index.fields;
  }

  batch<Op extends Operation[]>(operations: Op): Promise<OperationResults<Op>> {
    const run = this.tail.then(() => this.runBatch(operations));
    this.tail = run.catch(() => undefined);
    return run as Promise<OperationResults<Op>>;
  }

  private async runBatch(operations: readonly Operation[]): Promise<unknown[]> {
    const catalogue = await this.load();
    const results: unknown[] = [];
    for (const op of operations) {
      if ('namespacePrefix' in op) results.push(await this.searchIn(catalogue, op));
      else if ('value' in op) results.push(await this.putIn(catalogue, op));
      else if ('key' in op) results.push(await this.getIn(catalogue, op));
      else results.push(this.listNamespacesIn(catalogue, op));
    }
    return results;
  }

  private async load(): Promise<Map<string, Entry>> {
    if (this.catalogue) return this.catalogue;
    const catalogue = new Map<string, Entry>();
    const superseded: string[] = [];
    for (let after: string | null = null; ; ) {
      const page = await this.insula.store.scanMemories(this.namespace, after, SCAN_PAGE);
      if (page.length === 0) break;
      after = page[page.length - 1]!.id;
      for (const m of page) {
        const meta = itemMeta(m);
        if (!meta) continue;
        const k = entryKey(meta.namespace, meta.key);
        const previous = catalogue.get(k);
        // Two memories for one key means a replace stopped between remember and forget: the newer wins.
        if (previous && previous.updatedAt >= m.createdAt) superseded.push(m.id);
        else {
          if (previous) superseded.push(previous.id);
          catalogue.set(k, { id: m.id, namespace: meta.namespace, key: meta.key, createdAt: meta.createdAt, updatedAt: m.createdAt });
        }
      }
    }
    for (const id of superseded) await this.insula.forget(id, { namespace: this.namespace });
    this.catalogue = catalogue;
    return catalogue;
  }

  private async getIn(catalogue: Map<string, Entry>, op: GetOperation): Promise<Item | null> {
    const entry = catalogue.get(entryKey(op.namespace, op.key));
    if (!entry) return null;
    const [item] = await this.fetch(catalogue, [entry]);
    return item ?? null;
  }

  /**
   * Items of these entries, in their order. An entry whose memory is gone (another caller forgot it,
   * or consolidation merged it into a near-duplicate) leaves the catalogue.
   */
  private async fetch(catalogue: Map<string, Entry>, entries: readonly Entry[]): Promise<Item[]> {
    const found = new Map((await this.insula.store.getMemories(this.namespace, entries.map((e) => e.id))).map((m) => [m.id, m]));
    const out: Item[] = [];
    for (const e of entries) {
      const m = found.get(e.id);
      const meta = m && itemMeta(m);
      if (m && meta) out.push(toItem(m, meta));
      else catalogue.delete(entryKey(e.namespace, e.key));
    }
    return out;
  }

  private async putIn(catalogue: Map<string, Entry>, op: PutOperation): Promise<void> {
    const { namespace, key, value, index } = parse(PutSchema, op, 'put operation');
    const k = entryKey(namespace, key);
    const previous = catalogue.get(k);
    if (value === null) {
      if (previous) {
        await this.insula.forget(previous.id, { namespace: this.namespace });
        catalogue.delete(k);
      }
      return;
    }
    // The store returns what a JSON store would: Dates become strings, undefined fields disappear.
    const json = JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
    const now = Date.now();
    const texts = (index === false ? [] : (index ?? this.fields)).flatMap((path) => textsAt(json, path));
    const text = texts.join('\n').trim();
    const meta: ItemMeta = { namespace, key, value: json, createdAt: previous?.createdAt ?? now, indexed: text.length > 0 };
    // A memory needs content; an item with nothing to index gets its path, and recall hits on it are ignored.
    const content = (meta.indexed ? text : [...namespace, key].join('/')).slice(0, MAX_CONTENT_CHARS);
    // Pinned: consolidation must not forget an item because nobody recalled it for a while.
    const [stored] = await this.insula.rememberMany([{ namespace: this.namespace, content, type: 'semantic', pinned: true, metadata: { [META]: meta } }], now);
    // Remember first, forget second: a failure in between leaves a duplicate that load() resolves, never a loss.
    if (previous) await this.insula.forget(previous.id, { namespace: this.namespace });
    catalogue.set(k, { id: stored!.id, namespace, key, createdAt: meta.createdAt, updatedAt: now });
  }

  /**
   * With a query: insula's recall hits under the prefix first, by score; then, as LangGraph's
   * InMemoryStore does with unscored items, the remaining matches. Without: newest first.
   */
  private async searchIn(catalogue: Map<string, Entry>, op: SearchOperation): Promise<SearchItem[]> {
    const limit = op.limit ?? 10;
    const offset = op.offset ?? 0;
    const wanted = offset + limit;
    const matches = (item: Item) => hasPrefix(item.namespace, op.namespacePrefix) && matchesFilter(item.value, op.filter);
    const out: SearchItem[] = [];
    const seen = new Set<string>();
    const query = op.query?.trim();
    if (query) {
      // Recall cannot filter on LangGraph paths, so it is asked for more than the page and filtered after.
      const k = Math.min(200, Math.max(10, wanted * 4));
      const hits = await this.insula.recall(query, { namespace: this.namespace, k, regulate: false });
      for (const hit of hits) {
        const meta = itemMeta(hit.memory);
        if (!meta?.indexed) continue;
        const entry = catalogue.get(entryKey(meta.namespace, meta.key));
        const item = toItem(hit.memory, meta);
        if (entry?.id !== hit.id || !matches(item)) continue;
        seen.add(hit.id);
        out.push({ ...item, score: hit.score });
        if (out.length >= wanted) return out.slice(offset);
      }
    }
    const rest = [...catalogue.values()]
      .filter((e) => !seen.has(e.id) && hasPrefix(e.namespace, op.namespacePrefix))
      .sort((a, b) => b.updatedAt - a.updatedAt || compareEntries(a, b));
    for (let i = 0; i < rest.length && out.length < wanted; i += FETCH_PAGE) {
      for (const item of await this.fetch(catalogue, rest.slice(i, i + FETCH_PAGE))) {
        if (matches(item) && out.length < wanted) out.push(query ? { ...item, score: undefined } : item);
      }
    }
    return out.slice(offset);
  }

  private listNamespacesIn(catalogue: Map<string, Entry>, op: ListNamespacesOperation): string[][] {
    const distinct = new Map<string, string[]>();
    for (const e of catalogue.values()) {
      if (!(op.matchConditions ?? []).every((c) => matchesCondition(e.namespace, c))) continue;
      const ns = op.maxDepth === undefined ? e.namespace : e.namespace.slice(0, op.maxDepth);
      distinct.set(JSON.stringify(ns), ns);
    }
    const sorted = [...distinct.values()].sort(compareLabels);
    return sorted.slice(op.offset ?? 0, (op.offset ?? 0) + (op.limit ?? sorted.length));
  }
}

function entryKey(namespace: readonly string[], key: string): string {
  return JSON.stringify([namespace, key]);
}

function itemMeta(m: StoredMemory): ItemMeta | null {
  const parsed = ItemMetaSchema.safeParse(m.metadata?.[META]);
  return parsed.success ? parsed.data : null;
}

function toItem(m: StoredMemory, meta: ItemMeta): Item {
  return { namespace: meta.namespace, key: meta.key, value: meta.value, createdAt: new Date(meta.createdAt), updatedAt: new Date(m.createdAt) };
}

function hasPrefix(namespace: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= namespace.length && prefix.every((label, i) => namespace[i] === label);
}

function matchesCondition(namespace: readonly string[], { matchType, path }: MatchCondition): boolean {
  if (path.length > namespace.length) return false;
  const start = matchType === 'prefix' ? 0 : namespace.length - path.length;
  return path.every((label, i) => label === '*' || namespace[start + i] === label);
}

function compareLabels(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}

function compareEntries(a: Entry, b: Entry): number {
  return compareLabels([...a.namespace, a.key], [...b.namespace, b.key]);
}

/** LangGraph's filter semantics: top-level fields, exact match or $eq/$ne/$gt/$gte/$lt/$lte/$in/$nin. */
function matchesFilter(value: Record<string, unknown>, filter: Record<string, unknown> | undefined): boolean {
  return Object.entries(filter ?? {}).every(([field, condition]) => {
    const actual = value[field];
    if (!isOperatorObject(condition)) return actual === condition;
    return Object.entries(condition).every(([operator, operand]) => {
      switch (operator) {
        case '$eq':
          return actual === operand;
        case '$ne':
          return actual !== operand;
        case '$gt':
          return Number(actual) > Number(operand);
        case '$gte':
          return Number(actual) >= Number(operand);
        case '$lt':
          return Number(actual) < Number(operand);
        case '$lte':
          return Number(actual) <= Number(operand);
        case '$in':
          return Array.isArray(operand) && operand.includes(actual);
        default: // $nin
          return !Array.isArray(operand) || !operand.includes(actual);
      }
    });
  });
}

const OPERATORS = new Set(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin']);

function isOperatorObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).every((k) => OPERATORS.has(k));
}

/** The texts a field path selects in a value, as LangGraph extracts them for embedding. */
export function textsAt(value: unknown, path: string): string[] {
  if (path === '$') return [JSON.stringify(value)];
  const tokens = path.match(/\[[^\]]*\]|[^.[\]]+/g) ?? [];
  let current: unknown[] = [value];
  for (const token of tokens) {
    current = current.flatMap((v): unknown[] => {
      if (token === '[*]') return Array.isArray(v) ? v : [];
      if (token === '*') return Array.isArray(v) ? v : isObject(v) ? Object.values(v) : [];
      if (token.startsWith('[')) {
        const n = Number(token.slice(1, -1));
        if (!Array.isArray(v) || !Number.isInteger(n)) return [];
        const at: unknown = v[n < 0 ? v.length + n : n];
        return at === undefined ? [] : [at];
      }
      return isObject(v) && token in v ? [v[token]] : [];
    });
  }
  return current.flatMap((v) => (v === null || v === undefined ? [] : typeof v === 'object' ? [JSON.stringify(v)] : [String(v)]));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
