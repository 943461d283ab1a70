import { describe, expect, it } from 'vitest';
import { InsulaValidationError } from '../src/memory/schema.js';
import { useTestInsula } from './helpers.js';

const t = useTestInsula();

const kitchen = [
  'I baked sourdough bread this morning with the new starter.',
  'The oven temperature was too high and the crust burned.',
  'Next time I will bake at a lower temperature for longer.',
];

describe('remember and recall', () => {
  it('returns relevant memories with ids, scores and a full explanation', async () => {
    await t.mem.rememberMany([
      { content: 'My sister lives in Lisbon and works as an architect.' },
      { content: 'The quarterly budget review is scheduled for Friday.' },
      { content: 'Our cat Miso likes to sleep on the warm laptop.' },
    ]);
    const results = await t.mem.recall('where does my sister live', { k: 2 });
    expect(results[0]!.content).toContain('Lisbon');
    const r = results[0]!;
    expect(r.id).toMatch(/[0-9a-f-]{36}/);
    expect(r.score).toBeGreaterThan(0);
    expect(r.sources).toEqual(expect.arrayContaining(['vector']));
    const e = r.explanation;
    expect(e.cosine).toBeGreaterThan(0);
    expect(e.relevance).toBeGreaterThan(0);
    for (const key of ['activation', 'retention', 'spread', 'contiguity', 'importance', 'workingMemory', 'total'] as const) {
      expect(typeof e.multipliers[key]).toBe('number');
    }
    expect(r.score).toBeCloseTo(e.relevance * e.multipliers.total, 10);
  });

  it('bounds the cognitive boost so a heavily rehearsed memory cannot bury a relevant one', async () => {
    const [rehearsed] = await t.mem.rememberMany([{ content: 'Weekly team meeting notes about the roadmap.', importance: 1 }]);
    const [relevant] = await t.mem.rememberMany([{ content: 'The dentist appointment is on Tuesday at nine.', importance: 0 }]);
    for (let i = 0; i < 30; i++) await t.mem.recall('team meeting roadmap notes', { k: 1 });
    await t.mem.flush();
    const results = await t.mem.recall('when is the dentist appointment', { k: 2 });
    expect(results[0]!.id).toBe(relevant!.id);
    for (const r of results) {
      expect(r.explanation.multipliers.total).toBeLessThanOrEqual(1.5);
      expect(r.explanation.multipliers.total).toBeGreaterThanOrEqual(0.3);
    }
    expect(results.find((r) => r.id === rehearsed!.id)?.explanation.multipliers.activation ?? 1).toBeGreaterThan(1);
  });

  it('records accesses (ACT-R) and co-recall links (Hebbian) in the background', async () => {
    const stored = await t.mem.rememberMany(kitchen.map((content) => ({ content })));
    const before = await t.mem.get(stored[0]!.id);
    const results = await t.mem.recall('baking bread oven temperature', { k: 3 });
    expect(results).toHaveLength(3);
    await t.mem.flush();
    const after = await t.mem.get(stored[0]!.id);
    expect(after!.access.count).toBe(before!.access.count + 1);
    expect(after!.retention.reviews).toBe(before!.retention.reviews + 1);
    const links = await t.mem.store.allLinks('default');
    expect(links.length).toBe(3);
    expect(links.every((l) => l.weight > 0 && l.weight <= 1)).toBe(true);
  });

  it('loses no access when recalls pile up before the background queue drains', async () => {
    const stored = await t.mem.rememberMany(kitchen.map((content) => ({ content })));
    await Promise.all([1, 2, 3].map(() => t.mem.recall('baking bread oven temperature', { k: 3 })));
    await t.mem.flush();
    const after = await t.mem.get(stored[0]!.id);
    expect(after!.access.count).toBe(4);
    expect(after!.access.recent).toHaveLength(4);
    const links = await t.mem.store.allLinks('default');
    // Three co-recalls of the same three memories: each link strengthened three times (rate 0.1).
    for (const l of links) expect(l.weight).toBeCloseTo(1 - 0.9 ** 3, 10);
  });

  it('gates Hebbian strengthening by outcome', async () => {
    const stored = await t.mem.rememberMany(kitchen.map((content) => ({ content })));
    const ids = stored.map((s) => s.id);
    await t.mem.reinforce({ ids, outcome: 1 });
    const good = await t.mem.store.allLinks('default');
    await t.mem.reinforce({ ids, outcome: -1 });
    const bad = await t.mem.store.allLinks('default');
    expect(good.every((l) => l.weight > 0)).toBe(true);
    const weight = (ls: typeof good, a: string, b: string) => ls.find((l) => (l.a === a && l.b === b) || (l.a === b && l.b === a))!.weight;
    expect(weight(bad, ids[0]!, ids[1]!)).toBeLessThan(weight(good, ids[0]!, ids[1]!));
  });

  it('primes temporal neighbours within a session (contiguity)', async () => {
    const turns = [
      'We talked about the hiking trip to the mountains.',
      'Alex said the trail starts near the old mill.',
      'Then we discussed what food to pack for lunch.',
      'Somebody mentioned the weather forecast for Saturday.',
    ];
    const stored = await t.mem.rememberMany(turns.map((content) => ({ content, session: 's1' })));
    expect(stored.map((s) => s.seq)).toEqual([0, 1, 2, 3]);
    await t.mem.rememberMany([{ content: 'The old mill was converted into a library.' }]);
    const results = await t.mem.recall('hiking trip mountains', { k: 5, recordAccess: false });
    const next = results.find((r) => r.id === stored[1]!.id)!;
    expect(next.explanation.multipliers.contiguity).toBeGreaterThan(1);
    const far = results.find((r) => r.content.includes('library'));
    expect(far?.explanation.multipliers.contiguity ?? 1).toBe(1);
  });

  it('keeps a 7±2 working memory per session and reports what it displaced', async () => {
    const displaced = [];
    for (let i = 0; i < 8; i++) {
      const r = await t.mem.remember({ content: `Step ${i} of the assembly instructions for the shelf.`, session: 'wm' });
      displaced.push(...r.displaced);
    }
    expect(t.mem.workingMemory('wm')).toHaveLength(7);
    expect(displaced).toHaveLength(1);
    expect(t.mem.workingMemory('other')).toHaveLength(0);
  });
});

