import { join } from 'node:path';
import { Embeddings } from '@langchain/core/embeddings';
import { Annotation, InMemoryStore, StateGraph, type LangGraphRunnableConfig } from '@langchain/langgraph';
import { afterAll, describe, expect, it } from 'vitest';
import { InsulaStore, textsAt } from '../../adapters/langgraph/index.js';
import { createGloveEmbedder } from '../../native/glove/embedder.js';
import type { Embedder } from '../../native/embedder.js';
import type { Insula } from '../../src/insula.js';
import { InsulaValidationError } from '../../src/memory/schema.js';
import { openTestInsula, tempDir, useTestInsula } from '../helpers.js';
import { describeStoreConformance } from './store-conformance.js';

/** The GloVe embedder behind LangChain's Embeddings, so the reference store embeds like insula's tests do. */
class GloveEmbeddings extends Embeddings {
  constructor(private readonly embedder: Embedder) {
    super({});
  }
  async embedDocuments(texts: string[]): Promise<number[][]> {
    return (await this.embedder.embed(texts)).map((v) => Array.from(v));
  }
  async embedQuery(text: string): Promise<number[]> {
    return (await this.embedDocuments([text]))[0]!;
  }
}

// One embedder and one Kùzu file serve every conformance test: each InsulaStore gets its own insula
// namespace, which no read crosses, so tests stay isolated without reopening the database each time.
const shared = (async () => {
  const { dir, cleanup } = tempDir();
  const embedder = await createGloveEmbedder({ threads: 1 });
  const insula = await openTestInsula(join(dir, 'db.kuzu'));
  return { embedder, insula, cleanup };
})();
afterAll(async () => {
  const { embedder, insula, cleanup } = await shared;
  await Promise.all([embedder.close(), insula.close()]);
  cleanup();
});
const nothingToClose = async () => undefined;

describeStoreConformance('LangGraph InMemoryStore (reference)', async () => {
  const { embedder } = await shared;
  return { store: new InMemoryStore({ index: { dims: embedder.dims, embeddings: new GloveEmbeddings(embedder) } }), close: nothingToClose };
});

let conformanceRun = 0;
describeStoreConformance('InsulaStore', async () => {
  const { insula } = await shared;
  return { store: new InsulaStore({ insula, namespace: `conformance-${++conformanceRun}` }), close: nothingToClose };
});

