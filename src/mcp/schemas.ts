/**
 * Input and output schemas of the MCP tools. Inputs are insula's own boundary schemas wherever they
 * can be turned into JSON Schema, so a client sees the real limits (lengths, ranges, patterns) and a
 * call the core would reject is rejected before anything runs. Outputs are what `structuredContent`
 * carries; the tool handlers are typed against them.
 */
import { z } from 'zod';
import { ConsolidationOptionsSchema } from '../memory/consolidation.js';
import { TripleInputSchema } from '../memory/knowledge-graph.js';
import { DomainSchema, MEMORY_TYPES, MemoryInputSchema, NamespaceSchema, RecallOptionsSchema, SessionSchema } from '../memory/schema.js';
import { RegulationActionSchema, RetrievalAdjustmentSchema } from '../hub/regulation/actions.js';
import { InteroceptiveSignalSchema } from '../hub/signals/signal.js';

/** insula's TimeSchema minus `Date`, which JSON cannot carry (and JSON Schema cannot describe). */
const JsonTimeSchema = z
  .union([z.number().finite().nonnegative(), z.iso.datetime({ offset: true }), z.iso.date()])
  .describe('epoch milliseconds or ISO 8601');

const Namespace = NamespaceSchema.default('default').describe('Partition (tenant / agent / user); memories never cross namespaces');
const MemoryId = z.string().min(1).max(128);
const Iso = z.iso.datetime().describe('ISO 8601');

// Same bounds as Insula.recallWithReport's query and Insula.reinforce's ids, so the core never
// rejects what passed here.
const Query = z.string().trim().min(1, 'query: must not be empty').max(8192, 'query: at most 8192 characters');
const ReinforceIds = z.array(MemoryId).min(1).max(50);

// ---- memory ------------------------------------------------------------------------------------

export const StoreInput = MemoryInputSchema.omit({ embedding: true, occurredAt: true }).extend({
  content: MemoryInputSchema.shape.content.describe('What to remember (at most 32768 characters)'),
  namespace: Namespace,
  occurredAt: JsonTimeSchema.optional().describe('When it happened (default: now)'),
  session: SessionSchema.optional().describe('Conversation / episode id: links the memory to its neighbours in time and to working memory'),
});

const MemoryUri = z.string().describe('The memory as a resource: insula://memory/{namespace}/{id}');

export const StoreOutput = z.object({
  id: z.string(),
  uri: MemoryUri,
  namespace: z.string(),
  /** Position within its session, -1 without a session. */
  seq: z.number().int(),
  /** Ids pushed out of the session's working memory by this admission. */
  displaced: z.array(z.string()),
});

export const RecallInput = RecallOptionsSchema.omit({ now: true, queryEmbedding: true }).extend({
  query: Query.describe('What to recall'),
  namespace: Namespace,
});

const ScoreExplanationSchema = z.object({
  relevance: z.number(),
  cosine: z.number(),
  bm25: z.number(),
  bm25Normalised: z.number(),
  multipliers: z.object({
    activation: z.number(),
    retention: z.number(),
    spread: z.number(),
    contiguity: z.number(),
    importance: z.number(),
    workingMemory: z.number(),
    somatic: z.number(),
    total: z.number(),
  }),
  signals: z.object({ activation: z.number(), retention: z.number(), spread: z.number() }),
});

export const RecallOutput = z.object({
  results: z.array(
    z.object({
      id: z.string(),
      uri: MemoryUri,
      content: z.string(),
      score: z.number(),
      type: z.enum(MEMORY_TYPES),
      domain: z.string(),
      session: z.string().nullable(),
      occurredAt: Iso,
      sources: z.array(z.enum(['vector', 'text', 'contiguity', 'association', 'working-memory'])),
      explanation: ScoreExplanationSchema,
    }),
  ),
  /** The hub's check of the first pass; null when the hub is off or regulate was false. */
  confidence: z.object({ confidence: z.number(), reliability: z.number(), salience: z.number(), margin: z.number(), low: z.boolean() }).nullable(),
  /** The wider second pass with episode support, when confidence was low. */
  adjustment: RetrievalAdjustmentSchema.nullable(),
});

/** A stored memory as the `insula://memory/...` resource shows it. */
export const MemoryRecord = z.object({
  id: z.string(),
  namespace: z.string(),
  content: z.string(),
  type: z.enum(MEMORY_TYPES),
  importance: z.number(),
  valence: z.number(),
  domain: z.string(),
  createdAt: Iso,
  occurredAt: Iso,
  session: z.string().nullable(),
  seq: z.number().int(),
  pinned: z.boolean(),
  source: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()).nullable(),
  accesses: z.number().int(),
  /** Ebbinghaus retention now, 0..1. */
  retention: z.number(),
});

export const ForgetInput = z.object({ id: MemoryId, namespace: Namespace }).strict();
export const ForgetOutput = z.object({ deleted: z.boolean() });

export const ForgetNamespaceInput = z.object({ namespace: NamespaceSchema }).strict();
export const ForgetNamespaceOutput = z.object({ deleted: z.number().int().describe('memories deleted') });

