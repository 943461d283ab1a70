/**
 * Behaviour every LangGraph BaseStore used with insula must share, run against LangGraph's own
 * InMemoryStore (the reference) and InsulaStore. Only behaviour both agree on belongs here; what
 * InsulaStore does differently (tuple prefixes, persistence) is tested in its own suite.
 */
import type { BaseStore, GetOperation, Item, ListNamespacesOperation, SearchOperation } from '@langchain/langgraph';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

export interface StoreHandle {
  /** Must index whole values by default (LangGraph's `fields: ['$']`) and embed for `search({query})`. */
  store: BaseStore;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const keys = (items: readonly Item[]) => items.map((i) => i.key).sort();

export function describeStoreConformance(name: string, open: () => Promise<StoreHandle>): void {
  describe(`BaseStore conformance: ${name}`, () => {
    let store: BaseStore;
    let handle: StoreHandle;
    beforeEach(async () => {
      handle = await open();
      store = handle.store;
    });
    afterEach(() => handle.close());

    it('puts and gets an item with its key, namespace, value and timestamps', async () => {
      const before = Date.now();
      await store.put(['users', 'u1'], 'prefs', { theme: 'dark', size: 3, tags: ['a', 'b'], nested: { on: true } });
      const item = await store.get(['users', 'u1'], 'prefs');
      expect(item).toMatchObject({ key: 'prefs', namespace: ['users', 'u1'], value: { theme: 'dark', size: 3, tags: ['a', 'b'], nested: { on: true } } });
      expect(item!.createdAt).toBeInstanceOf(Date);
      expect(item!.updatedAt).toBeInstanceOf(Date);
      expect(item!.createdAt.getTime()).toBeGreaterThanOrEqual(before);
      expect(item!.updatedAt.getTime()).toBe(item!.createdAt.getTime());
      expect(await store.get(['users', 'u1'], 'missing')).toBeNull();
      expect(await store.get(['users', 'u2'], 'prefs')).toBeNull();
    });

    it('overwrites on put with the same namespace and key, keeping createdAt', async () => {
      await store.put(['users', 'u1'], 'prefs', { theme: 'dark' });
      // Times are read out first: InMemoryStore updates the item it returned in place.
      const first = await store.get(['users', 'u1'], 'prefs');
      const [createdAt, updatedAt] = [first!.createdAt.getTime(), first!.updatedAt.getTime()];
      await sleep(5);
      await store.put(['users', 'u1'], 'prefs', { theme: 'light' });
      const second = await store.get(['users', 'u1'], 'prefs');
      expect(second!.value).toEqual({ theme: 'light' });
      expect(second!.createdAt.getTime()).toBe(createdAt);
      expect(second!.updatedAt.getTime()).toBeGreaterThan(updatedAt);
      expect(await store.search(['users'])).toHaveLength(1);
    });

    it('deletes an item, and deleting a missing one is a no-op', async () => {
      await store.put(['users', 'u1'], 'a', { n: 1 });
      await store.put(['users', 'u1'], 'b', { n: 2 });
      await store.delete(['users', 'u1'], 'a');
      await store.delete(['users', 'u1'], 'never-there');
      expect(await store.get(['users', 'u1'], 'a')).toBeNull();
      expect(keys(await store.search(['users', 'u1']))).toEqual(['b']);
      // batch: a put with value null deletes too
      await store.batch([{ namespace: ['users', 'u1'], key: 'b', value: null }]);
      expect(await store.search(['users', 'u1'])).toEqual([]);
    });

    it('answers a batch of mixed operations in order', async () => {
      await store.put(['docs'], 'd1', { n: 1 });
      const ops: [GetOperation, SearchOperation, ListNamespacesOperation] = [
        { namespace: ['docs'], key: 'd1' },
        { namespacePrefix: ['docs'], limit: 10, offset: 0 },
        // InMemoryStore recognises a list operation by its matchConditions key.
        { matchConditions: [], limit: 10, offset: 0 },
      ];
      const [got, found, spaces] = await store.batch(ops);
      expect(got?.value).toEqual({ n: 1 });
      expect(keys(found)).toEqual(['d1']);
      expect(spaces).toEqual([['docs']]);
    });

    it('searches by namespace prefix', async () => {
      await store.put(['users', 'a'], 'k1', { n: 1 });
      await store.put(['users', 'b'], 'k2', { n: 2 });
      await store.put(['users', 'b', 'deep'], 'k3', { n: 3 });
      await store.put(['docs'], 'k4', { n: 4 });
      expect(keys(await store.search(['users']))).toEqual(['k1', 'k2', 'k3']);
      expect(keys(await store.search(['users', 'b']))).toEqual(['k2', 'k3']);
      expect(keys(await store.search(['users', 'b', 'deep']))).toEqual(['k3']);
      expect(keys(await store.search([]))).toEqual(['k1', 'k2', 'k3', 'k4']);
      expect(await store.search(['nobody'])).toEqual([]);
      const [item] = await store.search(['docs']);
      expect(item).toMatchObject({ key: 'k4', namespace: ['docs'], value: { n: 4 } });
      expect(item!.createdAt).toBeInstanceOf(Date);
    });

    it('filters on value fields: exact match and comparison operators', async () => {
      await store.put(['items'], 'r1', { color: 'red', price: 5, stock: 0 });
      await store.put(['items'], 'r2', { color: 'red', price: 12, stock: 3 });
      await store.put(['items'], 'b1', { color: 'blue', price: 8, stock: 1 });
      await store.put(['items'], 'n1', { price: 1 });
      const find = async (filter: Record<string, unknown>) => keys(await store.search(['items'], { filter }));
      expect(await find({ color: 'red' })).toEqual(['r1', 'r2']);
      expect(await find({ color: { $eq: 'blue' } })).toEqual(['b1']);
      expect(await find({ color: { $ne: 'red' } })).toEqual(['b1', 'n1']);
      expect(await find({ price: { $gt: 5 } })).toEqual(['b1', 'r2']);
      expect(await find({ price: { $gte: 5, $lt: 12 } })).toEqual(['b1', 'r1']);
      expect(await find({ price: { $lte: 5 } })).toEqual(['n1', 'r1']);
      expect(await find({ color: { $in: ['blue', 'green'] } })).toEqual(['b1']);
      expect(await find({ color: { $nin: ['red'] } })).toEqual(['b1', 'n1']);
      expect(await find({ color: 'red', stock: { $gt: 0 } })).toEqual(['r2']);
      expect(await find({ color: 'green' })).toEqual([]);
    });

    it('pages with limit and offset (default limit 10)', async () => {
      for (let i = 0; i < 12; i++) await store.put(['pages'], `p${String(i).padStart(2, '0')}`, { i });
      expect(await store.search(['pages'])).toHaveLength(10);
      const pages = [];
      for (let offset = 0; offset < 12; offset += 5) pages.push(await store.search(['pages'], { limit: 5, offset }));
      expect(pages.map((p) => p.length)).toEqual([5, 5, 2]);
      const all = pages.flat().map((i) => i.key);
      expect(new Set(all).size).toBe(12);
      expect(await store.search(['pages'], { offset: 12 })).toEqual([]);
      // a filter applies before paging
      expect(await store.search(['pages'], { filter: { i: { $gte: 10 } }, limit: 5 })).toHaveLength(2);
    });

    it('lists namespaces with prefix, suffix, wildcards, maxDepth, limit and offset', async () => {
      await store.put(['a', 'b', 'c'], 'k', { n: 1 });
      await store.put(['a', 'b', 'd'], 'k', { n: 1 });
      await store.put(['a', 'e'], 'k', { n: 1 });
      await store.put(['f', 'b', 'c'], 'k', { n: 1 });
      await store.put(['g'], 'k', { n: 1 });
      await store.put(['g'], 'k2', { n: 2 });
      expect(await store.listNamespaces()).toEqual([['a', 'b', 'c'], ['a', 'b', 'd'], ['a', 'e'], ['f', 'b', 'c'], ['g']]);
      expect(await store.listNamespaces({ prefix: ['a'] })).toEqual([['a', 'b', 'c'], ['a', 'b', 'd'], ['a', 'e']]);
      expect(await store.listNamespaces({ prefix: ['a', 'b'] })).toEqual([['a', 'b', 'c'], ['a', 'b', 'd']]);
      expect(await store.listNamespaces({ suffix: ['c'] })).toEqual([['a', 'b', 'c'], ['f', 'b', 'c']]);
      expect(await store.listNamespaces({ prefix: ['*', 'b'] })).toEqual([['a', 'b', 'c'], ['a', 'b', 'd'], ['f', 'b', 'c']]);
      expect(await store.listNamespaces({ prefix: ['a'], suffix: ['d'] })).toEqual([['a', 'b', 'd']]);
      expect(await store.listNamespaces({ maxDepth: 1 })).toEqual([['a'], ['f'], ['g']]);
      expect(await store.listNamespaces({ prefix: ['a'], maxDepth: 2 })).toEqual([['a', 'b'], ['a', 'e']]);
      expect(await store.listNamespaces({ limit: 2 })).toEqual([['a', 'b', 'c'], ['a', 'b', 'd']]);
      expect(await store.listNamespaces({ limit: 2, offset: 3 })).toEqual([['f', 'b', 'c'], ['g']]);
      expect(await store.listNamespaces({ prefix: ['z'] })).toEqual([]);
    });

    it('ranks the relevant item first for a query, with a score', async () => {
      await store.put(['docs'], 'football', { text: 'the team scored a late goal to win the football match' });
      await store.put(['docs'], 'cooking', { text: 'bake the bread in a hot oven and cook the pasta in the kitchen' });
      await store.put(['docs'], 'finance', { text: 'the central bank raised interest rates and stock prices fell' });
      await store.put(['other'], 'baking', { text: 'bake bread in the oven' });
      const results = await store.search(['docs'], { query: 'baking bread in an oven' });
      expect(results.map((r) => r.key)).toEqual(expect.arrayContaining(['cooking', 'football', 'finance']));
      expect(results[0]!.key).toBe('cooking');
      expect(results[0]!.value).toEqual({ text: 'bake the bread in a hot oven and cook the pasta in the kitchen' });
      expect(typeof results[0]!.score).toBe('number');
      expect((await store.search(['docs'], { query: 'interest rates at the bank' }))[0]!.key).toBe('finance');
      expect((await store.search(['docs'], { query: 'who scored the goal', limit: 1 })).map((r) => r.key)).toEqual(['football']);
      // query and filter together
      await store.put(['docs'], 'cooking2', { text: 'bake bread and cakes in the oven', kind: 'recipe' });
      expect((await store.search(['docs'], { query: 'baking bread in an oven', filter: { kind: 'recipe' } })).map((r) => r.key)).toEqual(['cooking2']);
    });

    it('indexes only the fields a put names, and nothing with index: false', async () => {
      // Indexed by title only: its body matches the query word for word, and must not count.
      await store.put(['docs'], 'weather', { title: 'weather', body: 'baking bread in an oven' }, ['title']);
      await store.put(['docs'], 'kitchen', { title: 'kitchen', body: 'we bake bread' });
      await store.put(['docs'], 'chapters', { title: 'untitled', chapters: [{ content: 'football match' }, { content: 'goal' }] }, ['chapters[*].content']);
      await store.put(['docs'], 'unindexed', { text: 'baking bread in an oven' }, false);
      const results = await store.search(['docs'], { query: 'baking bread in an oven' });
      expect(results[0]!.key).toBe('kitchen');
      expect((await store.search(['docs'], { query: 'a football goal' }))[0]!.key).toBe('chapters');
      // Unindexed items are still found, after the scored ones and without a score.
      const last = results[results.length - 1]!;
      expect(last.key).toBe('unindexed');
      expect(last.score).toBeUndefined();
      expect(results.slice(0, -1).every((r) => typeof r.score === 'number')).toBe(true);
    });
  });
}
