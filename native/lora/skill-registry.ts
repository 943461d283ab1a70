/**
 * The skill registry: one card per LoRA adapter the host can serve (name, description, base model,
 * where the adapter lives), with the centroid of the embeddings of what it is good at and its usage
 * and success statistics. Pure functions return a new registry; `loadSkillRegistry` /
 * `saveSkillRegistry` persist it as a meta value of the insula store (survives restarts with the
 * memories and hub state, transactional, no extra file).
 */
import { z } from 'zod';
import { InsulaValidationError, parse } from '../../src/memory/schema.js';
import type { GraphStore } from '../../src/memory/store.js';

/** Meta key of the registry in the store (host-wide: adapters are served by the host, not per user). */
export const SKILL_REGISTRY_KEY = 'skill-registry';

/** The name the host serves the adapter under (e.g. the model name of a multi-LoRA server). */
export const SkillNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,127}$/, 'name: 1-128 characters from A-Z a-z 0-9 _ . : @ / -, starting with a letter or digit');

const finiteVector = z.union([z.instanceof(Float32Array), z.array(z.number())]).refine((v) => v.length > 0 && Array.from(v).every(Number.isFinite), 'a non-empty vector of finite numbers');

export const SkillCardInputSchema = z
  .object({
    name: SkillNameSchema,
    description: z.string().max(4096).default(''),
    /** The model the adapter was trained on. */
    baseModel: z.string().min(1).max(256),
    /** Where the adapter is: a path, a URL or a served model name. */
    adapter: z.string().min(1).max(4096),
  })
  .strict();
export type SkillCardInput = z.input<typeof SkillCardInputSchema>;

export const SkillCardPatchSchema = SkillCardInputSchema.omit({ name: true }).partial().strict();
export type SkillCardPatch = z.input<typeof SkillCardPatchSchema>;

export interface SkillStats {
  /** Turns routed to this adapter. */
  routed: number;
  /** Routed turns whose outcome is known, and the sum of their success (0..1 each). */
  outcomes: number;
  successes: number;
  /** Last time it was routed to (ms since the epoch), null before. */
  lastRouted: number | null;
}

export interface SkillGate {
  weights: Float32Array;
  bias: number;
}

export interface SkillCard {
  name: string;
  description: string;
  baseModel: string;
  adapter: string;
  /** Running mean of the example embeddings (not normalised, so later examples weigh exactly 1 / n). */
  mean: Float32Array;
  /** Examples averaged into `mean`. */
  examples: number;
  /** This skill's column of the router's learned linear gate (added to its logit), null until learned. */
  gate: SkillGate | null;
  stats: SkillStats;
  createdAt: number;
  updatedAt: number;
}

export interface SkillRegistry {
  /** The embedder whose vector space the centroids live in (cosine across spaces means nothing). */
  embedder: string;
  dims: number;
  /** In insertion order, which is the router's output order. */
  cards: readonly SkillCard[];
}

export function emptySkillRegistry(embedder: string, dims: number): SkillRegistry {
  return { embedder: parse(z.string().min(1), embedder, 'embedder'), dims: parse(z.number().int().min(1).max(65_536), dims, 'dims'), cards: [] };
}

/** The unit vector the router compares against: the renormalised mean (the zero vector stays zero). */
export function centroid(card: Pick<SkillCard, 'mean'>): Float32Array {
  let norm = 0;
  for (const x of card.mean) norm += x * x;
  norm = Math.sqrt(norm);
  return card.mean.map((x) => (norm > 0 ? x / norm : 0));
}

/** Success rate with one pseudo-outcome at 0.5, so an unjudged adapter reads 0.5, not 0 or NaN. */
export function successRate(stats: SkillStats): number {
  return (stats.successes + 0.5) / (stats.outcomes + 1);
}

function checkExamples(registry: SkillRegistry, examples: readonly Float32Array[], what: string): void {
  parse(z.array(finiteVector).min(1, `${what}: at least one example embedding`), examples, what);
  const bad = examples.findIndex((e) => e.length !== registry.dims);
  if (bad >= 0) throw new InsulaValidationError(what, [], `example ${bad} has ${examples[bad]!.length} dims, the registry's embedder ${registry.embedder} gives ${registry.dims}`);
}

function cardIndex(registry: SkillRegistry, name: string): number {
  const i = registry.cards.findIndex((c) => c.name === name);
  if (i < 0) throw new InsulaValidationError('skill', [], `no skill named "${name}"`);
  return i;
}

function replaceCard(registry: SkillRegistry, i: number, card: SkillCard): SkillRegistry {
  return { ...registry, cards: registry.cards.map((c, j) => (j === i ? card : c)) };
}

/** A new card whose centroid is the mean of `examples` (embeddings of its description and typical requests). */
export function addSkill(registry: SkillRegistry, input: SkillCardInput, examples: readonly Float32Array[], now = Date.now()): SkillRegistry {
  const card = parse(SkillCardInputSchema, input, 'skill card');
  if (registry.cards.some((c) => c.name === card.name)) throw new InsulaValidationError('skill card', [], `a skill named "${card.name}" already exists`);
  checkExamples(registry, examples, `examples of ${card.name}`);
  const { mean, count } = addToMean(new Float32Array(registry.dims), 0, examples);
  return {
    ...registry,
    cards: [...registry.cards, { ...card, mean, examples: count, gate: null, stats: { routed: 0, outcomes: 0, successes: 0, lastRouted: null }, createdAt: now, updatedAt: now }],
  };
}

