/**
 * zod schemas at the memory API boundary: the single source of the public types.
 * Every rejected call throws before anything is written.
 */
import { z } from 'zod';

export const MEMORY_TYPES = ['episodic', 'semantic', 'procedural', 'relational', 'emotional', 'opinion', 'causal'] as const;
export const MAX_CONTENT_CHARS = 32_768;
export const MAX_METADATA_BYTES = 16_384;
export const MAX_QUERY_CHARS = 8192;

/** Tenant / agent / user partition. Restricted characters keep ids printable and unambiguous. */
export const NamespaceSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/, 'namespace: 1-128 characters from A-Z a-z 0-9 _ . : @ -, starting with a letter or digit');

export const DomainSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$/, 'domain: 1-64 characters from A-Z a-z 0-9 _ . : / -');

/**
 * Kùzu stores strings as UTF-8, where a lone UTF-16 surrogate comes back as U+FFFD: text that is
 * written to the store must be well-formed so it reads back verbatim.
 */
const LONE_SURROGATE = /\p{Cs}/u;
export const isWellFormed = (s: string): boolean => !LONE_SURROGATE.test(s);
const WELL_FORMED = 'must be well-formed Unicode (a lone surrogate cannot be stored)';
export const StoredTextSchema = z.string().refine(isWellFormed, WELL_FORMED);

/** Replaces lone surrogates with U+FFFD, as UTF-8 encoding would, for text insula composes itself. */
export function toWellFormed(s: string): string {
  return s.replace(/\p{Cs}/gu, '\uFFFD');
}

/** The first `max` UTF-16 units of `s`, minus a high surrogate the cut would leave alone. */
export function clipText(s: string, max: number): string {
  if (s.length <= max) return s;
  const code = s.charCodeAt(max - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

export const SessionSchema = StoredTextSchema.min(1).max(256);

export const MemoryIdSchema = z.string().min(1).max(128);

/**
 * Times must print as ISO 8601 with a four-digit year (MCP results and exports carry them so, and
 * toISOString throws past ±8.64e15): 0000-01-01 to 9999-12-31. The store's INT64 columns hold far more.
 */
export const MIN_TIME_MS = Date.parse('0000-01-01T00:00:00.000Z');
export const MAX_TIME_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** Accepts Date, epoch milliseconds or an ISO string; yields whole epoch milliseconds (the store's unit). */
export const TimeSchema = z
  // Numbers first: a union tries its options in order, and epoch milliseconds are the common case.
  .union([
    z.number().finite().nonnegative().max(MAX_TIME_MS, 'after 9999-12-31'),
    z.date().min(new Date(MIN_TIME_MS), 'before year 0').max(new Date(MAX_TIME_MS), 'after 9999-12-31'),
    z.iso.datetime({ offset: true }),
    z.iso.date(),
  ])
  .transform((v) => (v instanceof Date ? v.getTime() : typeof v === 'number' ? Math.floor(v) : Date.parse(v)))
  .refine((v) => Number.isFinite(v), 'not a valid time');

const JsonValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number().finite(), z.boolean(), z.null(), z.array(JsonValue), z.record(z.string(), JsonValue)]),
);

export const MAX_METADATA_DEPTH = 32;

/**
 * Checks the raw value before zod walks it: zod recurses per level (a few thousand levels overflow
 * the stack; a cycle is infinitely deep) and silently drops a `__proto__` key (the stored record
 * would differ from the input). The walk stops once it has seen more nodes than the byte limit allows.
 */
function checkJsonShape(value: unknown, ctx: z.core.$RefinementCtx): void {
  const stack: Array<{ v: unknown; depth: number; path: PropertyKey[] }> = [{ v: value, depth: 0, path: [] }];
  for (let nodes = 0; stack.length > 0; nodes++) {
    if (nodes > MAX_METADATA_BYTES) {
      ctx.addIssue({ code: 'custom', message: `at most ${MAX_METADATA_BYTES} bytes as JSON` });
      return;
    }
    const { v, depth, path } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_METADATA_DEPTH) {
      ctx.addIssue({ code: 'custom', message: `nested deeper than ${MAX_METADATA_DEPTH} levels`, path });
      return;
    }
    for (const key of Object.keys(v)) {
      if (key === '__proto__') {
        ctx.addIssue({ code: 'custom', message: '"__proto__" is not allowed as a key', path: [...path, key] });
        return;
      }
      stack.push({ v: (v as Record<string, unknown>)[key], depth: depth + 1, path: [...path, key] });
    }
  }
}

