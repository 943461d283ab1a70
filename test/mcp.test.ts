import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMcpServer } from '../src/mcp/server.js';
import { useTestInsula } from './helpers.js';

const ctx = useTestInsula();
let client: Client;

beforeEach(async () => {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await createMcpServer(ctx.mem).connect(serverSide);
  client = new Client({ name: 'test', version: '0' });
  await client.connect(clientSide);
});

afterEach(async () => {
  await client.close();
});

type Structured = Record<string, unknown>;

async function call(name: string, args: Record<string, unknown>): Promise<Structured> {
  const r = await client.callTool({ name, arguments: args });
  if (r.isError) throw new Error(`tool ${name} failed: ${JSON.stringify(r.content)}`);
  // The text block carries the same JSON, for clients without structured content.
  expect(JSON.parse((r.content as Array<{ text: string }>)[0]!.text)).toEqual(r.structuredContent);
  return r.structuredContent as Structured;
}

async function callError(name: string, args: Record<string, unknown>): Promise<string> {
  const r = await client.callTool({ name, arguments: args });
  expect(r.isError).toBe(true);
  return (r.content as Array<{ text: string }>).map((c) => c.text).join('\n');
}

const TOOLS = [
  'add_triples',
  'consolidate',
  'feedback',
  'forget',
  'forget_namespace',
  'graph_health',
  'interoceptive_state',
  'recall',
  'regulate',
  'reinforce',
  'signal',
  'stats',
  'store',
];