describe('InsulaStore on insula', () => {
  const ctx = useTestInsula();

  it('persists items, timestamps and namespaces across a reopen', async () => {
    const store = new InsulaStore({ insula: ctx.mem });
    await store.put(['users', 'ana'], 'prefs', { meetings: 'mornings' });
    await store.put(['users', 'ana'], 'prefs', { meetings: 'mornings', tea: 'green' });
    await store.put(['users', 'bo'], 'prefs', { meetings: 'afternoons' });
    await store.delete(['users', 'bo'], 'prefs');
    const before = await store.get(['users', 'ana'], 'prefs');

    const reopened = new InsulaStore({ insula: await ctx.reopen() });
    const after = await reopened.get(['users', 'ana'], 'prefs');
    expect(after).toEqual(before);
    expect(after!.value).toEqual({ meetings: 'mornings', tea: 'green' });
    expect(await reopened.get(['users', 'bo'], 'prefs')).toBeNull();
    expect(await reopened.listNamespaces()).toEqual([['users', 'ana']]);
    expect((await reopened.search(['users'], { query: 'green tea' })).map((i) => i.key)).toEqual(['prefs']);
    expect(await ctx.mem.store.countMemories('langgraph')).toBe(1);
  });

  it('keeps each item as one pinned memory in its insula namespace, with the indexed text as content', async () => {
    const store = new InsulaStore({ insula: ctx.mem, namespace: 'agent-7', index: { fields: ['title', 'tags[*]'] } });
    await store.put(['notes'], 'n1', { title: 'Quarterly report', tags: ['finance', 'q3'], body: 'long text' });
    await store.put(['notes'], 'n1', { title: 'Quarterly report v2', tags: ['finance'], body: 'long text' });
    const [memory] = await ctx.mem.store.scanMemories('agent-7', null, 10);
    expect(await ctx.mem.store.countMemories('agent-7')).toBe(1);
    expect(await ctx.mem.store.countMemories('default')).toBe(0);
    expect(memory!.content).toBe('Quarterly report v2\nfinance');
    expect(memory!.pinned).toBe(true);
  });

  it('ranks with insula recall: a search is a retrieval that strengthens the item', async () => {
    const store = new InsulaStore({ insula: ctx.mem });
    await store.put(['docs'], 'oven', { text: 'bake bread in a hot oven' });
    const [stored] = await ctx.mem.store.scanMemories('langgraph', null, 10);
    const [hit] = await store.search(['docs'], { query: 'bread oven' });
    await ctx.mem.flush();
    const [recalled] = await ctx.mem.store.scanMemories('langgraph', null, 10);
    expect(hit!.score).toBeGreaterThan(0);
    expect(recalled!.access.count).toBe(stored!.access.count + 1);
    // a listing is not a retrieval
    await store.search(['docs']);
    await ctx.mem.flush();
    expect((await ctx.mem.store.scanMemories('langgraph', null, 10))[0]!.access.count).toBe(recalled!.access.count);
  });

  it('applies concurrent puts to one key one after the other', async () => {
    const store = new InsulaStore({ insula: ctx.mem });
    await Promise.all([1, 2, 3, 4].map((v) => store.put(['race'], 'k', { v })));
    expect((await store.get(['race'], 'k'))!.value).toEqual({ v: 4 });
    expect(await ctx.mem.store.countMemories('langgraph')).toBe(1);
  });

  it('matches namespace prefixes label by label, not as strings', async () => {
    const store = new InsulaStore({ insula: ctx.mem });
    await store.put(['doc'], 'a', { n: 1 });
    await store.put(['docs'], 'b', { n: 2 });
    expect((await store.search(['doc'])).map((i) => i.key)).toEqual(['a']);
    expect((await store.search(['doc'], { query: 'anything at all' })).map((i) => i.key)).toEqual(['a']);
  });

  it('lists newest first without a query', async () => {
    const store = new InsulaStore({ insula: ctx.mem });
    for (const key of ['first', 'second', 'third']) {
      await store.put(['log'], key, { key });
      await new Promise((r) => setTimeout(r, 2));
    }
    await store.put(['log'], 'first', { key: 'first', edited: true });
    expect((await store.search(['log'])).map((i) => i.key)).toEqual(['first', 'third', 'second']);
  });

  it('drops a namespace from the listing once its last item is deleted', async () => {
    const store = new InsulaStore({ insula: ctx.mem });
    await store.put(['tmp'], 'k', { n: 1 });
    await store.put(['kept'], 'k', { n: 1 });
    await store.delete(['tmp'], 'k');
    expect(await store.listNamespaces()).toEqual([['kept']]);
  });

  it('rejects a bad put naming the field, and stores nothing', async () => {
    const store = new InsulaStore({ insula: ctx.mem });
    await expect(store.batch([{ namespace: ['a.b'], key: 'k', value: { n: 1 } }])).rejects.toThrow(/namespace.*"\."/);
    await expect(store.batch([{ namespace: [], key: 'k', value: { n: 1 } }])).rejects.toThrow(/namespace must not be empty/);
    await expect(store.put(['big'], 'k', { blob: 'x'.repeat(20_000) })).rejects.toThrow(InsulaValidationError);
    await expect(store.put(['big'], 'k', { blob: 'x'.repeat(20_000) })).rejects.toThrow(/metadata/);
    expect(await ctx.mem.store.countMemories('langgraph')).toBe(0);
    // the store keeps working after a rejected batch
    await store.put(['ok'], 'k', { n: 1 });
    expect((await store.get(['ok'], 'k'))!.value).toEqual({ n: 1 });
  });

  it('rejects bad options naming the field', () => {
    expect(() => new InsulaStore({ insula: ctx.mem, namespace: 'bad namespace' })).toThrow(/namespace/);
    expect(() => new InsulaStore({ insula: {} as Insula })).toThrow(/insula/);
    expect(() => new InsulaStore({ insula: ctx.mem, index: { fields: [] } })).toThrow(/index\.fields/);
  });

  it('forgets an item that insula forgot, and resolves a replace interrupted before its forget', async () => {
    const store = new InsulaStore({ insula: ctx.mem });
    await store.put(['s'], 'gone', { n: 1 });
    await store.put(['s'], 'dup', { v: 'old' });
    const goneId = (await ctx.mem.store.scanMemories('langgraph', null, 10)).find((m) => m.content.includes('"n":1'))!.id;
    await ctx.mem.forget(goneId, { namespace: 'langgraph' });
    expect(await store.get(['s'], 'gone')).toBeNull();
    expect(await store.listNamespaces()).toEqual([['s']]);

    // A second memory for the same key, as a replace that stopped after remember would leave.
    const old = (await ctx.mem.store.scanMemories('langgraph', null, 10))[0]!;
    const newer = { ...(old.metadata!.langgraphItem as object), value: { v: 'new' } };
    await ctx.mem.rememberMany([{ namespace: 'langgraph', content: 'new', pinned: true, metadata: { langgraphItem: newer } }], old.createdAt + 1);
    const reopened = new InsulaStore({ insula: ctx.mem });
    expect((await reopened.get(['s'], 'dup'))!.value).toEqual({ v: 'new' });
    expect(await ctx.mem.store.countMemories('langgraph')).toBe(1);
  });

  it('keeps items through consolidation long after their last use (pinned)', async () => {
    const store = new InsulaStore({ insula: ctx.mem });
    await store.put(['facts'], 'a', { text: 'the office is in Lisbon' });
    await ctx.mem.consolidate({ namespace: 'langgraph', now: Date.now() + 5 * 365 * 86_400_000 });
    expect((await store.get(['facts'], 'a'))!.value).toEqual({ text: 'the office is in Lisbon' });
  });

  it('serves a compiled StateGraph through the runtime store', async () => {
    const store = new InsulaStore({ insula: ctx.mem });
    const State = Annotation.Root({ userId: Annotation<string>, fact: Annotation<string>, recalled: Annotation<string[]> });
    const graph = new StateGraph(State)
      .addNode('remember', async (state: typeof State.State, config: LangGraphRunnableConfig) => {
        await config.store!.put(['facts', state.userId], `f${Date.now()}`, { text: state.fact });
        const found = await config.store!.search(['facts', state.userId], { query: state.fact });
        return { recalled: found.map((i) => String(i.value.text)) };
      })
      .addEdge('__start__', 'remember')
      .compile({ store });
    await graph.invoke({ userId: 'ana', fact: 'Ana drinks green tea every morning' });
    const out = await graph.invoke({ userId: 'ana', fact: 'Ana works from Lisbon' });
    expect(out.recalled[0]).toBe('Ana works from Lisbon');
    expect(out.recalled).toContain('Ana drinks green tea every morning');
    expect(await store.listNamespaces()).toEqual([['facts', 'ana']]);
  });
});

