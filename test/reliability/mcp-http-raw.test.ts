/**
 * The MCP HTTP endpoint under raw requests (node:http, no SDK client): the guard (Host, Origin,
 * token), the body limit, parse errors, routing, session expiry and the session cap — and that
 * nothing a refused request carries reaches a tool.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serveHttp, type McpHttpOptions, type McpHttpServer } from '../../src/mcp/http.js';
import { createMcpServer, startMcpServer, type RunningMcpServer } from '../../src/mcp/server.js';
import { tempDir, useTestInsula } from '../helpers.js';

const ctx = useTestInsula();
const TOKEN = 'raw-token-0123456789abcdef';
const ROOT = join(import.meta.dirname, '..', '..');
let running: RunningMcpServer | McpHttpServer | undefined;

afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function serve(http: McpHttpOptions): Promise<{ url: string; host: string; port: string }> {
  const started = await startMcpServer(ctx.mem, { http });
  running = started;
  const url = new URL(started.url!);
  return { url: url.href, host: url.host, port: url.port };
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

interface Send {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  path?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One raw request; `headers` replace node's defaults (Host included) and the MCP ones set here. */
function send(url: string, { method = 'POST', headers = {}, body, path }: Send = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const target = path ? new URL(path, url) : new URL(url);
    const req = request(
      target,
      { method, headers: { host: new URL(url).host, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18', ...headers } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const rpc = (id: number, method: string, params?: object) => JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
const INITIALIZE = rpc(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } });
const storeCall = (content: string) => rpc(2, 'tools/call', { name: 'store', arguments: { content, namespace: 'raw' } });

/** The JSON-RPC message of a reply, sent as JSON or as the one event of an SSE stream. */
function message(reply: Reply): { error?: { code: number; message: string }; result?: Record<string, unknown> } {
  const data = /^data: (.*)$/m.exec(reply.text)?.[1];
  return JSON.parse(data ?? reply.text);
}

/** Opens a session the way a client does (initialize, then notifications/initialized); returns its id. */
async function open(url: string, headers: Record<string, string> = {}): Promise<string> {
  const init = await send(url, { headers, body: INITIALIZE });
  expect(init.status).toBe(200);
  const id = init.headers['mcp-session-id'] as string;
  const initialized = await send(url, { headers: { ...headers, 'mcp-session-id': id }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  expect(initialized.status).toBe(202);
  return id;
}

const ping = (url: string, session: string, headers: Record<string, string> = {}) => send(url, { headers: { ...headers, 'mcp-session-id': session }, body: rpc(9, 'ping') });

/**
 * Streams a chunked body (no content-length) that never ends, until the server answers or drops the
 * connection. The server must do one of them long before the body would end.
 */
function endlessBody(url: string): Promise<{ status: number | null; text: string; written: number; closed: boolean }> {
  return new Promise((resolve) => {
    let written = 0;
    let status: number | null = null;
    let text = '';
    const req = request(new URL(url), { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' } }, (res) => {
      status = res.statusCode!;
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
    });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    req.write('{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"');
    const pump = () => {
      while (!req.destroyed && req.write(chunk)) written += chunk.length;
      if (!req.destroyed) req.once('drain', pump);
    };
    pump();
    // An error after the answer is the server closing the connection under a body it stopped reading.
    req.on('error', () => undefined);
    req.on('close', () => resolve({ status, text, written, closed: true }));
  });
}

describe('MCP over HTTP, raw requests', () => {
  it('answers 403 to a foreign Host, a foreign Origin and Origin: null, and 200 to this machine and allowed origins', async () => {
    const { url, host, port } = await serve({ port: 0, allowedOrigins: ['https://app.example.com'] });
    const foreign: Array<Record<string, string>> = [{ host: `evil.example:${port}` }, { host: `127.0.0.1.evil.example:${port}` }, { origin: `http://evil.example:${port}` }, { origin: 'null' }];
    for (const headers of foreign) {
      const r = await send(url, { headers, body: INITIALIZE });
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect(message(r).error).toMatchObject({ code: -32000, message: expect.stringMatching(/^Forbidden: (Host|Origin)/) });
    }
    expect((await send(url, { headers: { host: `localhost:${port}`, origin: 'http://localhost:6274' }, body: INITIALIZE })).status).toBe(200);
    expect((await send(url, { headers: { host, origin: 'https://app.example.com' }, body: INITIALIZE })).status).toBe(200);
  });

  it('answers 401 with WWW-Authenticate: Bearer unless the exact token comes as a bearer token', async () => {
    const { url } = await serve({ port: 0, token: TOKEN });
    const sameLength = TOKEN.slice(0, -1) + (TOKEN.endsWith('f') ? 'e' : 'f');
    const wrong = ['', `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Bearer ${sameLength}`, 'Bearer', TOKEN, `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}`, `Bearer ${TOKEN} extra`];
    for (const authorization of wrong) {
      const r = await send(url, { headers: authorization ? { authorization } : {}, body: INITIALIZE });
      expect(r.status, authorization).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer');
      expect(message(r).error?.message).toMatch(/^Unauthorized/);
    }
    // The scheme is case-insensitive (RFC 9110); the token is not.
    expect((await send(url, { headers: { authorization: `bearer ${TOKEN}` }, body: INITIALIZE })).status).toBe(200);
    expect((await send(url, { headers: { authorization: `Bearer ${TOKEN.toUpperCase()}` }, body: INITIALIZE })).status).toBe(401);
  });

  it('lets no refused request reach a tool: the store stays empty until an accepted one', async () => {
    const { url, port } = await serve({ port: 0, token: TOKEN, maxBodyBytes: 4096 });
    const auth = { authorization: `Bearer ${TOKEN}` };
    const session = await open(url, auth);
    const inSession = { ...auth, 'mcp-session-id': session };
    const refused: Array<[Send, number]> = [
      [{ headers: { 'mcp-session-id': session }, body: storeCall('no token') }, 401],
      [{ headers: { ...inSession, authorization: `Bearer ${TOKEN}0` }, body: storeCall('wrong token') }, 401],
      [{ headers: { ...inSession, host: `evil.example:${port}` }, body: storeCall('rebound host') }, 403],
      [{ headers: { ...inSession, origin: 'https://evil.example' }, body: storeCall('foreign page') }, 403],
      [{ headers: inSession, body: storeCall('x'.repeat(5000)) }, 413],
      [{ headers: { ...auth, 'mcp-session-id': 'not-a-session' }, body: storeCall('unknown session') }, 404],
      [{ headers: auth, body: storeCall('no session') }, 400],
      [{ headers: inSession, body: storeCall('broken').slice(0, -2) }, 400],
      [{ headers: inSession, body: storeCall('wrong path'), path: '/mcp/../store' }, 404],
    ];
    for (const [request, status] of refused) expect((await send(url, request)).status, JSON.stringify(request.headers)).toBe(status);
    expect(await ctx.mem.store.countMemories('raw')).toBe(0);

    const accepted = await send(url, { headers: inSession, body: storeCall('The deploy key rotates on Fridays.') });
    expect(accepted.status).toBe(200);
    expect(message(accepted).result).toMatchObject({ structuredContent: { namespace: 'raw' } });
    expect(await ctx.mem.store.countMemories('raw')).toBe(1);
  });

  it('answers 413 to an oversized body, declared or chunked, without reading it to the end, and serves the next request', async () => {
    const { url } = await serve({ port: 0, maxBodyBytes: 4096 });
    const declared = await send(url, { body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'a'.repeat(8192) } }) });
    expect(declared.status).toBe(413);
    expect(message(declared).error).toEqual({ code: -32000, message: 'Payload Too Large: request bodies are limited to 4096 bytes' });

    // The body never ends: only a server that stops reading answers it and closes the connection.
    const endless = await endlessBody(url);
    expect(endless.status).toBe(413);
    expect(endless.text).toContain('Payload Too Large');
    expect(endless.closed).toBe(true);

    expect((await send(url, { body: INITIALIZE })).status).toBe(200);
    expect((await send(url, { body: INITIALIZE.padEnd(4096, ' ') })).status).toBe(200);
  });

  it('answers malformed JSON with 400 and a JSON-RPC parse error, inside a session or not', async () => {
    const { url } = await serve({ port: 0 });
    const session = await open(url);
    const outsideAndInside: Array<Record<string, string>> = [{}, { 'mcp-session-id': session }];
    for (const headers of outsideAndInside) {
      for (const body of ['{"jsonrpc":"2.0",', '', 'not json']) {
        const r = await send(url, { headers, body });
        expect(r.status).toBe(400);
        expect(message(r).error).toEqual({ code: -32700, message: 'Parse error: Invalid JSON' });
      }
    }
    // JSON that is not JSON-RPC is refused by the transport, also as a parse error.
    const notRpc = await send(url, { headers: { 'mcp-session-id': session }, body: '{"hello":"world"}' });
    expect(notRpc.status).toBe(400);
    expect(message(notRpc).error?.code).toBe(-32700);
    expect((await ping(url, session)).status).toBe(200);
  });

  it('routes: 404 off /mcp and for unknown sessions, 400 for GET/DELETE or a non-initialize POST without a session, 405 for other methods', async () => {
    const { url } = await serve({ port: 0 });
    expect((await send(url, { path: '/', body: INITIALIZE })).status).toBe(404);
    expect((await send(url, { path: '/mcp/extra', body: INITIALIZE })).status).toBe(404);
    for (const method of ['GET', 'DELETE']) {
      const r = await send(url, { method });
      expect(r.status, method).toBe(400);
      expect(message(r).error?.message).toMatch(/Mcp-Session-Id header is required/);
    }
    expect((await send(url, { body: rpc(1, 'tools/list') })).status).toBe(400);
    const put = await send(url, { method: 'PUT', body: INITIALIZE });
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, POST, DELETE');
    const unknown = await send(url, { method: 'GET', headers: { 'mcp-session-id': 'f0f0f0f0-0000-4000-8000-000000000000' } });
    expect(unknown.status).toBe(404);
    expect(message(unknown).error).toEqual({ code: -32001, message: 'Session not found' });

    const session = await open(url);
    expect((await send(url, { method: 'DELETE', headers: { 'mcp-session-id': session } })).status).toBe(200);
    expect((await ping(url, session)).status).toBe(404);
  });

  it('refuses an initialize beyond the session cap with 503, and accepts one again after a DELETE', async () => {
    const { url } = await serve({ port: 0, maxSessions: 2 });
    const a = await open(url);
    await open(url);
    const refused = await send(url, { body: INITIALIZE });
    expect(refused.status).toBe(503);
    expect(message(refused).error?.message).toMatch(/2 sessions are open, the most this server allows/);
    // Requests of open sessions still pass.
    expect((await ping(url, a)).status).toBe(200);
    expect((await send(url, { method: 'DELETE', headers: { 'mcp-session-id': a } })).status).toBe(200);
    await open(url);
  });

  it('closes a session idle past the expiry (404 afterwards, McpServer closed, slot freed); requests and an open stream keep it alive', async () => {
    const IDLE = 500;
    const closed: string[] = [];
    const served = await serveHttp(() => {
      const server = createMcpServer(ctx.mem);
      const previous = server.server.onclose;
      server.server.onclose = () => {
        previous?.();
        closed.push('closed');
      };
      return server;
    }, { port: 0, sessionIdleMs: IDLE, maxSessions: 1 });
    running = served;
    const url = served.url;

    const a = await open(url);
    expect((await send(url, { body: INITIALIZE })).status).toBe(503);
    // Requests spaced under the expiry keep the session past several expiry periods.
    for (let i = 0; i < 6; i++) {
      await sleep(IDLE / 4);
      expect((await ping(url, a)).status).toBe(200);
    }
    // Left alone, the sweeper closes it without any request naming it.
    await expect.poll(() => closed.length, { timeout: 5 * IDLE, interval: 50 }).toBe(1);
    expect((await ping(url, a)).status).toBe(404);

    // A GET notification stream is the session in use, however long it stays quiet.
    const b = await open(url);
    const stream = request(new URL(url), { method: 'GET', headers: { accept: 'text/event-stream', 'mcp-session-id': b, 'mcp-protocol-version': '2025-06-18' } });
    stream.end();
    const [res] = (await once(stream, 'response')) as [IncomingMessage];
    expect(res.statusCode).toBe(200);
    res.resume();
    await sleep(IDLE * 2);
    expect((await ping(url, b)).status).toBe(200);
    stream.destroy();
    await sleep(IDLE * 1.5);
    expect((await ping(url, b)).status).toBe(404);
    expect(closed).toHaveLength(2);
    expect((await send(url, { body: INITIALIZE })).status).toBe(200);
  });

  it('takes the limits as CLI flags, validated before the store opens', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const cli = (...args: string[]) => spawn(process.execPath, ['--import', 'tsx', 'src/mcp/cli.ts', '--path', join(dir, 'db.kuzu'), '--embedder', 'glove', '--http', '--port', '0', ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
      const stderrOf = (child: ReturnType<typeof cli>) => {
        const out = { text: '' };
        child.stderr.on('data', (chunk: Buffer) => (out.text += chunk.toString()));
        return out;
      };

      const bad = cli('--max-sessions', '0', '--max-body', '100');
      const badErr = stderrOf(bad);
      const child = cli('--max-body', '2048', '--max-sessions', '1', '--session-idle', '60');
      const err = stderrOf(child);
      try {
        expect((await once(bad, 'exit'))[0]).toBe(2);
        expect(badErr.text).toMatch(/maxSessions/);
        await expect.poll(() => err.text, { timeout: 30_000 }).toMatch(/listening on (http:\/\/\S+)/);
        const url = /listening on (http:\/\/\S+)/.exec(err.text)![1]!;
        expect((await send(url, { body: INITIALIZE.padEnd(3000, ' ') })).status).toBe(413);
        await open(url);
        expect((await send(url, { body: INITIALIZE })).status).toBe(503);
      } finally {
        child.kill('SIGTERM');
      }
      expect((await once(child, 'exit'))[0]).toBe(0);
    } finally {
      cleanup();
    }
  });
});