describe('persistence and partitions', () => {
  it('reopening restores memories, links, sessions and triples', async () => {
    const stored = await t.mem.rememberMany(kitchen.map((content) => ({ content, session: 'bake' })));
    await t.mem.reinforce({ ids: stored.map((s) => s.id), outcome: 1 });
    await t.mem.addTriples([{ subject: 'sourdough', predicate: 'needs', object: 'starter', memoryId: stored[0]!.id }]);
    await t.reopen();
    expect(await t.mem.store.countMemories('default')).toBe(3);
    expect((await t.mem.get(stored[2]!.id))!.content).toBe(kitchen[2]);
    expect(await t.mem.store.allLinks('default')).toHaveLength(3);
    expect(await t.mem.triples({ subject: 'Sourdough' })).toHaveLength(1);
    const next = await t.mem.remember({ content: 'The second loaf came out perfectly.', session: 'bake' });
    expect(next.seq).toBe(3);
    const results = await t.mem.recall('burned crust', { k: 1 });
    expect(results[0]!.id).toBe(stored[1]!.id);
  });

  it('never crosses namespaces in recall, links or deletion', async () => {
    const a = await t.mem.rememberMany(kitchen.map((content) => ({ content, namespace: 'alice' })));
    const b = await t.mem.rememberMany(kitchen.map((content) => ({ content, namespace: 'bob' })));
    const ra = await t.mem.recall('bread', { namespace: 'alice', k: 10 });
    expect(ra.map((r) => r.memory.namespace)).toEqual(ra.map(() => 'alice'));
    expect(ra.every((r) => a.some((x) => x.id === r.id))).toBe(true);
    // A link request naming another namespace's memory is refused by the store.
    await t.mem.store.upsertLinks('alice', [{ a: a[0]!.id, b: b[0]!.id, weight: 0.9, updatedAt: Date.now() }]);
    expect(await t.mem.store.allLinks('alice')).toHaveLength(0);
    expect(await t.mem.forget(b[0]!.id, { namespace: 'alice' })).toBe(false);
    expect(await t.mem.get(b[0]!.id, 'bob')).not.toBeNull();
    expect(await t.mem.get(a[0]!.id, 'bob')).toBeNull();
    expect(await t.mem.forgetNamespace('alice')).toBe(3);
    expect(await t.mem.store.countMemories('bob')).toBe(3);
    expect(await t.mem.recall('bread', { namespace: 'alice' })).toEqual([]);
  });
});

