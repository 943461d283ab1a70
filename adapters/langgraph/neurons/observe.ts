/**
 * Observable events on LangGraph's `custom` stream: what a caller streaming a fascicle with
 * `streamMode: 'custom'` (and `subgraphs: true` for nested fascicles) sees of its progress.
 */
import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import { parse } from '../../../src/memory/schema.js';
import { ObservableEventSchema, type ObservableEvent } from './events.js';

/** An event as a stage reports it; the fascicle it runs in fills in `fascicle`. */
export type StageReport = Omit<ObservableEvent, 'at' | 'fascicle'> & { fascicle?: string };

/** Writes an observable event to the run's custom stream; nothing when the run does not stream it. */
export function emitObservable(config: LangGraphRunnableConfig | undefined, report: StageReport): void {
  if (!config?.writer) return;
  config.writer(parse(ObservableEventSchema, { fascicle: '', ...report, at: Date.now() }, 'observable event'));
}

/** The config a fascicle hands its stage: reports written through it name the fascicle. */
export function withinFascicle(config: LangGraphRunnableConfig, fascicle: string): LangGraphRunnableConfig {
  const writer = config.writer;
  if (!writer) return config;
  return {
    ...config,
    writer: (chunk: unknown) => {
      const parsed = ObservableEventSchema.safeParse(chunk);
      writer(parsed.success && parsed.data.fascicle === '' ? { ...parsed.data, fascicle } : chunk);
    },
  };
}
