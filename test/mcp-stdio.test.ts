/** The `insula-mcp` CLI as a client runs it: a child process over stdio or HTTP, and the MCP Inspector CLI. */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const INSPECTOR = join(ROOT, 'node_modules', '.bin', 'mcp-inspector');
const TOKEN = 'cli-token-0123456789abcdef';
const TOOLS = ['add_triples', 'consolidate', 'feedback', 'forget', 'forget_namespace', 'graph_health', 'interoceptive_state', 'recall', 'regulate', 'reinforce', 'signal', 'stats', 'store'];

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

/** The CLI's command line: node running the TypeScript source through tsx. */
const cli = (...args: string[]) => ['--import', 'tsx', 'src/mcp/cli.ts', '--path', join(dir, 'db.kuzu'), '--embedder', 'glove', ...args];

describe('insula-mcp CLI', () => {
  it('serves the SDK client as `insula mcp`: tools, a store and recall, the state resource and the prompt', async () => {
    const client = new Client({ name: 'stdio-test', version: '0' });
    const insulaMcp = ['--import', 'tsx', 'src/cli.ts', '--path', join(dir, 'db.kuzu'), '--embedder', 'glove', 'mcp'];
    await client.connect(new StdioClientTransport({ command: process.execPath, args: insulaMcp, cwd: ROOT, stderr: 'pipe' }));
    try {
      expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(TOOLS);
      const stored = await client.callTool({ name: 'store', arguments: { content: 'The build server lives in rack 4.', namespace: 'infra' } });
      const recalled = await client.callTool({ name: 'recall', arguments: { query: 'where is the build server', namespace: 'infra' } });
      expect((recalled.structuredContent as { results: Array<{ id: string }> }).results[0]!.id).toBe((stored.structuredContent as { id: string }).id);
      const bad = await client.callTool({ name: 'recall', arguments: { query: 'x', k: 0 } });
      expect(bad.isError).toBe(true);
      expect(JSON.stringify(bad.content)).toMatch(/at k/);
      const state = await client.readResource({ uri: 'insula://state/infra' });
      expect(JSON.parse((state.contents[0] as { text: string }).text)).toHaveProperty('generation');
      const prompt = await client.getPrompt({ name: 'with-memory', arguments: { query: 'Where is the build server?', namespace: 'infra' } });
      expect((prompt.messages[0]!.content as { text: string }).text).toContain('rack 4');
    } finally {
      await client.close();
    }
  });

  it('refuses bad options with exit code 2 and a message naming the option, before opening the store', async () => {
    const attempt = (...args: string[]) => run(process.execPath, cli(...args), { cwd: ROOT, env: { ...process.env, INSULA_MCP_TOKEN: '' } }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    const [noToken, badPort, badEmbedder] = await Promise.all([
      attempt('--http', '--host', '0.0.0.0', '--port', '0'),
      attempt('--http', '--port', '99999'),
      attempt('--embedder', 'bert'),
    ]);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/token: required when binding to a non-loopback host/);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toMatch(/port/);
    expect(badEmbedder.code).toBe(2);
    expect(badEmbedder.stderr).toMatch(/embedder/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('serves HTTP with --http, taking the token from INSULA_MCP_TOKEN, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, cli('--http', '--port', '0'), { cwd: ROOT, env: { ...process.env, INSULA_MCP_TOKEN: TOKEN }, stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      await expect.poll(() => stderr, { timeout: 20_000 }).toMatch(/listening on (http:\/\/\S+)/);
      const url = /listening on (http:\/\/\S+)/.exec(stderr)![1]!;
      expect((await fetch(url, { method: 'POST', body: '{}' })).status).toBe(401);

      // The Inspector's CLI mode against the running server, with the token as a header.
      const { stdout } = await run(INSPECTOR, ['--cli', url, '--transport', 'http', '--header', `Authorization: Bearer ${TOKEN}`, '--method', 'tools/call', '--tool-name', 'stats'], { cwd: ROOT });
      expect(JSON.parse(stdout).structuredContent).toMatchObject({ embedder: expect.stringContaining('glove'), namespaces: [] });
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});

describe('MCP Inspector CLI (headless)', () => {
  it('lists the tools over stdio', async () => {
    const { stdout } = await run(INSPECTOR, ['--cli', process.execPath, ...cli(), '--method', 'tools/list'], { cwd: ROOT });
    const { tools } = JSON.parse(stdout) as { tools: Array<{ name: string; outputSchema?: object }> };
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    expect(tools.every((t) => t.outputSchema)).toBe(true);
  });
});
