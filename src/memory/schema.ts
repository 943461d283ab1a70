/**
 * zod schemas at the memory API boundary: the single source of the public types.
 * Every rejected call throws before anything is written.
 */
import { z } from 'zod';

export const MEMORY_TYPES = ['episodic', 'semantic', 'procedural', 'relational', 'emotional', 'opinion', 'causal'] as const;
export const MAX_CONTENT_CHARS = 32_768;
export const MAX_METADATA_BYTES = 16_384;

/** Tenant / agent / user partition. Restricted characters keep ids printable and unambiguous. */
export const NamespaceSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/, 'namespace: 1-128 characters from A-Z a-z 0-9 _ . : @ -, starting with a letter or digit');

export const DomainSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$/, 'domain: 1-64 characters from A-Z a-z 0-9 _ . : / -');

export const SessionSchema = z.string().min(1).max(256);

/** Accepts Date, epoch milliseconds or an ISO string; yields epoch milliseconds. */
export const TimeSchema = z
  // Numbers first: a union tries its options in order, and epoch milliseconds are the common case.
  .union([z.number().finite().nonnegative(), z.date(), z.iso.datetime({ offset: true }), z.iso.date()])
  .transform((v) => (v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(v)))
  .refine((v) => Number.isFinite(v), 'not a valid time');

const JsonValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number().finite(), z.boolean(), z.null(), z.array(JsonValue), z.record(z.string(), JsonValue)]),
);

export const MetadataSchema = z
  .record(z.string(), JsonValue)
  .refine((m) => Buffer.byteLength(JSON.stringify(m)) <= MAX_METADATA_BYTES, `metadata: at most ${MAX_METADATA_BYTES} bytes as JSON`);

export const MemoryInputSchema = z
  .object({
    content: z
      .string()
      .max(MAX_CONTENT_CHARS, `content: at most ${MAX_CONTENT_CHARS} characters`)
      .refine((s) => s.trim().length > 0, 'content: must not be empty'),
    namespace: NamespaceSchema.default('default'),
    type: z.enum(MEMORY_TYPES).default('episodic'),
    importance: z.number().min(0).max(1).default(0.5),
    valence: z.number().min(-1).max(1).default(0),
    domain: DomainSchema.default('general'),
    occurredAt: TimeSchema.optional(),
    session: SessionSchema.optional(),
    source: z.string().max(256).optional(),
    metadata: MetadataSchema.optional(),
    pinned: z.boolean().default(false),
    /** Entity names this memory mentions; linked in the knowledge graph. */
    entities: z.array(z.string().trim().min(1).max(200)).max(64).optional(),
    /** A precomputed embedding; must match the store's dimensionality. */
    embedding: z.union([z.instanceof(Float32Array), z.array(z.number().finite())]).optional(),
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
    /** Let the hub act on this recall: somatic-marker multipliers and, when confidence is low, a widened second pass. */
    regulate: z.boolean().default(true),
    now: TimeSchema.optional(),
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
