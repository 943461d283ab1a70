import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Insula } from '../src/insula.js';
import { createMcpServer } from '../src/mcp/server.js';
import { openTestInsula, tempDir } from './helpers.js';

let cleanup: () => void;
let mem: Insula;
let client: Client;

beforeEach(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  mem = await openTestInsula(join(t.dir, 'db.kuzu'));
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await createMcpServer(mem).connect(serverSide);
  client = new Client({ name: 'test', version: '0' });
  await client.connect(clientSide);
});

afterEach(async () => {
  await client.close();
  await mem.close();
  cleanup();
});

const payload = (r: Awaited<ReturnType<Client['callTool']>>) => (r.structuredContent as { result: unknown }).result;

describe('MCP server', () => {
  it('lists the memory tools with JSON schemas', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['add_triples', 'consolidate', 'forget', 'forget_namespace', 'graph_health', 'recall', 'reinforce', 'remember']);
    const remember = tools.find((t) => t.name === 'remember')!;
    expect(remember.inputSchema.required).toEqual(['content']);
  });

  it('remembers, recalls with explanations, reinforces and forgets through a real client', async () => {
    const a = payload(await client.callTool({ name: 'remember', arguments: { content: 'The staging database password rotates every Monday.', namespace: 'ops' } })) as { id: string };
    await client.callTool({ name: 'remember', arguments: { content: 'Lunch menu: lentil soup and bread.', namespace: 'ops' } });
    const recalled = payload(await client.callTool({ name: 'recall', arguments: { query: 'when does the database password rotate', namespace: 'ops', k: 1 } })) as Array<{
      id: string;
      explanation: { relevance: number };
    }>;
    expect(recalled[0]!.id).toBe(a.id);
    expect(recalled[0]!.explanation.relevance).toBeGreaterThan(0);
    expect(payload(await client.callTool({ name: 'forget', arguments: { id: a.id, namespace: 'ops' } }))).toEqual({ deleted: true });
    expect(await mem.get(a.id, 'ops')).toBeNull();
  });

  it('returns a tool error naming the bad field and stores nothing', async () => {
    const r = await client.callTool({ name: 'remember', arguments: { content: 'x', importance: 7 } });
    expect(r.isError).toBe(true);
    expect(JSON.stringify(r.content)).toMatch(/importance/);
    expect(await mem.store.countMemories('default')).toBe(0);
  });
});