describe('deletion is complete', () => {
  it('forget(id) leaves no node, embedding, index entry, link, mention or triple', async () => {
    const stored = await t.mem.rememberMany([
      { content: 'The zygomorphic orchid bloomed in the greenhouse.', session: 'garden', entities: ['orchid'] },
      { content: 'Watering the ferns every second day keeps them green.', session: 'garden' },
      { content: 'The greenhouse door needs a new hinge.', session: 'garden' },
    ]);
    const [target, middle, last] = stored.map((s) => s.id) as [string, string, string];
    const embedding = (await t.mem.store.getEmbeddings('default', [middle])).get(middle)!;
    await t.mem.reinforce({ ids: [target, middle, last], outcome: 1 });
    await t.mem.addTriples([{ subject: 'fern', predicate: 'needs', object: 'water', memoryId: middle }]);

    expect(await t.mem.forget(middle)).toBe(true);

    expect(await t.mem.get(middle)).toBeNull();
    expect((await t.mem.store.getEmbeddings('default', [middle])).size).toBe(0);
    expect((await t.mem.store.vectorSearch('default', embedding, 10)).map((h) => h.id)).not.toContain(middle);
    expect(await t.mem.store.textSearch('default', 'ferns watering', 10)).toEqual([]);
    const links = await t.mem.store.allLinks('default');
    expect(links.some((l) => l.a === middle || l.b === middle)).toBe(false);
    expect(links).toHaveLength(1);
    expect(await t.mem.triples({ subject: 'fern' })).toEqual([]);
    expect((await t.mem.store.entities('default')).map((e) => e.name)).toEqual(['orchid']);
    // The session chain bridges the gap: the first turn still primes the last.
    const neighbours = await t.mem.store.sessionNeighbours('default', [target], 1);
    expect(neighbours).toEqual([{ from: target, id: last, lag: 1 }]);
    expect(await t.mem.store.countMemories('default')).toBe(2);
  });

  it('forgetNamespace removes every memory, entity, triple, session and count of the namespace', async () => {
    await t.mem.rememberMany(kitchen.map((content) => ({ content, namespace: 'gone', session: 's', entities: ['bread'] })));
    await t.mem.addTriples([{ subject: 'bread', predicate: 'made_of', object: 'flour' }], 'gone');
    await t.mem.remember({ content: 'Unrelated memory that must stay.', namespace: 'kept' });
    expect(await t.mem.forgetNamespace('gone')).toBe(3);
    expect(await t.mem.store.scanMemories('gone', null, 100)).toEqual([]);
    expect(await t.mem.store.entities('gone')).toEqual([]);
    expect(await t.mem.triples({}, 'gone')).toEqual([]);
    expect(await t.mem.store.namespaces()).toEqual(['kept']);
    const next = await t.mem.remember({ content: 'A new start.', namespace: 'gone', session: 's' });
    expect(next.seq).toBe(0);
  });
});

describe('bad input', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['empty content', { content: '   ' }, /content: must not be empty/],
    ['oversized content', { content: 'x'.repeat(40_000) }, /content: at most/],
    ['NaN importance', { content: 'ok', importance: Number.NaN }, /importance/],
    ['importance out of range', { content: 'ok', importance: 1.5 }, /importance/],
    ['valence out of range', { content: 'ok', valence: -2 }, /valence/],
    ['namespace characters', { content: 'ok', namespace: 'a b/c' }, /namespace/],
    ['wrong embedding dims', { content: 'ok', embedding: [0.1, 0.2, 0.3] }, /embedding: expected 100 dimensions/],
    ['unknown field', { content: 'ok', colour: 'red' }, /colour/],
  ];
  it.each(cases)('rejects %s with the field named and stores nothing', async (_label, input, message) => {
    await t.mem.remember({ content: 'A memory that was already there.' });
    const batch = [{ content: 'valid item in the same batch' }, input];
    await expect(t.mem.rememberMany(batch as never)).rejects.toThrow(message);
    await expect(t.mem.rememberMany(batch as never)).rejects.toBeInstanceOf(InsulaValidationError);
    expect(await t.mem.store.countMemories('default')).toBe(1);
    expect((await t.mem.recall('memory already there', { k: 5 }))[0]!.content).toBe('A memory that was already there.');
  });

  it('rejects bad recall options and empty queries', async () => {
    await expect(t.mem.recall('')).rejects.toThrow(/query/);
    await expect(t.mem.recall('x', { k: 0 })).rejects.toThrow(/k/);
    await expect(t.mem.recall('x', { namespace: '../etc' })).rejects.toThrow(/namespace/);
  });
});

describe('recall with the query embedding given', () => {
  it('ranks exactly as recall that embeds the query itself, and refuses a vector of the wrong size', async () => {
    await t.mem.rememberMany([
      { content: 'The staging database is reset every night at 2am.' },
      { content: 'Deploys to production happen on Tuesdays.' },
      { content: 'Alice prefers tea over coffee.' },
    ]);
    const query = 'when is the staging database reset?';
    const [vector] = await t.mem.embedder.embed([query]);
    const options = { recordAccess: false, regulate: false, now: 1_000 };
    const plain = await t.mem.recall(query, options);
    const given = await t.mem.recall(query, { ...options, queryEmbedding: Float32Array.from(vector!) });
    // The given vector is scaled to unit length again, which moves scores in the ninth decimal.
    expect(given.map((r) => r.id)).toEqual(plain.map((r) => r.id));
    given.forEach((r, i) => expect(r.score).toBeCloseTo(plain[i]!.score, 6));
    await expect(t.mem.recall(query, { queryEmbedding: new Float32Array(3) })).rejects.toThrow(InsulaValidationError);
    await expect(t.mem.recall(query, { queryEmbedding: new Float32Array(3) })).rejects.toThrow(/queryEmbedding/);
  });
});
