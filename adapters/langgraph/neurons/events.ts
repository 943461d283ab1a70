/**
 * What flows between neurons: `events`, the dynamic stream a neuron receives (the seed's
 * "events"), and what a fascicle reports while it runs (observable events on LangGraph's custom
 * stream). Shared by every neuron type, the fascicle builder and the lifeform.
 */
import { z } from 'zod';

/** One event in a neuron's input stream: a message, a sub-task, a tool result, a draft. */
export const NeuronEventSchema = z
  .object({
    role: z.string().min(1).max(64),
    content: z.string().max(200_000),
    /** The neuron (or outside source) that produced it. */
    source: z.string().max(256).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type NeuronEvent = z.infer<typeof NeuronEventSchema>;

/** A stage's progress as the caller sees it, on LangGraph's `custom` stream mode. */
export const ObservableEventSchema = z
  .object({
    type: z.enum(['stage_started', 'stage_completed', 'info']),
    fascicle: z.string(),
    stage: z.string(),
    message: z.string(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    /** Milliseconds since the epoch. */
    at: z.number(),
  })
  .strict();
export type ObservableEvent = z.infer<typeof ObservableEventSchema>;

/** The base neuron's tool channel: continuing a computation, never ending it. */
export type CallTools = (name: string, params: string) => Promise<string>;
/** The seed's AiNeuron primitive: the return value ends the computation; `calltools` continues it. */
export type AiNeuron = (input: string, calltools: CallTools) => Promise<string>;

/** What a fascicle takes and gives: one interface whatever its inner topology. */
export interface FascicleInput {
  events: NeuronEvent[];
}
export interface FascicleOutput {
  events: NeuronEvent[];
  /** The exit neuron's result: a typed object for a StructuredOutput exit, else a string. */
  output: unknown;
}
