/** Regulation actions: what the hub asks the host (or the memory core) to change, with reasons. */
import { z } from 'zod';

const Reason = z.string().min(1);

export const RetrievalAdjustmentSchema = z.object({
  kind: z.literal('retrieval-adjustment'),
  domain: z.string(),
  /** Multiply k and the candidate pool by this. */
  widen: z.number().min(1),
  lowerThreshold: z.boolean(),
  /** Give the lexical (BM25) side more weight. */
  addLexical: z.boolean(),
  reason: Reason,
});

export const BehaviourShiftSchema = z.object({
  kind: z.literal('behaviour-shift'),
  domain: z.string(),
  failing: z.string(),
  failingRate: z.number(),
  alternative: z.string().nullable(),
  alternativeRate: z.number().nullable(),
  reason: Reason,
});

export const DriveUpdateSchema = z.object({
  kind: z.literal('drive-update'),
  domain: z.string(),
  suggestion: z.string(),
  reason: Reason,
});

export const AlertSchema = z.object({
  kind: z.literal('alert'),
  severity: z.enum(['info', 'warning', 'critical']),
  domain: z.string().nullable(),
  sources: z.array(z.string()),
  message: z.string(),
  reason: Reason,
});

export const PauseAndAskSchema = z.object({
  kind: z.literal('pause-and-ask'),
  domain: z.string(),
  question: z.string(),
  reason: Reason,
});

export const GenerationSchema = z.object({
  kind: z.literal('generation'),
  temperature: z.number(),
  topP: z.number(),
  recallDepth: z.number(),
  exploration: z.number(),
  reason: Reason,
});

export const RegulationActionSchema = z.discriminatedUnion('kind', [
  RetrievalAdjustmentSchema,
  BehaviourShiftSchema,
  DriveUpdateSchema,
  AlertSchema,
  PauseAndAskSchema,
  GenerationSchema,
]);
export type RegulationAction = z.infer<typeof RegulationActionSchema>;
export type RetrievalAdjustment = z.infer<typeof RetrievalAdjustmentSchema>;
export type BehaviourShift = z.infer<typeof BehaviourShiftSchema>;
