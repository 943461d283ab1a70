/**
 * Streamable HTTP for the MCP server: one transport and one McpServer per session, on a plain
 * node:http server at `/mcp`. Every request passes the guard first: Host and Origin must name this
 * machine (or an allowed origin), so a web page cannot reach a local server through DNS
 * rebinding; and with a token, `Authorization: Bearer <token>` is required. Binding anywhere but
 * loopback without a token is refused. Bodies are read here, under a size limit, before any parser
 * sees them; sessions are capped in number and closed after a period without requests.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
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
    /** Largest request body in bytes; a larger one gets 413 and is never read past the limit. */
    maxBodyBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
    /** A session with no request open for this long is closed; its id then gets 404 like an unknown one. */
    sessionIdleMs: z.number().int().min(50).max(7 * 24 * 3600 * 1000).default(30 * 60 * 1000),
    /** Sessions open at once; an initialize beyond them gets 503. */
    maxSessions: z.number().int().min(1).max(10_000).default(100),
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

/**
 * A JSON-RPC error answer, shaped as the SDK's transport shapes its own. The connection closes after
 * it: a refused request's body is never read, and keeping the connection would mean draining it.
 */
function reply(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}, code = -32000): void {
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/** The request body, or null once it passes `limit` bytes: reading stops there, nothing more is buffered. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  if (Number(req.headers['content-length']) > limit) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      done();
      resolve(null);
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks));
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    const onClose = () => onError(new Error('the client closed the connection before the request body ended'));
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  /** Requests of the session still open (a tool call, the GET notification stream): while any is, it is not idle. */
  open: number;
  /** When its last request ended. */
  idleSince: number;
}

const METHODS = ['GET', 'POST', 'DELETE'];

/** Serves MCP over Streamable HTTP; `createMcp` builds a fresh McpServer for each session. */
export async function serveHttp(createMcp: () => McpServer, options: McpHttpOptions): Promise<McpHttpServer> {
  const opts = parse(McpHttpOptionsSchema, options, 'MCP HTTP options');
  const check = guard(opts);
  const sessions = new Map<string, Session>();
  /** Initialize requests under way, counted against the cap until their session exists (or fails to). */
  let opening = 0;

  const expired = (s: Session, now: number) => s.open === 0 && now - s.idleSince > opts.sessionIdleMs;

  function end(id: string, s: Session): Promise<void> {
    sessions.delete(id);
    return s.server.close();
  }

  function sweep(): void {
    const now = Date.now();
    // A session that fails to close is out of the map all the same; the server goes on.
    for (const [id, s] of sessions) if (expired(s, now)) end(id, s).catch(() => undefined);
  }

  /** Marks the session busy until the response is over, so a long call or an open stream never counts as idle. */
  function track(s: Session, res: ServerResponse): void {
    s.open++;
    res.once('close', () => {
      s.open--;
      s.idleSince = Date.now();
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const denied = check(req);
    if (denied) return reply(res, denied.status, denied.message, denied.status === 401 ? { 'www-authenticate': 'Bearer' } : {});
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== MCP_PATH) return reply(res, 404, `Not found: MCP is served at ${MCP_PATH}`);
    if (!METHODS.includes(req.method ?? '')) return reply(res, 405, 'Method not allowed', { allow: METHODS.join(', ') });

    const sessionId = req.headers['mcp-session-id'];
    let session: Session | undefined;
    if (typeof sessionId === 'string') {
      session = sessions.get(sessionId);
      if (session && expired(session, Date.now())) {
        await end(sessionId, session);
        session = undefined;
      }
      if (!session) return reply(res, 404, 'Session not found', {}, -32001);
      // Counted from here, so the session cannot expire while its body is being read.
      track(session, res);
    } else if (req.method !== 'POST') {
      return reply(res, 400, 'Bad Request: Mcp-Session-Id header is required');
    }

    let body: unknown;
    if (req.method === 'POST') {
      const raw = await readBody(req, opts.maxBodyBytes);
      if (raw === null) return reply(res, 413, `Payload Too Large: request bodies are limited to ${opts.maxBodyBytes} bytes`);
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return reply(res, 400, 'Parse error: Invalid JSON', {}, -32700);
      }
    }
    if (session) return session.transport.handleRequest(req, res, body);

    if (!isInitializeRequest(body)) return reply(res, 400, 'Bad Request: no session; send initialize first (without Mcp-Session-Id)');
    if (sessions.size + opening >= opts.maxSessions) sweep();
    if (sessions.size + opening >= opts.maxSessions) {
      return reply(res, 503, `Service Unavailable: ${opts.maxSessions} sessions are open, the most this server allows; end one (DELETE) or retry after idle ones expire`);
    }
    opening++;
    let reserved = true;
    const release = () => {
      if (reserved) opening--;
      reserved = false;
    };
    try {
      const server = createMcp();
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (id) => {
          release();
          const s: Session = { transport, server, open: 0, idleSince: Date.now() };
          sessions.set(id, s);
          track(s, res);
        },
      });
      const closed = server.server.onclose;
      server.server.onclose = () => {
        closed?.();
        if (transport.sessionId) sessions.delete(transport.sessionId);
      };
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
      if (!transport.sessionId) await server.close();
    } finally {
      release();
    }
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
  // Sessions whose clients vanished without DELETE are closed even if their id never comes back.
  const sweeper = setInterval(sweep, Math.min(opts.sessionIdleMs, 60_000));
  sweeper.unref();

  return {
    url: `http://${bracketed(opts.host)}:${port}${MCP_PATH}`,
    async close() {
      clearInterval(sweeper);
      await Promise.all([...sessions].map(([id, s]) => end(id, s)));
      http.closeAllConnections();
      await new Promise<void>((resolve, reject) => http.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