describe('textsAt (LangGraph field paths)', () => {
  const value = { title: 'T', n: 3, ok: true, none: null, meta: { a: 'x' }, list: ['p', 'q', 'r'], ch: [{ c: 'one' }, { c: 'two' }, { d: 'no' }] };
  it('selects texts as LangGraph does', () => {
    expect(textsAt(value, '$')).toEqual([JSON.stringify(value)]);
    expect(textsAt(value, 'title')).toEqual(['T']);
    expect(textsAt(value, 'n')).toEqual(['3']);
    expect(textsAt(value, 'ok')).toEqual(['true']);
    expect(textsAt(value, 'none')).toEqual([]);
    expect(textsAt(value, 'missing')).toEqual([]);
    expect(textsAt(value, 'meta')).toEqual(['{"a":"x"}']);
    expect(textsAt(value, 'meta.a')).toEqual(['x']);
    expect(textsAt(value, 'list[1]')).toEqual(['q']);
    expect(textsAt(value, 'list[-1]')).toEqual(['r']);
    expect(textsAt(value, 'list[9]')).toEqual([]);
    expect(textsAt(value, 'list[*]')).toEqual(['p', 'q', 'r']);
    expect(textsAt(value, 'ch[*].c')).toEqual(['one', 'two']);
    expect(textsAt(value, 'meta.*')).toEqual(['x']);
    expect(textsAt(value, 'title[*]')).toEqual([]);
  });
});
