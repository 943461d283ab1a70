/**
 * The state every neuron node reads and writes inside a fascicle: `events` appended to by most
 * neurons (a reducer concatenates what parallel branches add) and replaced by Transformers (through
 * LangGraph's `Overwrite`); `output` the latest neuron's result, so a fascicle's output is its exit's.
 */
import { Annotation, Overwrite, type Command, type LangGraphRunnableConfig } from '@langchain/langgraph';
import type { NeuronEvent } from './events.js';

export const FascicleState = Annotation.Root({
  // The channel applies an Overwrite itself; the reducer only ever receives appended arrays.
  events: Annotation<NeuronEvent[], NeuronEvent[] | Overwrite<NeuronEvent[]>>({ reducer: (current, added) => current.concat(added as NeuronEvent[]), default: () => [] }),
  output: Annotation<unknown>({ reducer: (_previous, next) => next, default: () => null }),
});
export type FascicleStateValue = typeof FascicleState.State;

/** What a neuron node returns: an update (events appended or replaced, output) or, for a Router, a Command of Sends. */
export interface NeuronUpdate {
  events?: NeuronEvent[] | Overwrite<NeuronEvent[]>;
  output?: unknown;
}
/** A neuron as a LangGraph node. A Send delivers only `events`, so `output` may be missing. */
export type NeuronNode = (state: { events: NeuronEvent[]; output?: unknown }, config: LangGraphRunnableConfig) => Promise<NeuronUpdate | Command>;

/** The events as one input string, the seed's `input`: one block per event, with who produced it. */
export function renderEvents(events: readonly NeuronEvent[]): string {
  return events.map((e) => `[${e.role}${e.source ? ` from ${e.source}` : ''}]\n${e.content}`).join('\n\n');
}

/** Replaces the event stream instead of appending to it (a Transformer's write). */
export function replaceEvents(events: NeuronEvent[]): Overwrite<NeuronEvent[]> {
  return new Overwrite(events);
}
