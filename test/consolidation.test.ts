import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { describe, expect, it } from 'vitest';
import type { ConsolidationProgress } from '../src/memory/consolidation.js';
import { useTestInsula } from './helpers.js';

const t = useTestInsula();
const DAY = 86_400_000;

describe('consolidation', () => {
  it('forgets faded memories unless pinned, reports progress, and leaves other namespaces alone', async () => {
    const now = Date.now();
    const [faded, pinned, important] = await t.mem.rememberMany([
      { content: 'Parked the car on level three of the garage.', importance: 0 },
      { content: 'My passport number is stored in the safe.', importance: 0, pinned: true },
      { content: 'The house alarm code changed to the new one.', importance: 1 },
    ]);
    await t.mem.remember({ content: 'Parked the car on level three of the garage.', importance: 0, namespace: 'other' });
    const progress: ConsolidationProgress[] = [];
    const [report] = await t.mem.consolidate({ namespace: 'default', now: now + 400 * DAY, onProgress: (p) => progress.push(p) });
    expect(report!.scanned).toBe(3);
    expect(report!.forgotten).toBe(1);
    expect(await t.mem.get(faded!.id)).toBeNull();
    expect(await t.mem.get(pinned!.id)).not.toBeNull();
    expect(await t.mem.get(important!.id)).not.toBeNull();
    expect(await t.mem.store.countMemories('other')).toBe(1);
    expect(progress.map((p) => p.phase)).toEqual(expect.arrayContaining(['scan', 'forget', 'replay', 'links', 'dedup']));
    expect(progress.every((p) => p.done <= p.total)).toBe(true);
  });

  it('replays salient memories: their slow traces gain weight and retention later is higher', async () => {
    const now = Date.now();
    const [salient, dull] = await t.mem.rememberMany([
      { content: 'The production outage was caused by an expired certificate.', importance: 1, valence: -0.9 },
      { content: 'The office plant was watered on Monday.', importance: 0.1 },
    ]);
    const before = (await t.mem.get(salient!.id))!.retention;
    const [report] = await t.mem.consolidate({ namespace: 'default', now: now + DAY, replay: 1 });
    expect(report!.replayed).toBe(1);
    const after = (await t.mem.get(salient!.id))!.retention;
    expect(after.traces.at(-1)!.weight).toBeGreaterThan(before.traces.at(-1)!.weight);
    expect(after.reviews).toBe(before.reviews + 1);
    const dullAfter = (await t.mem.get(dull!.id))!.retention;
    expect(dullAfter.reviews).toBe(0);
  });

  it('decays, downscales and prunes Hebbian links', async () => {
    const now = Date.now();
    const stored = await t.mem.rememberMany([
      { content: 'Alpha project kickoff meeting.' },
      { content: 'Alpha project budget approved.' },
      { content: 'Alpha project retrospective.' },
    ]);
    const ids = stored.map((s) => s.id);
    await t.mem.store.upsertLinks('default', [
      { a: ids[0]!, b: ids[1]!, weight: 0.8, updatedAt: now },
      { a: ids[1]!, b: ids[2]!, weight: 0.055, updatedAt: now },
    ]);
    const [report] = await t.mem.consolidate({ namespace: 'default', now: now + DAY, replay: 0, downscaleFactor: 0.9 });
    const links = await t.mem.store.allLinks('default');
    expect(report!.linksPruned).toBe(1);
    expect(links).toHaveLength(1);
    expect(links[0]!.weight).toBeLessThan(0.8 * 0.9);
    expect(links[0]!.weight).toBeGreaterThan(0.6);
  });

  it('merges near-duplicates into the older memory, keeping accesses and links', async () => {
    const now = Date.now();
    const [original] = await t.mem.rememberMany([{ content: 'Remember to renew the car insurance before March.', importance: 0.4 }], now);
    const [other] = await t.mem.rememberMany([{ content: 'Dinner with Sam on Thursday.' }], now + 1000);
    const [duplicate] = await t.mem.rememberMany([{ content: 'Remember to renew the car insurance before March!', importance: 0.9 }], now + 2000);
    await t.mem.store.upsertLinks('default', [{ a: duplicate!.id, b: other!.id, weight: 0.5, updatedAt: now }]);
    const [report] = await t.mem.consolidate({ namespace: 'default', now: now + 5000, replay: 0 });
    expect(report!.merged).toBe(1);
    expect(await t.mem.get(duplicate!.id)).toBeNull();
    const survivor = (await t.mem.get(original!.id))!;
    expect(survivor.importance).toBe(0.9);
    const links = await t.mem.store.allLinks('default');
    expect(links.map((l) => [l.a, l.b].sort())).toEqual([[original!.id, other!.id].sort()]);
    expect(await t.mem.store.countMemories('default')).toBe(2);
  });

  it('never merges a pinned memory away: the pinned one survives, two pinned both stay', async () => {
    const now = Date.now();
    const [older] = await t.mem.rememberMany([{ content: 'The backup key is in the blue safe.' }], now);
    const [pinned] = await t.mem.rememberMany([{ content: 'The backup key is in the blue safe!', pinned: true }], now + 1000);
    const [report] = await t.mem.consolidate({ namespace: 'default', now: now + 5000, replay: 0 });
    expect(report!.merged).toBe(1);
    expect(await t.mem.get(older!.id)).toBeNull();
    expect(await t.mem.get(pinned!.id)).not.toBeNull();
    await t.mem.rememberMany([{ content: 'The backup key is in the blue safe.', pinned: true }], now + 6000);
    const [again] = await t.mem.consolidate({ namespace: 'default', now: now + 9000, replay: 0 });
    expect(again!.merged).toBe(0);
    expect(await t.mem.store.countMemories('default')).toBe(2);
  });

  it('synthesises insights with a LangChain chat model and exports QA pairs as JSONL', async () => {
    const now = Date.now();
    await t.mem.rememberMany(
      [
        'Deploy failed because the migration ran before the schema check.',
        'Deploy failed again: migrations must wait for the schema check.',
        'After reordering, the deploy with migrations succeeded.',
      ].map((content) => ({ content, domain: 'deploy', importance: 0.9 })),
    );
    await t.mem.remember({
      content: 'Q: how do I restart the worker? A: run systemctl restart worker',
      metadata: { question: 'How do I restart the worker?', answer: 'Run systemctl restart worker.', outcome: 1 },
    });
    const model = new FakeListChatModel({ responses: ['{"insight": "Run the schema check before database migrations when deploying."}'] });
    const qaPath = join(t.dir, 'qa.jsonl');
    const [report] = await t.mem.consolidate({ namespace: 'default', now, chatModel: model, exportQaPath: qaPath });
    expect(report!.insights).toEqual(['Run the schema check before database migrations when deploying.']);
    const results = await t.mem.recall('schema check before migrations', { k: 5 });
    const insight = results.find((r) => r.memory.source === 'consolidation:insight')!;
    expect(insight.memory.type).toBe('semantic');
    expect((insight.memory.metadata!.derivedFrom as string[]).length).toBe(3);
    const lines = readFileSync(qaPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([expect.objectContaining({ question: 'How do I restart the worker?', answer: 'Run systemctl restart worker.', outcome: 1 })]);
  });
});

describe('knowledge graph', () => {
  it('keeps fact history with validity time and reports contradictions', async () => {
    const t0 = Date.parse('2024-01-01T00:00:00Z');
    const t1 = Date.parse('2024-06-01T00:00:00Z');
    await t.mem.addTriples([{ subject: 'Ana', predicate: 'lives_in', object: 'Porto', validFrom: t0 }]);
    await t.mem.addTriples([{ subject: 'Ana', predicate: 'lives_in', object: 'Lisbon', validFrom: t1, supersede: true }]);
    const history = await t.mem.triples({ subject: 'ana', predicate: 'lives_in' });
    expect(history.map((t) => [t.object, t.validTo])).toEqual([
      ['Porto', t1],
      ['Lisbon', null],
    ]);
    expect((await t.mem.graphHealth('default', t1 + 1)).contradictions).toEqual([]);
    await t.mem.addTriples([{ subject: 'Ana', predicate: 'lives_in', object: 'Braga', validFrom: t1 }]);
    expect((await t.mem.graphHealth('default', t1 + 1)).contradictions).toEqual([{ subject: 'Ana', predicate: 'lives_in', objects: ['Braga', 'Lisbon'] }]);
  });

  it('detects communities and measures fragmentation', async () => {
    await t.mem.addTriples([
      { subject: 'Ana', predicate: 'works_at', object: 'Acme' },
      { subject: 'Ben', predicate: 'works_at', object: 'Acme' },
      { subject: 'Ana', predicate: 'knows', object: 'Ben' },
      { subject: 'Kai', predicate: 'plays', object: 'Chess' },
      { subject: 'Lee', predicate: 'plays', object: 'Chess' },
      { subject: 'Kai', predicate: 'knows', object: 'Lee' },
      { subject: 'Zed', predicate: 'owns', object: 'Boat' },
    ]);
    const communities = await t.mem.communities();
    expect(communities.get('Ana')).toBe(communities.get('Acme'));
    expect(communities.get('Ana')).not.toBe(communities.get('Chess'));
    const health = await t.mem.graphHealth();
    expect(health.entities).toBe(8);
    expect(health.components).toBe(3);
    expect(health.isolatedCommunities).toBe(1);
    expect(health.fragmentation).toBeCloseTo(3 / 8);
    const entities = await t.mem.store.entities('default');
    expect(entities.find((e) => e.name === 'Kai')!.community).toBe(communities.get('Kai'));
  });

  it('extracts triples with an optional chat model in the background and links entities to the memory', async () => {
    const model = new FakeListChatModel({
      responses: ['Here you go: {"triples": [{"subject": "Maya", "predicate": "adopted", "object": "a greyhound"}]}'],
    });
    await t.reopen({ extractionModel: model });
    const { id } = await t.mem.remember({ content: 'Maya adopted a retired greyhound last weekend.' });
    await t.mem.flush();
    const triples = await t.mem.triples({ subject: 'Maya' });
    expect(triples).toEqual([expect.objectContaining({ predicate: 'adopted', object: 'a greyhound', memoryId: id })]);
    expect(await t.mem.store.memoriesMentioning('default', ['maya'])).toEqual([id]);
  });

  it('contains a failing extraction model: the write succeeds and the failure is counted', async () => {
    const errors: string[] = [];
    const model = new FakeListChatModel({ responses: ['not json at all'] });
    await t.reopen({ extractionModel: model, onError: (e, where) => errors.push(`${where}: ${e.message}`) });
    const { id } = await t.mem.remember({ content: 'A memory whose extraction fails.' });
    await t.mem.flush();
    expect(await t.mem.get(id)).not.toBeNull();
    expect(t.mem.backgroundStatus.failures).toBe(1);
    expect(errors[0]).toMatch(/triple-extraction/);
  });
});
