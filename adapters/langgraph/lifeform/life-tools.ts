/**
 * The seed's AiLifeTools (§3.2): architectural plasticity and tool self-extension.
 * - Apoptosis: per-fascicle use and value; a fascicle whose use and value both stay low for a
 *   window of beats (after a protection period for new ones) is pruned.
 * - Composite tools: tool-call sequences that recur across tasks (contiguous n-grams of tool
 *   names, counted once per task) are offered as one LangChain tool that runs them in order.
 */
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { Serialized } from '@langchain/core/load/serializable';
import { tool, type StructuredToolInterface } from '@langchain/core/tools';
import { z } from 'zod';
import { InsulaValidationError, parse } from '../../../src/memory/schema.js';

export const ApoptosisParamsSchema = z
  .object({
    /** Beats a new fascicle is protected for, whatever its use. */
    protectBeats: z.number().int().min(0).default(20),
    /** Consecutive low beats (low use and low value) before a fascicle is pruned. */
    window: z.number().int().min(1).default(10),
    /** Uses per beat (EWMA) below which use counts as low. */
    minUseRate: z.number().min(0).default(0.05),
    /** Value (EWMA of outcomes, 0..1) below which value counts as low; an untried fascicle has shown none. */
    minValue: z.number().min(0).max(1).default(0.3),
    /** Learning rates of the use and value EWMAs. */
    useRate: z.number().gt(0).max(1).default(0.1),
    valueRate: z.number().gt(0).max(1).default(0.2),
  })
  .strict();
export type ApoptosisParams = z.input<typeof ApoptosisParamsSchema>;
type ApoptosisConfig = z.output<typeof ApoptosisParamsSchema>;

export const FascicleStatsSchema = z
  .object({
    /** Beats this fascicle has lived through. */
    age: z.number().int().min(0),
    uses: z.number().int().min(0),
    usesSinceBeat: z.number().int().min(0),
    /** Uses per beat, EWMA. */
    useRate: z.number().min(0),
    /** EWMA of outcome values (0..1); null before the first outcome. */
    value: z.number().min(0).max(1).nullable(),
    outcomes: z.number().int().min(0),
    tokens: z.number().min(0),
    /** Consecutive beats with low use and low value. */
    lowBeats: z.number().int().min(0),
  })
  .strict();
export type FascicleStats = z.infer<typeof FascicleStatsSchema>;

export function newFascicleStats(): FascicleStats {
  return { age: 0, uses: 0, usesSinceBeat: 0, useRate: 0, value: null, outcomes: 0, tokens: 0, lowBeats: 0 };
}

export function recordUse(s: FascicleStats, tokens: number): FascicleStats {
  return { ...s, uses: s.uses + 1, usesSinceBeat: s.usesSinceBeat + 1, tokens: s.tokens + tokens };
}

export function recordValue(s: FascicleStats, value: number, p: ApoptosisConfig): FascicleStats {
  const v = Math.min(1, Math.max(0, value));
  return { ...s, value: s.value === null ? v : s.value + p.valueRate * (v - s.value), outcomes: s.outcomes + 1 };
}

/** One beat of a fascicle's life: its use rate folds in this beat's uses, and a low beat extends the low streak. */
export function ageFascicle(s: FascicleStats, p: ApoptosisConfig): FascicleStats {
  const useRate = s.useRate + p.useRate * (s.usesSinceBeat - s.useRate);
  const low = useRate < p.minUseRate && (s.value ?? 0) < p.minValue;
  return { ...s, age: s.age + 1, usesSinceBeat: 0, useRate, lowBeats: low ? s.lowBeats + 1 : 0 };
}

/** Fascicles to prune: past protection and low in use and value for the whole window. */
export function apoptosisCandidates(stats: ReadonlyMap<string, FascicleStats>, keep: ReadonlySet<string>, p: ApoptosisConfig): string[] {
  return [...stats].filter(([name, s]) => !keep.has(name) && s.age >= p.protectBeats && s.lowBeats >= p.window).map(([name]) => name);
}

export const CompositeParamsSchema = z
  .object({
    minLength: z.number().int().min(2).max(16).default(2),
    maxLength: z.number().int().min(2).max(16).default(4),
    /** Tasks a sequence must occur in to be offered. */
    minSupport: z.number().int().min(2).default(3),
  })
  .strict()
  .refine((p) => p.minLength <= p.maxLength, { message: 'minLength: must not exceed maxLength', path: ['minLength'] });
export type CompositeParams = z.input<typeof CompositeParamsSchema>;

export interface RecurringSequence {
  tools: string[];
  /** Tasks (traces) the sequence occurs in. */
  support: number;
}

/**
 * Contiguous tool-name sequences that recur in at least `minSupport` traces. A sequence inside a
 * longer one with the same support is left out: the longer one already covers every use of it.
 */
