/**
 * Resources: `insula://state/{namespace}` (the hub's state, subscribable) and
 * `insula://memory/{namespace}/{id}` (one stored memory). The namespace is part of the memory URI
 * rather than a query parameter because namespaces are hard partitions: a URI names one memory.
 */
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError, SubscribeRequestSchema, UnsubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Variables } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import type { z } from 'zod';
import type { Insula } from '../insula.js';
import { retentionAt } from '../memory/models/ebbinghaus.js';
import { formatIssues, NamespaceSchema } from '../memory/schema.js';
import { HubChanges } from './hub-changes.js';
import { HubStateOutput, MemoryRecord } from './schemas.js';

const STATE_TEMPLATE = 'insula://state/{namespace}';
const MEMORY_TEMPLATE = 'insula://memory/{namespace}/{id}';
/** JSON-RPC code the MCP spec gives an unknown resource. */
const RESOURCE_NOT_FOUND = -32002;

function stateUri(namespace: string): string {
  return `insula://state/${namespace}`;
}

export function memoryUri(namespace: string, id: string): string {
  return `insula://memory/${namespace}/${encodeURIComponent(id)}`;
}

function variable(variables: Variables, name: string): string {
  const v = variables[name];
  try {
    return decodeURIComponent(Array.isArray(v) ? v.join(',') : (v ?? ''));
  } catch {
    throw new McpError(ErrorCode.InvalidParams, `${name}: not a valid percent-encoded URI segment`);
  }
}

function namespaceOf(variables: Variables): string {
  const result = NamespaceSchema.safeParse(variable(variables, 'namespace'));
  if (!result.success) throw new McpError(ErrorCode.InvalidParams, formatIssues(result.error));
  return result.data;
}

function json(uri: URL, value: unknown) {
  return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(value, null, 2) }] };
}

export function registerResources(server: McpServer, mem: Insula): void {
  const state = new ResourceTemplate(STATE_TEMPLATE, {
    list: async () => ({
      resources: (await mem.store.namespaces()).map((ns) => ({ uri: stateUri(ns), name: `state of ${ns}`, mimeType: 'application/json' })),
    }),
  });
  server.registerResource(
    'interoceptive-state',
    state,
    {
      title: 'Interoceptive state',
      description: "The hub's state of a namespace: per-domain valence, anomaly, success rates, confidence; neuromodulators and generation parameters. Subscribable.",
      mimeType: 'application/json',
    },
    async (uri, variables) => {
      const state: z.input<typeof HubStateOutput> = await mem.state(namespaceOf(variables));
      return json(uri, state);
    },
  );

  server.registerResource(
    'memory',
    new ResourceTemplate(MEMORY_TEMPLATE, { list: undefined }),
    { title: 'Memory', description: 'One stored memory with its cognitive state (accesses, retention now).', mimeType: 'application/json' },
    async (uri, variables) => {
      const namespace = namespaceOf(variables);
      const m = await mem.get(variable(variables, 'id'), namespace);
      if (!m) throw new McpError(RESOURCE_NOT_FOUND, `Resource ${uri.href} not found`);
      const record: z.input<typeof MemoryRecord> = {
        id: m.id,
        namespace: m.namespace,
        content: m.content,
        type: m.type,
        importance: m.importance,
        valence: m.valence,
        domain: m.domain,
        createdAt: new Date(m.createdAt).toISOString(),
        occurredAt: new Date(m.occurredAt).toISOString(),
        session: m.session,
        seq: m.seq,
        pinned: m.pinned,
        source: m.source,
        metadata: m.metadata,
        accesses: m.access.count,
        retention: retentionAt(m.retention, Date.now()),
      };
      return json(uri, record);
    },
  );

  registerStateSubscriptions(server, mem, state);
}

/**
 * resources/subscribe for state URIs: each subscription listens to the hub's changes of its
 * namespace and sends notifications/resources/updated (coalesced, see HubChanges).
 */
function registerStateSubscriptions(server: McpServer, mem: Insula, template: ResourceTemplate): void {
  const subscriptions = new Map<string, () => void>();
  const low = server.server;
  low.registerCapabilities({ resources: { subscribe: true } });

  low.setRequestHandler(SubscribeRequestSchema, (request) => {
    const { uri } = request.params;
    const variables = template.uriTemplate.match(uri);
    if (!variables) throw new McpError(ErrorCode.InvalidParams, `only ${STATE_TEMPLATE} resources can be subscribed to, not ${uri}`);
    const namespace = namespaceOf(variables);
    if (!mem.hub) throw new McpError(ErrorCode.InvalidParams, 'the interoceptive hub is turned off');
    if (!subscriptions.has(uri)) {
      subscriptions.set(
        uri,
        HubChanges.of(mem).subscribe(namespace, () => {
          // A session that went away just misses the notification.
          low.sendResourceUpdated({ uri }).catch(() => undefined);
        }),
      );
    }
    return {};
  });

  low.setRequestHandler(UnsubscribeRequestSchema, (request) => {
    subscriptions.get(request.params.uri)?.();
    subscriptions.delete(request.params.uri);
    return {};
  });

  const previous = low.onclose;
  low.onclose = () => {
    previous?.();
    for (const unsubscribe of subscriptions.values()) unsubscribe();
    subscriptions.clear();
  };
}
