/**
 * The inhibitory Transformer: the seed's defence against a "computational seizure", a feedback
 * loop amplifying events until the system drowns in them. Every step it feeds the number of events
 * reaching it to the hub as a host metric, and reads back the hub's own anomaly level for that
 * metric's domain (the metric's anomaly score, decaying over the following readings). In quiet
 * times the events pass untouched. While the hub reports an anomaly at or above `threshold`, the
 * events are throttled: identical events dropped, and at most `maxEvents` let through per step.
 *
 * The hub needs a baseline first: a metric scores 0 for its first readings (the hub's
 * `anomaly.warmup`, 50 by default), so the inhibitor is blind until it has seen quiet times. An
 * insula failure is contained like any other: the events pass untouched.
 */
import { z } from 'zod';
import { DomainSchema, parse } from '../../../src/memory/schema.js';
import type { NeuronEvent } from './events.js';
import { withTimeout } from '../../../src/timeout.js';
import { insulaOf, NeuronInsulaSchema } from './insula-link.js';
import { NeuronNameSchema } from './neuron.js';
import { emitObservable } from './observe.js';
import { replaceEvents, type NeuronNode } from './state.js';

/** A host metric's name, as the hub takes it. */
export const MetricNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, 'metric: 1-64 characters from A-Z a-z 0-9 _ . : -');

export const InhibitoryTransformerOptionsSchema = z
  .object({
    name: NeuronNameSchema,
    insula: NeuronInsulaSchema,
    /** The host metric fed with the event count; by default `<name>.events`. */
    metric: MetricNameSchema.optional(),
    /** The hub domain of the metric: one of its own, so other anomalies (tool latency, ...) do not throttle the events. */
    domain: DomainSchema.default('cascade'),
    /**
     * Anomaly level that counts as a cascade. Below the hub's refractory factor (0.5): after an
     * alarm the hub halves its scores for a while, and a new surge must still be seen.
     */
    threshold: z.number().gt(0).max(1).default(0.4),
    /** Events let through per step during a cascade. */
    maxEvents: z.number().int().min(1).max(100_000).default(8),
    /** Drop identical events (same role, source and content) during a cascade. */
    dedupe: z.boolean().default(true),
  })
  .strict();
export type InhibitoryTransformerOptions = z.input<typeof InhibitoryTransformerOptionsSchema>;

/** The events with identical ones dropped (when `dedupe`), then at most `maxEvents` of them, first come first kept. */
export function throttleEvents(events: readonly NeuronEvent[], maxEvents: number, dedupe: boolean): NeuronEvent[] {
  const seen = new Set<string>();
  const kept: NeuronEvent[] = [];
  for (const e of events) {
    if (kept.length >= maxEvents) break;
    const key = JSON.stringify([e.role, e.source ?? null, e.content]);
    if (dedupe && seen.has(key)) continue;
    seen.add(key);
    kept.push(e);
  }
  return kept;
}

export function createInhibitoryTransformer(options: InhibitoryTransformerOptions): NeuronNode {
  const opts = parse(InhibitoryTransformerOptionsSchema, options, 'inhibitory Transformer options');
  const metric = opts.metric ?? `${opts.name}.events`;
  const domain = opts.domain;
  const link = opts.insula;

  /** The hub's anomaly level for the metric's domain after this reading; 0 when insula fails. */
  async function anomalyAfter(count: number): Promise<number> {
    try {
      return await withTimeout(
        (async () => {
          const insula = insulaOf(link);
          const score = await insula.metric({ metric, value: count, domain, higherIsWorse: true }, link.namespace);
          const state = await insula.state(link.namespace);
          return Math.max(score, state.domains[domain]?.anomaly ?? 0);
        })(),
        link.timeoutMs,
      );
    } catch {
      return 0;
    }
  }

  return async (state, config) => {
    const incoming = state.events.length;
    const anomaly = await anomalyAfter(incoming);
    if (anomaly < opts.threshold) return {};
    const kept = throttleEvents(state.events, opts.maxEvents, opts.dedupe);
    emitObservable(config, {
      type: 'info',
      stage: opts.name,
      message: `cascade: ${incoming} events throttled to ${kept.length}`,
      metadata: { anomaly, incoming, passed: kept.length, metric, domain },
    });
    return { events: replaceEvents(kept) };
  };
}