describe('MCP tools', () => {
  it('lists every tool with JSON input and output schemas', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    for (const t of tools) expect(t.outputSchema?.type, t.name).toBe('object');
    const store = tools.find((t) => t.name === 'store')!;
    expect(store.inputSchema.required).toEqual(['content']);
    // The client sees insula's real limits.
    expect(store.inputSchema.properties!.importance).toMatchObject({ minimum: 0, maximum: 1 });
    expect(store.inputSchema.properties!.content).toMatchObject({ maxLength: 32768 });
  });

  it('stores, recalls with explanations, reads the memory resource and forgets', async () => {
    const a = await call('store', { content: 'The staging database password rotates every Monday.', namespace: 'ops', session: 's1', occurredAt: '2026-01-05T09:00:00Z' });
    await call('store', { content: 'Lunch menu: lentil soup and bread.', namespace: 'ops', session: 's1' });
    expect(a).toMatchObject({ namespace: 'ops', seq: 0, displaced: [], uri: `insula://memory/ops/${a.id as string}` });

    const recalled = (await call('recall', { query: 'when does the database password rotate', namespace: 'ops', k: 1 })) as {
      results: Array<{ id: string; occurredAt: string; explanation: { relevance: number } }>;
      confidence: { confidence: number } | null;
    };
    expect(recalled.results).toHaveLength(1);
    expect(recalled.results[0]!.id).toBe(a.id);
    expect(recalled.results[0]!.occurredAt).toBe('2026-01-05T09:00:00.000Z');
    expect(recalled.results[0]!.explanation.relevance).toBeGreaterThan(0);
    expect(recalled.confidence!.confidence).toBeGreaterThan(0);

    const resource = await client.readResource({ uri: a.uri as string });
    const record = JSON.parse((resource.contents[0] as { text: string }).text) as Structured;
    expect(record).toMatchObject({ id: a.id, namespace: 'ops', content: 'The staging database password rotates every Monday.', session: 's1' });
    // The memory lives in its namespace only.
    await expect(client.readResource({ uri: `insula://memory/other/${a.id as string}` })).rejects.toThrow(/not found/);

    expect(await call('forget', { id: a.id, namespace: 'ops' })).toEqual({ deleted: true });
    expect(await ctx.mem.get(a.id as string, 'ops')).toBeNull();
    expect(await call('forget', { id: a.id, namespace: 'ops' })).toEqual({ deleted: false });
  });

  it('rejects bad input with an error naming the field and changes nothing', async () => {
    await call('store', { content: 'Kept.', namespace: 'ns' });
    expect(await callError('store', { content: 'x', importance: 7, namespace: 'ns' })).toMatch(/importance/);
    expect(await callError('store', { content: 'x'.repeat(40_000), namespace: 'ns' })).toMatch(/content: at most 32768 characters/);
    expect(await callError('store', { content: 'x', namespace: 'bad namespace!' })).toMatch(/namespace/);
    expect(await callError('store', { content: 'x', namespace: 'ns', embedding: [1, 2] })).toMatch(/embedding/);
    expect(await callError('recall', { query: '   ' })).toMatch(/query/);
    expect(await callError('signal', { source: 'emotion', valence: 3, namespace: 'ns' })).toMatch(/valence/);
    // 51 ids pass the hub's own limit (100) but not reinforcement's (50): rejected before the hub changes.
    const ids = Array.from({ length: 51 }, (_, i) => `m${i}`);
    expect(await callError('feedback', { outcome: true, memoryIds: ids, namespace: 'ns' })).toMatch(/memoryIds/);
    expect(await callError('forget_namespace', {})).toMatch(/namespace/);
    expect(await callError('add_triples', { triples: [{ subject: 'a', predicate: 'p' }], namespace: 'ns' })).toMatch(/object/);
    expect(await ctx.mem.store.countMemories('ns')).toBe(1);
    expect((await ctx.mem.state('ns')).events).toBe(0);
    expect(await ctx.mem.triples({}, 'ns')).toEqual([]);
  });

  it('feeds signals and feedback to the hub and reports state, regulation and stats', async () => {
    const m = await call('store', { content: 'Deploy with blue-green switching.', namespace: 'team', domain: 'deploy' });
    const signal = (await call('signal', { source: 'host', domain: 'deploy', valence: -0.8, arousal: 0.9, namespace: 'team' })) as { domainState: { anomaly: number } };
    expect(signal).toMatchObject({ namespace: 'team', domain: 'deploy', events: 1 });
    expect(signal.domainState.anomaly).toBeCloseTo(0.9);

    for (let i = 0; i < 3; i++) {
      const effect = await call('feedback', { outcome: -1, domain: 'deploy', strategy: 'blue-green', memoryIds: [m.id], situation: 'deploying the API', namespace: 'team' });
      expect(effect.reinforced).toBe(1);
    }
    const state = (await call('interoceptive_state', { namespace: 'team' })) as { domains: Record<string, { strategies: Record<string, { successRate: number }> }>; somaticMarkers: number };
    expect(state.domains.deploy!.strategies['blue-green']!.successRate).toBeLessThan(0.5);
    expect(state.somaticMarkers).toBe(1);
    // Failures lowered the memory's importance (0.5 − 3 × 0.05).
    expect((await ctx.mem.get(m.id as string, 'team'))!.importance).toBeCloseTo(0.35);

    const { actions } = (await call('regulate', { namespace: 'team' })) as { actions: Array<{ kind: string }> };
    expect(actions.map((a) => a.kind)).toContain('generation');

    await call('add_triples', { triples: [{ subject: 'api', predicate: 'deployed_with', object: 'blue-green', validFrom: 0 }], namespace: 'team' });
    const stats = (await call('stats', {})) as { embedder: string; namespaces: Array<Structured> };
    expect(stats.embedder).toBe(ctx.mem.embedder.name);
    expect(stats.namespaces).toEqual([{ namespace: 'team', memories: 1, links: 0, entities: 2, triples: 1, hub: { events: 4, domains: 1, somaticMarkers: 1 } }]);
  });

  it('sends monotonic progress notifications during consolidate when asked', async () => {
    for (let i = 0; i < 3; i++) await call('store', { content: `Fact number ${i} about the cluster.`, namespace: 'c', importance: 0.9 });
    const progress: Array<{ progress: number; message?: string }> = [];
    const r = await client.callTool({ name: 'consolidate', arguments: { namespace: 'c' } }, undefined, { onprogress: (p) => progress.push(p) });
    expect((r.structuredContent as { reports: Array<{ namespace: string; scanned: number }> }).reports).toMatchObject([{ namespace: 'c', scanned: 3 }]);
    expect(progress.length).toBeGreaterThanOrEqual(4);
    expect(progress.map((p) => p.progress)).toEqual(progress.map((_, i) => i + 1));
    expect(progress[0]!.message).toBe('c: scan 3/3');
  });

  it('notifies a subscriber of a state resource after the namespace state changes, coalesced, until it unsubscribes', async () => {
    const updates: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.push(n.params.uri));
    const templates = await client.listResourceTemplates();
    expect(templates.resourceTemplates.map((t) => t.uriTemplate).sort()).toEqual(['insula://memory/{namespace}/{id}', 'insula://state/{namespace}']);

    await client.subscribeResource({ uri: 'insula://state/team' });
    // A burst of changes 10 ms apart: one notification per 100 ms window, not one per change.
    for (let i = 0; i < 5; i++) {
      await call('signal', { source: 'emotion', valence: -0.5, namespace: 'team' });
      await new Promise((r) => setTimeout(r, 10));
    }
    await call('signal', { source: 'emotion', valence: -0.5, namespace: 'elsewhere' });
    await expect.poll(() => updates).toContain('insula://state/team');
    await new Promise((r) => setTimeout(r, 250));
    expect(new Set(updates)).toEqual(new Set(['insula://state/team']));
    expect(updates.length).toBeLessThanOrEqual(2);
    const heard = updates.length;

    const read = await client.readResource({ uri: 'insula://state/team' });
    expect(JSON.parse((read.contents[0] as { text: string }).text)).toMatchObject({ events: 5 });

    await client.unsubscribeResource({ uri: 'insula://state/team' });
    await call('signal', { source: 'emotion', valence: 0.5, namespace: 'team' });
    await new Promise((r) => setTimeout(r, 250));
    expect(updates).toHaveLength(heard);

    await expect(client.subscribeResource({ uri: 'insula://memory/team/x' })).rejects.toThrow(/only insula:\/\/state/);
    await expect(client.subscribeResource({ uri: 'insula://state/bad%20ns' })).rejects.toThrow(/namespace/);
  });

  it('with-memory prompt puts the hooks block before the query', async () => {
    await call('store', { content: 'Ana prefers morning meetings.', namespace: 'u1' });
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(['with-memory']);
    const prompt = await client.getPrompt({ name: 'with-memory', arguments: { query: 'When should I book the meeting with Ana?', namespace: 'u1', sessionId: 'chat-1' } });
    expect(prompt.messages).toHaveLength(1);
    const text = (prompt.messages[0]!.content as { text: string }).text;
    expect(text).toContain('Ana prefers morning meetings.');
    expect(text.endsWith('\n\nWhen should I book the meeting with Ana?')).toBe(true);
    expect(prompt.description).toBe('1 memory recalled');
    await expect(client.getPrompt({ name: 'with-memory', arguments: { query: 'x', namespace: 'no good' } })).rejects.toThrow(/namespace/);
  });
});
