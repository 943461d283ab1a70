#!/usr/bin/env node
/** `insula-mcp`: the memory tools over stdio for any MCP client. */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { Command } from 'commander';
import { z } from 'zod';
import { Insula, defaultStorePath } from '../insula.js';
import { createMcpServer } from './server.js';

const CliSchema = z.object({
  path: z.string().min(1),
  embedder: z.enum(['use-lite', 'glove']),
});

const opts = CliSchema.parse(
  new Command('insula-mcp')
    .description('insula memory as an MCP server over stdio')
    .option('--path <file>', 'database file', defaultStorePath())
    .option('--embedder <kind>', 'use-lite | glove', 'use-lite')
    .parse()
    .opts(),
);
const mem = await Insula.open({ path: opts.path, embedder: { kind: opts.embedder }, onError: (e, where) => console.error(`insula ${where}: ${e.message}`) });
const server = createMcpServer(mem);
await server.connect(new StdioServerTransport());
const shutdown = async () => {
  await server.close();
  await mem.close();
  process.exit(0);
};
process.stdin.on('end', shutdown);
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
