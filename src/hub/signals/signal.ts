/**
 * The one shape every interoceptive source emits, validated at the hub's boundary: a rejected
 * signal never reaches a baseline.
 */
import { z } from 'zod';
import { DomainSchema, TimeSchema } from '../../memory/schema.js';

export const SIGNAL_SOURCES = ['anomaly', 'emotion', 'feedback', 'confidence', 'alignment', 'host', 'snn-intuition'] as const;
export const MAX_CONTEXT_CHARS = 2048;

const ContextValue = z.union([z.string().max(512), z.number().finite(), z.boolean(), z.null()]);

export const SignalContextSchema = z
  .record(z.string().max(64), ContextValue)
  .refine((c) => JSON.stringify(c).length <= MAX_CONTEXT_CHARS, `context: at most ${MAX_CONTEXT_CHARS} characters as JSON`);

export const InteroceptiveSignalSchema = z
  .object({
    source: z.enum(SIGNAL_SOURCES),
    domain: DomainSchema.default('general'),
    /** Pleasant (+1) to unpleasant (−1). */
    valence: z.number().min(-1).max(1),
    /** Strength / urgency, 0..1. */
    arousal: z.number().min(0).max(1).default(0.5),
    time: TimeSchema.optional(),
    context: SignalContextSchema.optional(),
  })
  .strict();
export type InteroceptiveSignalInput = z.input<typeof InteroceptiveSignalSchema>;
export type InteroceptiveSignal = z.output<typeof InteroceptiveSignalSchema> & { time: number };

/** A host-fed metric (latency, token use, error rate, ...): tracked against its own baseline. */
export const HostMetricSchema = z
  .object({
    metric: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, 'metric: 1-64 characters from A-Z a-z 0-9 _ . : -'),
    value: z.number().finite(),
    domain: DomainSchema.default('general'),
    /** Whether higher values are worse (latency, errors) or better (throughput). */
    higherIsWorse: z.boolean().default(true),
    time: TimeSchema.optional(),
  })
  .strict();
export type HostMetricInput = z.input<typeof HostMetricSchema>;