export function recurringSequences(traces: readonly (readonly string[])[], params: CompositeParams = {}): RecurringSequence[] {
  const p = parse(CompositeParamsSchema, params, 'composite options');
  const support = new Map<string, number>();
  for (const trace of traces) {
    const seen = new Set<string>();
    for (let n = p.minLength; n <= Math.min(p.maxLength, trace.length); n++) {
      for (let i = 0; i + n <= trace.length; i++) seen.add(JSON.stringify(trace.slice(i, i + n)));
    }
    for (const key of seen) support.set(key, (support.get(key) ?? 0) + 1);
  }
  const frequent = [...support].filter(([, s]) => s >= p.minSupport).map(([key, s]) => ({ tools: JSON.parse(key) as string[], support: s }));
  const maximal = frequent.filter((a) => !frequent.some((b) => b.tools.length > a.tools.length && b.support === a.support && contains(b.tools, a.tools)));
  return maximal.sort((a, b) => b.support - a.support || b.tools.length - a.tools.length || a.tools.join().localeCompare(b.tools.join()));
}

function contains(longer: readonly string[], shorter: readonly string[]): boolean {
  for (let i = 0; i + shorter.length <= longer.length; i++) if (shorter.every((t, j) => longer[i + j] === t)) return true;
  return false;
}

/** Tool names must suit every provider (OpenAI's 64-character [A-Za-z0-9_-]). */
function compositeName(tools: readonly string[]): string {
  const name = `then_${tools.map((t) => t.replace(/[^A-Za-z0-9_-]/g, '_')).join('__')}`;
  return name.length <= 64 ? name : `${name.slice(0, 55)}_${hash(name)}`;
}

function hash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Argument names a tool's schema declares (a zod object or a JSON schema). */
function argNames(t: StructuredToolInterface): string[] {
  const schema = t.schema as { shape?: Record<string, unknown>; properties?: Record<string, unknown> };
  return Object.keys(schema.shape ?? schema.properties ?? {});
}

/**
 * The arguments of the next tool from the previous one's output: a JSON object output is passed
 * as the arguments; otherwise the output fills the next tool's single argument.
 */
function chainArgs(next: StructuredToolInterface, previous: unknown): Record<string, unknown> {
  const text = typeof previous === 'string' ? previous : JSON.stringify(previous);
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Not JSON: passed whole below.
  }
  const names = argNames(next);
  if (names.length !== 1) throw new Error(`composite tool: ${next.name} takes ${names.length} arguments (${names.join(', ')}); the previous tool must return them as a JSON object`);
  return { [names[0]!]: text };
}

/** One tool that runs `sequence` in order, each tool taking the previous one's output; it takes the first tool's arguments. */
export function compositeTool(sequence: readonly string[], available: readonly StructuredToolInterface[]) {
  const byName = new Map(available.map((t) => [t.name, t]));
  const tools = sequence.map((name) => {
    const t = byName.get(name);
    if (!t) throw new InsulaValidationError('composite tool', [], `sequence: no tool named ${name}`);
    return t;
  });
  const [first, ...rest] = tools;
  if (!first || rest.length === 0) throw new InsulaValidationError('composite tool', [], 'sequence: at least two tools');
  return tool(
    async (args: unknown, config) => {
      // Inner tools get plain arguments: with the composite's tool call in their config they would answer with ToolMessages.
      const { toolCall: _ownCall, ...inner } = config ?? {};
      let result: unknown = await first.invoke(args as never, inner);
      for (const next of rest) result = await next.invoke(chainArgs(next, result) as never, inner);
      return typeof result === 'string' ? result : JSON.stringify(result);
    },
    {
      name: compositeName(sequence),
      description: `Runs ${sequence.join(' → ')} in one step, each taking the previous one's output. ${first.description}`.slice(0, 1024),
      schema: first.schema as z.ZodObject,
    },
  );
}

/** The composite tools worth offering for these traces, over the tools available. */
export function offerCompositeTools(traces: readonly (readonly string[])[], available: readonly StructuredToolInterface[], params: CompositeParams = {}) {
  const names = new Set(available.map((t) => t.name));
  return recurringSequences(traces, params)
    .filter((s) => s.tools.every((t) => names.has(t)))
    .map((s) => ({ ...s, tool: compositeTool(s.tools, available) }));
}

/** Records the names of the tools a run calls, in call order. */
export class ToolTrace extends BaseCallbackHandler {
  name = 'insula_tool_trace';
  override awaitHandlers = true;
  readonly tools: string[] = [];

  override handleToolStart(t: Serialized, _input: string, _runId: string, _parent?: string, _tags?: string[], _metadata?: Record<string, unknown>, runName?: string): void {
    this.tools.push(runName ?? t.id.at(-1) ?? 'unknown');
  }
}