export const MetadataSchema = z
  .unknown()
  .superRefine(checkJsonShape)
  .pipe(z.record(z.string(), JsonValue))
  .refine((m) => Buffer.byteLength(JSON.stringify(m)) <= MAX_METADATA_BYTES, `metadata: at most ${MAX_METADATA_BYTES} bytes as JSON`);

/** The store keeps FLOAT32: a larger finite number would become Infinity there and every score NaN. */
const isFloat32 = (x: number) => Number.isFinite(Math.fround(x));
const EmbeddingSchema = z.union([
  z.instanceof(Float32Array).refine((v) => v.every(isFloat32), 'every value must be finite'),
  z.array(z.number().refine(isFloat32, 'must be a finite float32 (|x| < 3.4e38)')),
]);

export const MemoryInputSchema = z
  .object({
    content: StoredTextSchema
      .max(MAX_CONTENT_CHARS, `content: at most ${MAX_CONTENT_CHARS} characters`)
      .refine((s) => s.trim().length > 0, 'content: must not be empty'),
    namespace: NamespaceSchema.default('default'),
    type: z.enum(MEMORY_TYPES).default('episodic'),
    importance: z.number().min(0).max(1).default(0.5),
    valence: z.number().min(-1).max(1).default(0),
    domain: DomainSchema.default('general'),
    occurredAt: TimeSchema.optional(),
    session: SessionSchema.optional(),
    source: StoredTextSchema.max(256).optional(),
    metadata: MetadataSchema.optional(),
    pinned: z.boolean().default(false),
    /** Entity names this memory mentions; linked in the knowledge graph. */
    entities: z.array(StoredTextSchema.trim().min(1).max(200)).max(64).optional(),
    /** A precomputed embedding; must match the store's dimensionality. */
    embedding: EmbeddingSchema.optional(),
  })
  .strict();
export type MemoryInput = z.input<typeof MemoryInputSchema>;
export type MemoryRecordInput = z.output<typeof MemoryInputSchema>;

export const RecallOptionsSchema = z
  .object({
    namespace: NamespaceSchema.default('default'),
    k: z.number().int().min(1).max(200).default(10),
    /** Session for working-memory context and contiguity; recalled items are admitted to it. */
    session: SessionSchema.optional(),
    types: z.array(z.enum(MEMORY_TYPES)).optional(),
    /** Only memories of this domain. */
    domain: DomainSchema.optional(),
    /** Domain the hub judges this recall in (confidence baseline, regulation) without filtering by it; defaults to `domain`, else "general". */
    hubDomain: DomainSchema.optional(),
    /** Drop results whose final score is below this. */
    minScore: z.number().min(0).default(0),
    /** Candidate pool per index before re-ranking (wider = better recall, slower). */
    candidates: z.number().int().min(1).max(1000).optional(),
    /** Record the access (ACT-R, spacing) and co-activation (Hebbian). */
    recordAccess: z.boolean().default(true),
    /** Outcome of the turn the recall served, -1..1: gates Hebbian strengthening. */
    outcome: z.number().min(-1).max(1).optional(),
    /** Let the hub act on this recall: somatic-marker multipliers and, when confidence is low, a wider second pass with episode support. */
    regulate: z.boolean().default(true),
    now: TimeSchema.optional(),
    /** The query's embedding, when the caller already has it from the same embedder: saves an embedding pass. */
    queryEmbedding: EmbeddingSchema.optional(),
  })
  .strict();
export type RecallOptions = z.input<typeof RecallOptionsSchema>;

export const ForgetOptionsSchema = z.object({ namespace: NamespaceSchema.default('default') }).strict();

/** Formats a zod error as "field: message; ..." so callers see which field was wrong. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const path = i.path.join('.');
      return path && !i.message.startsWith(`${path}:`) ? `${path}: ${i.message}` : i.message;
    })
    .join('; ');
}

export class InsulaValidationError extends Error {
  constructor(
    what: string,
    readonly issues: z.core.$ZodIssue[],
    detail: string,
  ) {
    super(`invalid ${what}: ${detail}`);
    this.name = 'InsulaValidationError';
  }
}

export function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new InsulaValidationError(what, result.error.issues, formatIssues(result.error));
  return result.data;
}
