/**
 * MCP server over an Insula instance: memory tools for any MCP client. Inputs are validated twice:
 * loosely here (so the JSON schema the client sees stays plain) and strictly by Insula itself,
 * whose errors name the field and reach the client as tool errors.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { Insula } from '../insula.js';
import { MEMORY_TYPES } from '../memory/schema.js';

const namespace = z.string().describe('Partition (tenant / agent / user); default "default"').optional();
const time = z.union([z.string(), z.number()]).describe('ISO date-time or epoch milliseconds');

const memoryFields = {
  content: z.string().describe('What to remember'),
  namespace,
  type: z.enum(MEMORY_TYPES).optional(),
  importance: z.number().describe('0..1').optional(),
  valence: z.number().describe('-1..1').optional(),
  domain: z.string().optional(),
  occurredAt: time.optional(),
  session: z.string().optional(),
  source: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  pinned: z.boolean().optional(),
  entities: z.array(z.string()).optional(),
};

function result(value: unknown) {
  return { content: [{ type: 'text' as const, text: JSON.stringify(value, null, 2) }], structuredContent: { result: value } };
}

/** Drops undefined keys so strict validation downstream sees only what the client sent. */
function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function createMcpServer(mem: Insula, info: { name?: string; version?: string } = {}): McpServer {
  const server = new McpServer({ name: info.name ?? 'insula', version: info.version ?? '0.1.0' });

  server.registerTool(
    'remember',
    { description: 'Store a memory (embedded, indexed, linked to its session).', inputSchema: memoryFields },
    async (args) => result(await mem.remember(defined(args) as Parameters<Insula['remember']>[0])),
  );

  server.registerTool(
    'recall',
    {
      description: 'Recall memories for a query, ranked by relevance and cognitive state, each with a score explanation.',
      inputSchema: {
        query: z.string(),
        namespace,
        k: z.number().int().optional(),
        session: z.string().optional(),
        types: z.array(z.enum(MEMORY_TYPES)).optional(),
        domain: z.string().optional(),
        minScore: z.number().optional(),
      },
    },
    async ({ query, ...options }) => {
      const results = await mem.recall(query, defined(options));
      return result(results.map((r) => ({ id: r.id, content: r.content, score: r.score, type: r.memory.type, occurredAt: new Date(r.memory.occurredAt).toISOString(), sources: r.sources, explanation: r.explanation })));
    },
  );

  server.registerTool(
    'reinforce',
    {
      description: 'Report how a turn that used these memories went (-1..1): strengthens or weakens their associations.',
      inputSchema: { ids: z.array(z.string()), outcome: z.number(), namespace },
    },
    async (args) => {
      await mem.reinforce(defined(args) as Parameters<Insula['reinforce']>[0]);
      return result({ ok: true });
    },
  );

  server.registerTool(
    'forget',
    { description: 'Delete a memory completely (content, embedding, index entries, links, triples).', inputSchema: { id: z.string(), namespace } },
    async ({ id, ...options }) => result({ deleted: await mem.forget(id, defined(options)) }),
  );

  server.registerTool(
    'forget_namespace',
    { description: 'Delete every memory, entity and triple of a namespace.', inputSchema: { namespace: z.string() } },
    async ({ namespace: ns }) => result({ deleted: await mem.forgetNamespace(ns) }),
  );

  server.registerTool(
    'consolidate',
    { description: 'Run consolidation ("sleep"): replay, link decay and pruning, forgetting, deduplication.', inputSchema: { namespace } },
    async (args) => result(await mem.consolidate(defined(args))),
  );

  server.registerTool(
    'add_triples',
    {
      description: 'Add knowledge-graph facts (subject, predicate, object) with optional validity time.',
      inputSchema: {
        triples: z.array(
          z.object({
            subject: z.string(),
            predicate: z.string(),
            object: z.string(),
            validFrom: time.optional(),
            validTo: time.optional(),
            confidence: z.number().optional(),
            memoryId: z.string().optional(),
            supersede: z.boolean().optional(),
          }),
        ),
        namespace,
      },
    },
    async ({ triples, namespace: ns }) => result(await mem.addTriples(triples.map((t) => defined(t) as never), ns)),
  );

  server.registerTool(
    'graph_health',
    { description: 'Knowledge-graph health: communities, fragmentation, contradictions.', inputSchema: { namespace } },
    async ({ namespace: ns }) => result(await mem.graphHealth(ns)),
  );

  return server;
}
