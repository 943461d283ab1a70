/**
 * The MCP server's command line: insula over stdio, or over Streamable HTTP with `--http`.
 * Exit codes: 0 after a clean shutdown, 1 when the server cannot start, 2 for invalid options.
 */
import { Command } from 'commander';
import { z } from 'zod';
import { Insula, defaultStorePath } from '../insula.js';
import { InsulaValidationError, parse } from '../memory/schema.js';
import { McpHttpOptionsSchema } from './http.js';
import { startMcpServer } from './server.js';

const CliSchema = z
  .object({
    path: z.string().min(1),
    embedder: z.enum(['use-lite', 'glove']),
    http: z.boolean(),
    port: z.coerce.number<string>().int().min(0).max(65_535),
    host: z.string().min(1),
    token: z.string().optional(),
    allowedOrigin: z.array(z.string()).default([]),
    allowedHost: z.array(z.string()).default([]),
    maxBody: z.coerce.number<string>().int().positive(),
    // Seconds here, milliseconds in the library options: the range is checked in the unit typed.
    sessionIdle: z.coerce.number<string>().min(1, 'sessionIdle: at least 1 second').max(604_800, 'sessionIdle: at most 604800 seconds (7 days)'),
    maxSessions: z.coerce.number<string>().int().positive(),
  })
  .strict();

/** Runs the MCP server command line (`insula mcp …` and the `insula-mcp` bin); resolves once serving. */
export async function runMcpCli(argv: readonly string[]): Promise<void> {
  const program = new Command('insula-mcp')
    .description('insula memory and interoceptive hub as an MCP server (stdio by default)')
    .option('--path <file>', 'database file', defaultStorePath())
    .option('--embedder <kind>', 'use-lite | glove', 'use-lite')
    .option('--http', 'serve Streamable HTTP at /mcp instead of stdio', false)
    .option('--port <port>', 'HTTP port (0 picks a free one)', '3100')
    .option('--host <host>', 'HTTP bind address; anything but loopback requires a token', '127.0.0.1')
    .option('--token <token>', 'bearer token HTTP clients must send (default: $INSULA_MCP_TOKEN)', process.env.INSULA_MCP_TOKEN || undefined)
    .option('--allowed-origin <origin...>', 'browser origins allowed besides this machine (e.g. http://localhost:6274)')
    .option('--allowed-host <host...>', 'Host header names allowed besides loopback and the bind address')
    .option('--max-body <bytes>', 'largest HTTP request body (413 beyond it)', '1048576')
    .option('--session-idle <seconds>', 'close an HTTP session after this long without requests', '1800')
    .option('--max-sessions <n>', 'HTTP sessions open at once (503 beyond them)', '100')
    .parse(argv, { from: 'user' });

  let opts: z.output<typeof CliSchema>;
  let http: z.output<typeof McpHttpOptionsSchema> | undefined;
  // Options are checked before the store opens, so a bad flag costs nothing and changes nothing.
  try {
    opts = parse(CliSchema, program.opts(), 'options');
    http = opts.http
      ? parse(
          McpHttpOptionsSchema,
          {
            port: opts.port,
            host: opts.host,
            token: opts.token,
            allowedOrigins: opts.allowedOrigin,
            allowedHosts: opts.allowedHost,
            maxBodyBytes: opts.maxBody,
            sessionIdleMs: Math.round(opts.sessionIdle * 1000),
            maxSessions: opts.maxSessions,
          },
          'HTTP options',
        )
      : undefined;
  } catch (err) {
    if (err instanceof InsulaValidationError) fail(err.message, 2);
    throw err;
  }

  try {
    const mem = await Insula.open({ path: opts.path, embedder: { kind: opts.embedder }, onError: (e, where) => console.error(`insula ${where}: ${e.message}`) });
    const running = await startMcpServer(mem, http ? { http } : {}).catch(async (err: unknown) => {
      await mem.close();
      throw err;
    });
    if (running.url) console.error(`insula-mcp: listening on ${running.url}`);
    let stopping = false;
    const shutdown = async () => {
      if (stopping) return;
      stopping = true;
      await running.close();
      await mem.close();
      process.exit(0);
    };
    if (!http) process.stdin.on('end', shutdown);
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err), 1);
  }
}

function fail(message: string, code: number): never {
  console.error(`insula-mcp: ${message}`);
  process.exit(code);
}
