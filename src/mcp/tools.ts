/**
 * The MCP tools. Each one validates its input with a schema from ./schemas.ts (the SDK turns a
 * rejection into a tool error that names the field, before the handler runs) and returns
 * `structuredContent` typed by its output schema, plus the same JSON as text for older clients.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult, ServerNotification, ServerRequest, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { Insula } from '../insula.js';
import { memoryUri } from './resources.js';
import {
  AddTriplesInput,
  AddTriplesOutput,
  ConsolidateInput,
  ConsolidateOutput,
  FeedbackInput,
  FeedbackOutput,
  ForgetInput,
  ForgetNamespaceInput,
  ForgetNamespaceOutput,
  ForgetOutput,
  GraphHealthOutput,
  HubStateOutput,
  NamespaceInput,
  RecallInput,
  RecallOutput,
  RegulateOutput,
  ReinforceInput,
  ReinforceOutput,
  SignalInput,
  SignalOutput,
  StatsInput,
  StatsOutput,
  StoreInput,
  StoreOutput,
} from './schemas.js';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

interface ToolDefinition<I extends z.ZodObject, O extends z.ZodObject> {
  description: string;
  input: I;
  output: O;
  annotations?: ToolAnnotations;
  run(args: z.output<I>, extra: Extra): Promise<z.input<O>>;
}

function register<I extends z.ZodObject, O extends z.ZodObject>(server: McpServer, name: string, tool: ToolDefinition<I, O>): void {
  // The SDK derives the callback's type from a conditional on the schema type, which TypeScript
  // cannot resolve for a generic schema; `run` carries the real typing.
  server.registerTool(name, { description: tool.description, inputSchema: tool.input, outputSchema: tool.output, annotations: tool.annotations }, (async (
    args: z.output<I>,
    extra: Extra,
  ): Promise<CallToolResult> => {
    // Parsing strips fields the core may add later, which clients holding the (closed) output schema would reject.
    const value = tool.output.parse(await tool.run(args, extra)) as Record<string, unknown>;
    return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value };
  }) as never);
}

const iso = (ms: number) => new Date(ms).toISOString();
const readOnly: ToolAnnotations = { readOnlyHint: true, openWorldHint: false };
const destructive: ToolAnnotations = { destructiveHint: true, idempotentHint: true, openWorldHint: false };

export function registerTools(server: McpServer, mem: Insula): void {
  register(server, 'store', {
    description: 'Store a memory: embedded, indexed, linked to its session and admitted to its working memory.',
    input: StoreInput,
    output: StoreOutput,
    async run(args) {
      const r = await mem.remember(args);
      return { id: r.id, namespace: r.namespace, seq: r.seq, displaced: r.displaced.map((d) => d.id), uri: memoryUri(r.namespace, r.id) };
    },
  });

  register(server, 'recall', {
    description:
      'Recall memories for a query, ranked by relevance and cognitive state (activation, retention, associations, time, somatic markers); every result explains its score.',
    input: RecallInput,
    output: RecallOutput,
    async run({ query, ...options }) {
      const report = await mem.recallWithReport(query, options);
      return {
        results: report.results.map((r) => ({
          id: r.id,
          uri: memoryUri(r.memory.namespace, r.id),
          content: r.content,
          score: r.score,
          type: r.memory.type,
          domain: r.memory.domain,
          session: r.memory.session,
          occurredAt: iso(r.memory.occurredAt),
          sources: r.sources,
          explanation: r.explanation,
        })),
        confidence: report.confidence,
        adjustment: report.adjustment,
      };
    },
  });

  register(server, 'forget', {
    description: 'Delete a memory completely: content, embedding, index entries, links, triples, hub traces.',
    input: ForgetInput,
    output: ForgetOutput,
    annotations: destructive,
    run: async ({ id, namespace }) => ({ deleted: await mem.forget(id, { namespace }) }),
  });

  register(server, 'forget_namespace', {
    description: 'Delete every memory, entity, triple and the hub state of a namespace.',
    input: ForgetNamespaceInput,
    output: ForgetNamespaceOutput,
    annotations: destructive,
    run: async ({ namespace }) => ({ deleted: await mem.forgetNamespace(namespace) }),
  });

  register(server, 'reinforce', {
    description: 'Outcome (-1..1) of a turn that used these memories: strengthens or weakens their associations and importance.',
    input: ReinforceInput,
    output: ReinforceOutput,
    async run(args) {
      await mem.reinforce(args);
      return { reinforced: new Set(args.ids).size };
    },
  });

  register(server, 'feedback', {
    description:
      'How an action or turn went: updates the success rate of the domain (and strategy), the neuromodulators, the somatic markers of the situation, and reinforces or weakens the memories used.',
    input: FeedbackInput,
    output: FeedbackOutput,
    async run({ outcome, ...rest }) {
      // The hub takes success 0..1; memories are then reinforced by 2·success − 1, i.e. `outcome`.
      const success = typeof outcome === 'boolean' ? outcome : (outcome + 1) / 2;
      const effect = await mem.feedback({ ...rest, success });
      return { ...effect, reinforced: new Set(rest.memoryIds).size };
    },
  });

  register(server, 'signal', {
    description: 'Feed one interoceptive signal (source, domain, valence -1..1, arousal 0..1) to the hub.',
    input: SignalInput,
    output: SignalOutput,
    async run({ namespace, ...signal }) {
      await mem.signal(signal, namespace);
      const state = await mem.state(namespace);
      // The signal has just updated its domain, so the hub holds it.
      return { namespace, domain: signal.domain, events: state.events, domainState: state.domains[signal.domain]! };
    },
  });

  register(server, 'interoceptive_state', {
    description: "The hub's state of a namespace: per-domain valence, anomaly, success rates and confidence; arousal, neuromodulators, generation parameters.",
    input: NamespaceInput,
    output: HubStateOutput,
    annotations: readOnly,
    run: ({ namespace }) => mem.state(namespace),
  });

  register(server, 'regulate', {
    description: 'Regulation actions for a namespace, each with its reason: retrieval adjustments, behaviour shifts, drive updates, alerts, pause-and-ask, generation parameters.',
    input: NamespaceInput,
    output: RegulateOutput,
    annotations: readOnly,
    run: async ({ namespace }) => ({ actions: await mem.regulate(namespace) }),
  });

  register(server, 'consolidate', {
    description:
      'Consolidation ("sleep"): replay of salient memories, link decay and pruning, forgetting below the retention floor, merging near-duplicates. Sends progress notifications when the request carries a progressToken.',
    input: ConsolidateInput,
    output: ConsolidateOutput,
    async run(options, extra) {
      const token = extra._meta?.progressToken;
      const sent: Promise<void>[] = [];
      let progress = 0;
      const reports = await mem.consolidate({
        ...options,
        ...(token === undefined
          ? {}
          : {
              onProgress: (p) => {
                // Phases restart their counts, and progress must only increase: count the updates.
                const notification = { method: 'notifications/progress' as const, params: { progressToken: token, progress: ++progress, message: `${p.namespace}: ${p.phase} ${p.done}/${p.total}` } };
                sent.push(extra.sendNotification(notification).catch(() => undefined));
              },
            }),
      });
      await Promise.all(sent);
      return { reports };
    },
  });

  register(server, 'stats', {
    description: 'Counts per namespace (memories, Hebbian links, entities, triples, hub events and domains), the embedder, and the background queue.',
    input: StatsInput,
    output: StatsOutput,
    annotations: readOnly,
    async run({ namespace }) {
      const namespaces: z.input<typeof StatsOutput>['namespaces'] = [];
      // One namespace at a time: the link and triple tables are read whole.
      for (const ns of namespace ? [namespace] : await mem.store.namespaces()) {
        const [memories, links, entities, triples] = await Promise.all([mem.store.countMemories(ns), mem.store.allLinks(ns), mem.store.entities(ns), mem.store.triples(ns)]);
        const hub = mem.hub ? await mem.state(ns) : null;
        namespaces.push({
          namespace: ns,
          memories,
          links: links.length,
          entities: entities.length,
          triples: triples.length,
          hub: hub && { events: hub.events, domains: Object.keys(hub.domains).length, somaticMarkers: hub.somaticMarkers },
        });
      }
      return { embedder: mem.embedder.name, dims: mem.embedder.dims, background: mem.backgroundStatus, namespaces };
    },
  });

  register(server, 'add_triples', {
    description: 'Add knowledge-graph facts (subject, predicate, object) with optional validity time; `supersede` closes the previous fact instead of overwriting it.',
    input: AddTriplesInput,
    output: AddTriplesOutput,
    async run({ triples, namespace }) {
      const stored = await mem.addTriples(triples, namespace);
      return {
        triples: stored.map((t) => ({ ...t, validFrom: iso(t.validFrom), validTo: t.validTo === null ? null : iso(t.validTo), createdAt: iso(t.createdAt) })),
      };
    },
  });

  register(server, 'graph_health', {
    description: 'Knowledge-graph health of a namespace: entities, triples, communities, components, fragmentation, contradictions.',
    input: NamespaceInput,
    output: GraphHealthOutput,
    annotations: readOnly,
    run: ({ namespace }) => mem.graphHealth(namespace),
  });
}