export function updateSkill(registry: SkillRegistry, name: string, patch: SkillCardPatch, now = Date.now()): SkillRegistry {
  const i = cardIndex(registry, name);
  const fields = parse(SkillCardPatchSchema, patch, `update of ${name}`);
  return replaceCard(registry, i, { ...registry.cards[i]!, ...fields, updatedAt: now });
}

export function removeSkill(registry: SkillRegistry, name: string): SkillRegistry {
  const i = cardIndex(registry, name);
  return { ...registry, cards: registry.cards.filter((_, j) => j !== i) };
}

/** Folds more examples into a card's running mean: mean_{n+k} = (n · mean_n + Σ e) / (n + k). */
export function learnExamples(registry: SkillRegistry, name: string, examples: readonly Float32Array[], now = Date.now()): SkillRegistry {
  const i = cardIndex(registry, name);
  checkExamples(registry, examples, `examples of ${name}`);
  const card = registry.cards[i]!;
  const { mean, count } = addToMean(card.mean, card.examples, examples);
  return replaceCard(registry, i, { ...card, mean, examples: count, updatedAt: now });
}

function addToMean(mean: Float32Array, count: number, examples: readonly Float32Array[]): { mean: Float32Array; count: number } {
  const sum = Float64Array.from(mean, (x) => x * count);
  for (const e of examples) for (let d = 0; d < sum.length; d++) sum[d]! += e[d]!;
  const total = count + examples.length;
  return { mean: Float32Array.from(sum, (x) => x / total), count: total };
}

/** Replaces a card's gate column (see router.ts, `reinforceGate`). */
export function setGate(registry: SkillRegistry, name: string, gate: SkillGate | null): SkillRegistry {
  const i = cardIndex(registry, name);
  if (gate && (gate.weights.length !== registry.dims || !gate.weights.every(Number.isFinite) || !Number.isFinite(gate.bias))) {
    throw new InsulaValidationError(`gate of ${name}`, [], `weights must be ${registry.dims} finite numbers and the bias finite`);
  }
  return replaceCard(registry, i, { ...registry.cards[i]!, gate });
}

export function recordRouted(registry: SkillRegistry, name: string, now = Date.now()): SkillRegistry {
  const i = cardIndex(registry, name);
  const card = registry.cards[i]!;
  return replaceCard(registry, i, { ...card, stats: { ...card.stats, routed: card.stats.routed + 1, lastRouted: now } });
}

/** How a routed turn went: true/false or 0..1 (1 = it worked). */
export function recordOutcome(registry: SkillRegistry, name: string, success: boolean | number): SkillRegistry {
  const s = parse(z.union([z.boolean(), z.number().min(0).max(1)]), success, `outcome for ${name}`);
  const i = cardIndex(registry, name);
  const card = registry.cards[i]!;
  return replaceCard(registry, i, { ...card, stats: { ...card.stats, outcomes: card.stats.outcomes + 1, successes: card.stats.successes + Number(s) } });
}

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');

/** The persisted registry (version 1); vectors are base64 float32 bytes, exact and compact. */
const RegistrySnapshotSchema = z
  .object({
    version: z.literal(1),
    embedder: z.string().min(1),
    dims: z.number().int().min(1).max(65_536),
    cards: z.array(
      SkillCardInputSchema.extend({
        description: z.string().max(4096),
        mean: base64,
        examples: z.number().int().min(0),
        gate: z.object({ weights: base64, bias: z.number() }).strict().nullable(),
        stats: z.object({ routed: z.number().int().min(0), outcomes: z.number().int().min(0), successes: z.number().min(0), lastRouted: z.number().nullable() }).strict(),
        createdAt: z.number(),
        updatedAt: z.number(),
      }).strict(),
    ),
  })
  .strict();

export function serialiseSkillRegistry(registry: SkillRegistry): string {
  return JSON.stringify({
    version: 1,
    embedder: registry.embedder,
    dims: registry.dims,
    cards: registry.cards.map((c) => ({ ...c, mean: encodeVector(c.mean), gate: c.gate && { weights: encodeVector(c.gate.weights), bias: c.gate.bias } })),
  });
}

/** Checks the stored text field by field: a damaged registry throws instead of routing on garbage. */
export function parseSkillRegistry(json: string): SkillRegistry {
  const raw = parse(RegistrySnapshotSchema, JSON.parse(json), 'stored skill registry');
  const vector = (text: string, what: string) => {
    const bytes = Buffer.from(text, 'base64');
    const v = bytes.byteLength === raw.dims * 4 ? new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) : null;
    if (!v || !v.every(Number.isFinite)) throw new InsulaValidationError('stored skill registry', [], `${what} is not ${raw.dims} finite numbers`);
    return v;
  };
  const cards = raw.cards.map((c) => ({
    ...c,
    mean: vector(c.mean, `skill ${c.name}: centroid`),
    gate: c.gate && { weights: vector(c.gate.weights, `skill ${c.name}: gate`), bias: c.gate.bias },
  }));
  return { embedder: raw.embedder, dims: raw.dims, cards };
}

function encodeVector(v: Float32Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

export type MetaStore = Pick<GraphStore, 'getMeta' | 'setMeta'>;

/** The stored registry, or null when the store has none under `key`. */
export async function loadSkillRegistry(store: MetaStore, key = SKILL_REGISTRY_KEY): Promise<SkillRegistry | null> {
  const json = await store.getMeta(key);
  return json === null ? null : parseSkillRegistry(json);
}

export async function saveSkillRegistry(store: MetaStore, registry: SkillRegistry, key = SKILL_REGISTRY_KEY): Promise<void> {
  await store.setMeta(key, serialiseSkillRegistry(registry));
}
