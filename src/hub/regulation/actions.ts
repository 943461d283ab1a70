/** Regulation actions: what the hub asks the host (or the memory core) to change, with reasons. */
import { z } from 'zod';

const Reason = z.string().min(1);

/** A second recall pass for a low-confidence recall (applied by `Insula.recallWithReport`). */
export const RetrievalAdjustmentSchema = z.object({
  kind: z.literal('retrieval-adjustment'),
  domain: z.string(),
  /** Multiply the candidate pool and the contiguity / association seeds of the second pass by this. */
  widen: z.number().min(1),
  /** Drop the caller's minimum score in the second pass. */
  lowerThreshold: z.boolean(),
  /**
   * Weight of episode support in the second pass: each episodic candidate's score is multiplied by
   * 1 + episodeSupport × (summed scores of the other episodic candidates within the contiguity
   * window of its session) / (best score). 0 leaves the ranking as it was.
   */
  episodeSupport: z.number().min(0).max(1),
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

/**
 * Cognitive dissonance in skill routing: the turn's routing confidence fell below this domain's
 * usual. The host (or insula's QA logger) collects (input, output, outcome) pairs for the domain,
 * training data for a new or better adapter.
 */
export const LearnSchema = z.object({
  kind: z.literal('learn'),
  domain: z.string(),
  /** The adapter the router picked anyway (null when it picked none). */
  adapter: z.string().nullable(),
  confidence: z.number().min(0).max(1),
  reason: Reason,
});

export const RegulationActionSchema = z.discriminatedUnion('kind', [
  RetrievalAdjustmentSchema,
  BehaviourShiftSchema,
  DriveUpdateSchema,
  AlertSchema,
  PauseAndAskSchema,
  GenerationSchema,
  LearnSchema,
]);
export type RegulationAction = z.infer<typeof RegulationActionSchema>;
export type RetrievalAdjustment = z.infer<typeof RetrievalAdjustmentSchema>;
export type BehaviourShift = z.infer<typeof BehaviourShiftSchema>;
export type Learn = z.infer<typeof LearnSchema>;