export const ReinforceInput = z
  .object({
    ids: ReinforceIds.describe('Memories used together in the turn'),
    outcome: z.number().min(-1).max(1).describe('How the turn went, -1..1'),
    namespace: Namespace,
  })
  .strict();
export const ReinforceOutput = z.object({ reinforced: z.number().int().describe('distinct ids submitted (unknown ids are ignored)') });

export const ConsolidateInput = ConsolidationOptionsSchema.pick({
  namespace: true,
  replay: true,
  transferFraction: true,
  downscaleFactor: true,
  pruneFloor: true,
  forgetFloor: true,
  duplicateThreshold: true,
});

export const ConsolidateOutput = z.object({
  reports: z.array(
    z.object({
      namespace: z.string(),
      scanned: z.number().int(),
      replayed: z.number().int(),
      linksDownscaled: z.number().int(),
      linksPruned: z.number().int(),
      forgotten: z.number().int(),
      merged: z.number().int(),
      insights: z.array(z.string()),
      qaPairs: z.number().int(),
    }),
  ),
});

export const StatsInput = z.object({ namespace: NamespaceSchema.optional().describe('One namespace; all when omitted') }).strict();

export const StatsOutput = z.object({
  embedder: z.string(),
  dims: z.number().int(),
  background: z.object({ pending: z.number().int(), failures: z.number().int(), lastError: z.string().nullable() }),
  namespaces: z.array(
    z.object({
      namespace: z.string(),
      memories: z.number().int(),
      links: z.number().int(),
      entities: z.number().int(),
      triples: z.number().int(),
      /** null when the hub is off. */
      hub: z.object({ events: z.number().int(), domains: z.number().int(), somaticMarkers: z.number().int() }).nullable(),
    }),
  ),
});

// ---- knowledge graph ---------------------------------------------------------------------------

export const AddTriplesInput = z
  .object({
    triples: z
      .array(
        TripleInputSchema.omit({ validFrom: true, validTo: true }).extend({
          validFrom: JsonTimeSchema.optional(),
          validTo: JsonTimeSchema.nullable().optional(),
        }),
      )
      .min(1)
      .max(500),
    namespace: Namespace,
  })
  .strict();

export const AddTriplesOutput = z.object({
  triples: z.array(
    z.object({
      id: z.string(),
      subject: z.string(),
      predicate: z.string(),
      object: z.string(),
      validFrom: Iso,
      validTo: Iso.nullable(),
      confidence: z.number(),
      memoryId: z.string().nullable(),
      createdAt: Iso,
    }),
  ),
});

export const NamespaceInput = z.object({ namespace: Namespace }).strict();

export const GraphHealthOutput = z.object({
  entities: z.number().int(),
  triples: z.number().int(),
  communities: z.number().int(),
  components: z.number().int(),
  isolatedCommunities: z.number().int(),
  fragmentation: z.number(),
  contradictions: z.array(z.object({ subject: z.string(), predicate: z.string(), objects: z.array(z.string()) })),
});

// ---- interoceptive hub -------------------------------------------------------------------------

const DomainView = z.object({
  valence: z.number(),
  valenceTrend: z.number(),
  anomaly: z.number(),
  successRate: z.number(),
  strategies: z.record(z.string(), z.object({ successRate: z.number(), trials: z.number(), changes: z.number() })),
  alignment: z.number(),
  confidence: z.number(),
  lastConfidence: z.number().nullable(),
  lastUpdate: z.number().describe('epoch milliseconds'),
});

/** The hub's state of one namespace (units in docs/hub.md). */
export const HubStateOutput = z.object({
  domains: z.record(z.string(), DomainView),
  arousal: z.number(),
  neuromodulators: z.object({ dopamine: z.number(), noradrenaline: z.number(), serotonin: z.number(), cortisol: z.number() }),
  generation: z.object({ temperature: z.number(), topP: z.number(), recallDepth: z.number(), exploration: z.number() }),
  deviating: z.array(z.string()),
  systemicAlert: z.boolean(),
  somaticMarkers: z.number().int(),
  events: z.number().int(),
});

export const SignalInput = InteroceptiveSignalSchema.omit({ time: true }).extend({
  time: JsonTimeSchema.optional(),
  namespace: Namespace,
});
export const SignalOutput = z.object({ namespace: z.string(), domain: z.string(), events: z.number().int(), domainState: DomainView });

export const FeedbackInput = z
  .object({
    outcome: z.union([z.boolean(), z.number().min(-1).max(1)]).describe('How it went: true / false, or -1 (failed) .. 1 (worked)'),
    domain: DomainSchema.default('general'),
    strategy: z.string().min(1).max(128).optional().describe('The action or strategy that was tried; omit for a domain-level outcome'),
    memoryIds: ReinforceIds.optional().describe('Memories used in the turn: reinforced (or weakened) by the outcome'),
    situation: z.string().min(1).max(8192).optional().describe('The situation (e.g. the user message): keys somatic markers for memoryIds'),
    namespace: Namespace,
  })
  .strict();
export const FeedbackOutput = z.object({
  successRate: z.number(),
  predictionError: z.number(),
  changed: z.boolean().describe('a change in the success rate was detected'),
  reinforced: z.number().int(),
});

export const RegulateOutput = z.object({ actions: z.array(RegulationActionSchema) });
