import { request } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startMcpServer, type McpHttpOptions, type RunningMcpServer } from '../src/mcp/server.js';
import { useTestInsula } from './helpers.js';

const ctx = useTestInsula();
const TOKEN = 'test-token-0123456789abcdef';
let running: RunningMcpServer | undefined;
const clients: Client[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await running?.close();
  running = undefined;
});

async function serve(http: McpHttpOptions = { port: 0 }): Promise<string> {
  running = await startMcpServer(ctx.mem, { http });
  return running.url!;
}

async function connect(url: string, headers: Record<string, string> = {}): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  const client = new Client({ name: 'http-test', version: '0' });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
});

/** A raw request, with full control of Host and the other headers fetch would set itself. */
function raw(url: string, headers: Record<string, string>, body = INITIALIZE): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('MCP over Streamable HTTP', () => {
  it('gives each client its own session over one Insula, and ends a session on DELETE', async () => {
    const url = await serve();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const a = await connect(url);
    const b = await connect(url);
    expect(a.transport.sessionId).toBeTruthy();
    expect(b.transport.sessionId).toBeTruthy();
    expect(a.transport.sessionId).not.toBe(b.transport.sessionId);

    const stored = await a.client.callTool({ name: 'store', arguments: { content: 'The VPN certificate expires in March.', namespace: 'it' } });
    const recalled = await b.client.callTool({ name: 'recall', arguments: { query: 'when does the VPN certificate expire', namespace: 'it' } });
    expect((recalled.structuredContent as { results: Array<{ id: string }> }).results[0]!.id).toBe((stored.structuredContent as { id: string }).id);

    const progress: number[] = [];
    await a.client.callTool({ name: 'consolidate', arguments: { namespace: 'it' } }, undefined, { onprogress: (p) => progress.push(p.progress) });
    expect(progress.length).toBeGreaterThan(0);

    const ended = a.transport.sessionId!;
    await a.transport.terminateSession();
    const after = await raw(url, { host: new URL(url).host, 'mcp-session-id': ended, 'mcp-protocol-version': '2025-06-18' }, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }));
    expect(after.status).toBe(404);
    expect((await b.client.listTools()).tools.length).toBeGreaterThan(0);
  });

  it('sends resources/updated to the subscribed session when another session signals or forgets the namespace', async () => {
    const url = await serve();
    const watcher = await connect(url);
    const actor = await connect(url);
    const updates: string[] = [];
    watcher.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.push(n.params.uri));
    await watcher.client.subscribeResource({ uri: 'insula://state/ops' });
    await actor.client.callTool({ name: 'signal', arguments: { source: 'host', valence: -0.9, arousal: 1, namespace: 'ops' } });
    await expect.poll(() => updates, { timeout: 5000 }).toEqual(['insula://state/ops']);
    const events = async () => JSON.parse(((await watcher.client.readResource({ uri: 'insula://state/ops' })).contents[0] as { text: string }).text).events as number;
    expect(await events()).toBe(1);

    // Deleting the namespace deletes its hub state: the subscriber hears of it and reads a fresh state.
    await actor.client.callTool({ name: 'forget_namespace', arguments: { namespace: 'ops' } });
    await expect.poll(() => updates, { timeout: 5000 }).toEqual(['insula://state/ops', 'insula://state/ops']);
    expect(await events()).toBe(0);
  });

  it('lets an SDK client in only with the bearer token when one is set', async () => {
    // The raw 401 cases (missing, wrong, other schemes) are in test/reliability/mcp-http-raw.test.ts.
    const url = await serve({ port: 0, token: TOKEN });
    await expect(connect(url)).rejects.toThrow();
    await expect(connect(url, { authorization: `Bearer ${TOKEN}x` })).rejects.toThrow();
    const { client } = await connect(url, { authorization: `Bearer ${TOKEN}` });
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('store');
  });

  it('refuses to bind a non-loopback address without a token, and guards Host there too', async () => {
    await expect(startMcpServer(ctx.mem, { http: { port: 0, host: '0.0.0.0' } })).rejects.toThrow(/token: required when binding to a non-loopback host/);
    await expect(startMcpServer(ctx.mem, { http: { port: 0, host: '0.0.0.0', token: 'short' } })).rejects.toThrow(/token: at least 16 characters/);
    const url = await serve({ port: 0, host: '0.0.0.0', token: TOKEN });
    const port = new URL(url).port;
    const local = url.replace('0.0.0.0', '127.0.0.1');
    expect((await raw(local, { host: `127.0.0.1:${port}`, authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await raw(local, { host: `evil.example:${port}`, authorization: `Bearer ${TOKEN}` })).status).toBe(403);
  });
});
