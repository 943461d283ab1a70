#!/usr/bin/env node
/** `insula-mcp`: the same as `insula mcp`. */
import { runMcpCli } from './command.js';

await runMcpCli(process.argv.slice(2));
