/**
 * An MCP client session against `insula mcp` over stdio (the server runs as a child process, as
 * Claude Desktop or any MCP host would run it): store, recall, feedback and signals over several
 * turns, with the subscribed state resource reporting how the hub's state moved.
 *
 *   npx tsx examples/mcp-client.ts               (INSULA_EMBEDDER=glove for the small model)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

const dir = mkdtempSync(join(tmpdir(), 'insula-example-'));
const embedder = process.env['INSULA_EMBEDDER'] === 'glove' ? 'glove' : 'use-lite';
const client = new Client({ name: 'insula-example', version: '0.1.0' });
await client.connect(
  new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', join(import.meta.dirname, '..', 'src', 'cli.ts'), '--path', join(dir, 'memory.kuzu'), '--embedder', embedder, 'mcp'],
    stderr: 'ignore',
  }),
);

const call = async (name: string, args: Record<string, unknown>) => {
  const r = await client.callTool({ name, arguments: args });
  if (r.isError) throw new Error(`${name}: ${JSON.stringify(r.content)}`);
  return r.structuredContent as Record<string, any>;
};
const namespace = 'support-bot';
let updates = 0;
client.setNotificationHandler(ResourceUpdatedNotificationSchema, () => void updates++);

try {
  console.log(`tools: ${(await client.listTools()).tools.map((t) => t.name).join(', ')}`);
  await client.subscribeResource({ uri: `insula://state/${namespace}` });

  for (const content of [
    'Refunds over 100 EUR need a manager approval.',
    'Customer 4411 was charged twice in March; refund issued.',
    'The billing export runs nightly at 02:00 UTC.',
  ]) {
    const stored = await call('store', { content, namespace, domain: 'billing' });
    console.log(`stored ${stored['uri']}`);
  }

  // Turn 1: recall for a question, answer from the top memory, the answer turns out wrong.
  const question = 'Can I refund 250 EUR right away?';
  const recalled = await call('recall', { query: question, namespace, k: 2, domain: 'billing' });
  for (const r of recalled['results']) console.log(`recall ${r.score.toFixed(2)}  ${r.content}`);
  const used = recalled['results'][0].id;
  const effect = await call('feedback', { namespace, domain: 'billing', strategy: 'refund-directly', outcome: false, memoryIds: [used], situation: question });
  console.log(`feedback: success rate ${effect['successRate'].toFixed(2)}, prediction error ${effect['predictionError'].toFixed(2)}`);

  // Turns 2..6: the host reports how its turns felt and how long its tools took.
  for (let i = 0; i < 5; i++) {
    await call('signal', { namespace, source: 'emotion', domain: 'billing', valence: -0.6, arousal: 0.7 });
    await call('feedback', { namespace, domain: 'billing', strategy: 'refund-directly', outcome: i === 2 });
    await call('feedback', { namespace, domain: 'billing', strategy: 'ask-manager', outcome: true });
  }
  await new Promise((resolve) => setTimeout(resolve, 300)); // let the coalesced resource update arrive

  const state = JSON.parse(((await client.readResource({ uri: `insula://state/${namespace}` })).contents[0] as { text: string }).text);
  const billing = state.domains.billing;
  console.log(`state: billing valence ${billing.valence.toFixed(2)}, success ${billing.successRate.toFixed(2)}, ${Object.keys(billing.strategies).join(' / ')}`);
  console.log(`resources/updated notifications received: ${updates}`);
  const { actions } = await call('regulate', { namespace });
  for (const a of actions) console.log(`regulate ${a.kind}: ${a.reason}`);
  const stats = await call('stats', { namespace });
  console.log(`stats: ${JSON.stringify(stats['namespaces'])}`);
} finally {
  await client.close();
  rmSync(dir, { recursive: true, force: true });
}
