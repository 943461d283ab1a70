/**
 * Pair-based spike-timing-dependent plasticity with exponential traces (all-to-all pairing).
 * Each presynaptic neuron keeps a trace x (decays with τ+, +1 per spike), each postsynaptic one a
 * trace y (decays with τ−, +1 per spike). A post spike potentiates by A+·x, a pre spike depresses by
 * A−·y, which sums, over every pair with Δt = t_post − t_pre, to the documented window:
 *
 *     Δw(Δt) = A+ · exp(−Δt/τ+)   for Δt ≥ 0   (pre before post: causal, strengthened)
 *     Δw(Δt) = −A− · exp(Δt/τ−)   for Δt < 0   (post before pre: weakened)
 *
 * Spikes in the same step count as pre-before-post (Δt = 0 → +A+). The window's area is negative by
 * default (A− τ− > A+ τ+, with margin for the extra Δt = 0 bin of discrete time), so uncorrelated
 * firing depresses on balance (Song, Miller & Abbott 2000) and only inputs that help a neuron fire
 * gain weight.
 */
import { z } from 'zod';

export const StdpParamsSchema = z
  .object({
    aPlus: z.number().min(0).max(1).default(0.0002),
    aMinus: z.number().min(0).max(1).default(0.00024),
    /** Trace time constants, in the LIF time unit. */
    tauPlus: z.number().gt(0).max(1e6).default(8),
    tauMinus: z.number().gt(0).max(1e6).default(8),
  })
  .strict();
export type StdpParams = z.output<typeof StdpParamsSchema>;

/** The analytic window: weight change for one pre/post pair Δt = t_post − t_pre apart. */
export function stdpWindow(deltaT: number, p: StdpParams): number {
  return deltaT >= 0 ? p.aPlus * Math.exp(-deltaT / p.tauPlus) : -p.aMinus * Math.exp(deltaT / p.tauMinus);
}

export interface StdpTraces {
  pre: Float64Array;
  post: Float64Array;
}

export function createStdpTraces(pre: number, post: number): StdpTraces {
  return { pre: new Float64Array(pre), post: new Float64Array(post) };
}

/**
 * One step of plasticity on weights[i · post + j] (pre i → post j), in place: decay the traces,
 * depress at pre spikes, potentiate at post spikes, then add this step's spikes to the traces.
 * `scale` multiplies both amplitudes (0 freezes the weights but still runs the traces).
 */
export function stdpStep(traces: StdpTraces, preSpikes: Uint8Array, postSpikes: Uint8Array, weights: Float64Array, p: StdpParams, dt: number, scale = 1): void {
  const nPre = traces.pre.length;
  const nPost = traces.post.length;
  const decayPre = Math.exp(-dt / p.tauPlus);
  const decayPost = Math.exp(-dt / p.tauMinus);
  for (let i = 0; i < nPre; i++) traces.pre[i]! *= decayPre;
  for (let j = 0; j < nPost; j++) traces.post[j]! *= decayPost;
  const aMinus = scale * p.aMinus;
  const aPlus = scale * p.aPlus;
  for (let i = 0; i < nPre; i++) {
    if (!preSpikes[i]) continue;
    traces.pre[i]! += 1;
    if (aMinus === 0) continue;
    const row = i * nPost;
    for (let j = 0; j < nPost; j++) weights[row + j]! -= aMinus * traces.post[j]!;
  }
  for (let j = 0; j < nPost; j++) {
    if (!postSpikes[j]) continue;
    if (aPlus !== 0) for (let i = 0; i < nPre; i++) weights[i * nPost + j]! += aPlus * traces.pre[i]!;
    traces.post[j]! += 1;
  }
}

/**
 * Synaptic scaling: rescales each postsynaptic neuron's incoming weights to a target L2 norm, so
 * STDP redistributes a neuron's drive among its inputs instead of growing or starving it.
 */
export function scaleIncoming(weights: Float64Array, nPre: number, nPost: number, targetNorms: Float64Array): void {
  for (let j = 0; j < nPost; j++) {
    let sq = 0;
    for (let i = 0; i < nPre; i++) sq += weights[i * nPost + j]! ** 2;
    const norm = Math.sqrt(sq);
    if (norm === 0) continue;
    const f = targetNorms[j]! / norm;
    for (let i = 0; i < nPre; i++) weights[i * nPost + j]! *= f;
  }
}
