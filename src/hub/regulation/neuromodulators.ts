/**
 * Neuromodulators as Ornstein–Uhlenbeck processes (seed: nezha): each level reverts at rate theta
 * to its mean and jitters by sigma. One step per hub event (dt = 1), so a restored state continues
 * exactly (the noise generator's state is part of it).
 *
 * Phasic modulators are kicked by events (x += gain · input) and revert to rest:
 *  - dopamine: reward prediction error (outcome − expected success);
 *  - noradrenaline: surprise (anomaly scores, detected changes of a strategy's success rate).
 * Tonic modulators have their mean moved by a sustained input (mean = rest + gain · input), so
 * their equilibrium is bounded and interpretable:
 *  - serotonin: success streaks raise it (patience), failure streaks lower it;
 *  - cortisol: sustained stress (the domain's long-run negative valence); slow to rise and to fall.
 *
 * The generation mapping is in `generationParams` (documented in docs/hub.md).
 */
import { z } from 'zod';

export const NEUROMODULATORS = ['dopamine', 'noradrenaline', 'serotonin', 'cortisol'] as const;
export type Neuromodulator = (typeof NEUROMODULATORS)[number];

const ProcessSchema = z.object({ rest: z.number().min(0).max(1), theta: z.number().gt(0).max(1), sigma: z.number().min(0).max(0.5), gain: z.number().min(0) }).strict();

type Process = z.output<typeof ProcessSchema>;

export const NeuromodulatorParamsSchema = z
  .object({
    dopamine: ProcessSchema.default({ rest: 0.5, theta: 0.2, sigma: 0.01, gain: 0.2 }),
    noradrenaline: ProcessSchema.default({ rest: 0.2, theta: 0.03, sigma: 0.005, gain: 0.6 }),
    serotonin: ProcessSchema.default({ rest: 0.5, theta: 0.05, sigma: 0.01, gain: 0.3 }),
    cortisol: ProcessSchema.default({ rest: 0.2, theta: 0.01, sigma: 0.005, gain: 0.6 }),
    /** Base generation parameters at rest. */
    temperature: z.number().min(0).max(2).default(0.7),
    topP: z.number().gt(0).max(1).default(0.9),
    /** Exploration rate at rest, and its bounds. */
    exploration: z.number().min(0).max(1).default(0.05),
    minExploration: z.number().min(0).max(1).default(0.01),
    maxExploration: z.number().min(0).max(1).default(0.5),
  })
  .strict();
export type NeuromodulatorParams = z.output<typeof NeuromodulatorParamsSchema>;

export interface NeuromodulatorState {
  levels: Record<Neuromodulator, number>;
  /** mulberry32 state for the noise term. */
  rng: number;
}

export interface NeuromodulatorDrive {
  /** Outcome − expectation, −1..1. */
  predictionError?: number;
  /** 0..1. */
  surprise?: number;
  /** Signed run length of successes (+) / failures (−). */
  streak?: number;
  /** 0..1: sustained unpleasantness (long-run negative valence). */
  stress?: number;
}

export function initialNeuromodulators(p: NeuromodulatorParams, seed = 0x9e3779b9): NeuromodulatorState {
  return { levels: { dopamine: p.dopamine.rest, noradrenaline: p.noradrenaline.rest, serotonin: p.serotonin.rest, cortisol: p.cortisol.rest }, rng: seed >>> 0 };
}

/**
 * One Euler–Maruyama step of every process with the given drive, in place: the hub steps once per
 * signal, so this path allocates nothing.
 */
export function stepNeuromodulators(s: NeuromodulatorState, drive: NeuromodulatorDrive, p: NeuromodulatorParams): void {
  // Box–Muller gives two independent normals per pair of draws.
  const r1 = Math.sqrt(-2 * Math.log(nextUniform(s)));
  const a1 = 2 * Math.PI * nextUniform(s);
  const r2 = Math.sqrt(-2 * Math.log(nextUniform(s)));
  const a2 = 2 * Math.PI * nextUniform(s);
  const l = s.levels;
  l.dopamine = phasic(l.dopamine, p.dopamine, drive.predictionError ?? 0, r1 * Math.cos(a1));
  l.noradrenaline = phasic(l.noradrenaline, p.noradrenaline, drive.surprise ?? 0, r1 * Math.sin(a1));
  l.serotonin = tonic(l.serotonin, p.serotonin, drive.streak === undefined ? 0 : Math.tanh(drive.streak / 5), r2 * Math.cos(a2));
  l.cortisol = tonic(l.cortisol, p.cortisol, drive.stress ?? 0, r2 * Math.sin(a2));
}

/** mulberry32 with its state kept in the snapshot, so a restored hub draws the same noise. */
function nextUniform(s: NeuromodulatorState): number {
  s.rng = (s.rng + 0x6d2b79f5) >>> 0;
  let t = s.rng;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
}

/** Kicked by an event, reverting to rest. */
function phasic(x: number, q: Process, input: number, noise: number): number {
  return clamp01(x + q.theta * (q.rest - x) + q.gain * input + q.sigma * noise);
}

/** Reverting to a mean that a sustained input moves. */
function tonic(x: number, q: Process, input: number, noise: number): number {
  return clamp01(x + q.theta * (q.rest + q.gain * input - x) + q.sigma * noise);
}

export interface GenerationParams {
  temperature: number;
  topP: number;
  /** Multiplier for how many memories recall returns (1 = as asked). */
  recallDepth: number;
  /** Probability of trying something other than the best-known strategy. */
  exploration: number;
}

/**
 * Surprise (noradrenaline) widens: hotter sampling, deeper recall, more exploration. Stress
 * (cortisol) narrows: cooler, more conservative sampling. Reward (dopamine) loosens top-p a
 * little; contentment (serotonin) lowers exploration. Each term is a deviation from rest.
 */
export function generationParams(s: NeuromodulatorState, p: NeuromodulatorParams): GenerationParams {
  const d = (name: Neuromodulator) => s.levels[name] - p[name].rest;
  const ne = d('noradrenaline');
  const cort = d('cortisol');
  return {
    temperature: round(clamp(p.temperature * (1 + 0.8 * ne + 0.3 * d('dopamine') - 1.2 * Math.max(0, cort)), 0.05, 1.5)),
    topP: round(clamp(p.topP + 0.1 * d('dopamine') - 0.3 * Math.max(0, cort), 0.5, 1)),
    recallDepth: round(clamp(1 + 2 * Math.max(0, ne) + Math.max(0, cort), 1, 3)),
    exploration: round(clamp(p.exploration * (1 + 8 * Math.max(0, ne)) * (1 - d('serotonin')), p.minExploration, p.maxExploration)),
  };
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
function clamp01(x: number): number {
  return clamp(x, 0, 1);
}
function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
