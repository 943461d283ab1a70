/**
 * Streamable HTTP for the MCP server: one transport and one McpServer per session, on a plain
 * node:http server at `/mcp`. Every request passes the guard first: Host and Origin must name this
 * machine (or an allowed origin), so a web page cannot reach a local server through DNS
 * rebinding; and with a token, `Authorization: Bearer <token>` is required. Binding anywhere but
 * loopback without a token is refused.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import { parse } from '../memory/schema.js';

const MCP_PATH = '/mcp';

function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(h);
}

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

export const McpHttpOptionsSchema = z
  .object({
    /** 0 picks a free port (see the returned url). */
    port: z.number().int().min(0).max(65_535),
    host: z.string().min(1).default('127.0.0.1'),
    /** Bearer token clients must send; required unless bound to loopback. */
    token: z.string().min(16, 'token: at least 16 characters').max(4096).optional(),
    /** Browser origins allowed besides this machine's own hosts, e.g. http://localhost:6274. */
    allowedOrigins: z.array(z.url().transform((u) => new URL(u).origin)).default([]),
    /** Host names clients may use besides loopback and the bound address (e.g. a DNS name of this machine). */
    allowedHosts: z.array(z.string().min(1).max(253)).default([]),
  })
  .strict()
  .refine((o) => o.token !== undefined || isLoopback(o.host), {
    path: ['token'],
    message: 'token: required when binding to a non-loopback host (set --token or INSULA_MCP_TOKEN)',
  });
export type McpHttpOptions = z.input<typeof McpHttpOptionsSchema>;

export interface McpHttpServer {
  /** Where clients connect, e.g. http://127.0.0.1:3100/mcp. */
  url: string;
  close(): Promise<void>;
}

/** The hostname of a Host header or URL authority, as URL normalises it (lower case, IPv6 in brackets). */
function hostnameOf(authority: string): string | null {
  try {
    return new URL(`http://${authority}`).hostname;
  } catch {
    return null;
  }
}

function bracketed(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

function allowedHostnames(bound: string, extra: readonly string[]): Set<string> {
  const names = ['localhost', '127.0.0.1', '::1', bound, ...extra];
  // A wildcard bind answers on every interface, under any of this machine's names.
  if (WILDCARDS.has(bound)) {
    names.push(hostname());
    for (const addresses of Object.values(networkInterfaces())) for (const a of addresses ?? []) names.push(a.address.replace(/%.*$/, ''));
  }
  return new Set(names.map((n) => hostnameOf(bracketed(n))).filter((n): n is string => n !== null));
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();

type Denial = { status: 401 | 403; message: string };

function guard(opts: z.output<typeof McpHttpOptionsSchema>): (req: IncomingMessage) => Denial | null {
  const hosts = allowedHostnames(opts.host, opts.allowedHosts);
  const origins = new Set(opts.allowedOrigins);
  // Digests of equal length let timingSafeEqual compare without leaking the token's length.
  const expected = opts.token === undefined ? null : sha256(opts.token);
  return (req) => {
    const host = hostnameOf(req.headers.host ?? '');
    if (host === null || !hosts.has(host)) return { status: 403, message: 'Forbidden: Host header not allowed' };
    const origin = req.headers.origin;
    if (origin !== undefined && !origins.has(origin)) {
      const originHost = URL.canParse(origin) ? new URL(origin).hostname : null;
      if (originHost === null || !hosts.has(originHost)) return { status: 403, message: 'Forbidden: Origin not allowed' };
    }
    if (expected) {
      const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
      if (bearer === undefined || !timingSafeEqual(sha256(bearer), expected)) return { status: 401, message: 'Unauthorized: bearer token required' };
    }
    return null;
  };
}

function reply(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  // JSON-RPC error shape, as the SDK's transport answers its own rejections.
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
}

/** Serves MCP over Streamable HTTP; `createMcp` builds a fresh McpServer for each session. */
export async function serveHttp(createMcp: () => McpServer, options: McpHttpOptions): Promise<McpHttpServer> {
  const opts = parse(McpHttpOptionsSchema, options, 'MCP HTTP options');
  const check = guard(opts);
  const sessions = new Map<string, Session>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const denied = check(req);
    if (denied) return reply(res, denied.status, denied.message, denied.status === 401 ? { 'www-authenticate': 'Bearer' } : {});
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== MCP_PATH) return reply(res, 404, `Not found: MCP is served at ${MCP_PATH}`);

    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const session = sessions.get(sessionId);
      if (!session) return reply(res, 404, 'Session not found');
      return session.transport.handleRequest(req, res);
    }
    if (req.method !== 'POST') return reply(res, 400, 'Bad Request: no session; initialize first');

    // A request without a session must be an initialize request; the transport checks that.
    const server = createMcp();
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (id) => void sessions.set(id, { transport, server }),
    });
    const closed = server.server.onclose;
    server.server.onclose = () => {
      closed?.();
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res);
    if (!transport.sessionId) await server.close();
  }

  const http = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) reply(res, 500, `Internal error: ${err instanceof Error ? err.message : String(err)}`);
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port, opts.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;

  return {
    url: `http://${bracketed(opts.host)}:${port}${MCP_PATH}`,
    async close() {
      await Promise.all([...sessions.values()].map((s) => s.server.close()));
      http.closeAllConnections();
      await new Promise<void>((resolve, reject) => http.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
