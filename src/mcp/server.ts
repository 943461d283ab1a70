/**
 * MCP server over an Insula instance (`insula/mcp`): memory and interoceptive tools, the state and
 * memory resources, and the with-memory prompt, over stdio or Streamable HTTP.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createHooks, type InsulaHooks } from '../hooks/index.js';
import type { Insula } from '../insula.js';
import { serveHttp, type McpHttpOptions } from './http.js';
import { registerPrompts } from './prompts.js';
import { registerResources } from './resources.js';
import { registerTools } from './tools.js';

export { McpHttpOptionsSchema, type McpHttpOptions } from './http.js';

export interface McpServerInfo {
  name?: string;
  version?: string;
}

export interface McpServerOptions extends McpServerInfo {
  /** Hooks for the with-memory prompt, shared by the servers of one process; by default the server makes its own and flushes them when it closes. */
  hooks?: InsulaHooks;
}

/** One MCP server (one client connection); connect it to any transport. */
export function createMcpServer(mem: Insula, options: McpServerOptions = {}): McpServer {
  // Schemas cap every array, so this only stops absurd payloads before validation walks them.
  const server = new McpServer({ name: options.name ?? 'insula', version: options.version ?? '0.1.0' }, { maxToolInputElements: 20_000 });
  registerTools(server, mem);
  registerResources(server, mem);
  let hooks = options.hooks;
  if (!hooks) {
    const own = (hooks = createHooks(mem));
    const closed = server.server.onclose;
    server.server.onclose = () => {
      closed?.();
      void own.close();
    };
  }
  registerPrompts(server, hooks);
  return server;
}

export interface StartMcpOptions extends McpServerInfo {
  /** Serve Streamable HTTP with sessions instead of stdio. */
  http?: McpHttpOptions;
}

export interface RunningMcpServer {
  /** The HTTP endpoint, or null over stdio. */
  url: string | null;
  /** Stops serving; the Insula instance stays open (its owner closes it). */
  close(): Promise<void>;
}

/** Serves `mem` over stdio (default) or Streamable HTTP, as the `insula-mcp` CLI does. */
export async function startMcpServer(mem: Insula, options: StartMcpOptions = {}): Promise<RunningMcpServer> {
  const { http, ...info } = options;
  const hooks = createHooks(mem);
  if (http) {
    const served = await serveHttp(() => createMcpServer(mem, { ...info, hooks }), http);
    return {
      url: served.url,
      async close() {
        await served.close();
        await hooks.close();
      },
    };
  }
  const server = createMcpServer(mem, { ...info, hooks });
  await server.connect(new StdioServerTransport());
  return {
    url: null,
    async close() {
      await server.close();
      await hooks.close();
    },
  };
}
