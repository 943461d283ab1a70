/**
 * Spiking readout: two pools of LIF output neurons, "good" and "bad", driven by the hidden layer's
 * spikes. The gut valence is the pools' spike-count difference over the window,
 * (n_good − n_bad) / (pool · steps) ∈ [−1, 1]; a pool rather than a single neuron per sign averages
 * out the output layer's own spike-count noise.
 *
 * Trained online from each outcome by normalised least mean squares on ½(valence − outcome)²: the
 * valence's gradient g has the spike's derivative replaced by the ArcTan surrogate (surrogate.ts)
 * evaluated on the output membrane, and the membrane's dependence on a weight carried forward by an
 * eligibility trace (the LIF recursion v(t) = (1 − k)·v(t−1) + k·I(t), reset ignored as in
 * SuperSpike / e-prop). The step μ·(outcome − valence)·g / (‖g‖² + δ) corrects a fraction μ of the
 * error of the linearised readout whatever the scale of g, which the surrogate's α and the spike
 * counts would otherwise set.
 *
 * The readout is parametrised around each hidden neuron's mean rate m_j: I_o = Σ_j w_jo (h_j − m_j) + c_o,
 * so the effective bias is c_o − Σ_j w_jo m_j. Every hidden neuron fires for most situations, and
 * without centring the shared part of their rates dominates the gradient: each outcome would mostly
 * move the overall level rather than what tells situations apart (LMS on uncentred inputs).
 *
 *     ε_j(t) = (1 − k)·ε_j(t−1) + k·(h_j(t) − m_j),     ∂n_o/∂w_jo ≈ Σ_t σ'_α(v_o(t) − θ)·ε_j(t)
 *
 * Steps where an output neuron is refractory contribute nothing (its spike cannot change there).
 */
import { z } from 'zod';
import { leak, type LifParams } from './lif.js';
import { atanSurrogate } from './surrogate.js';

export const ReadoutParamsSchema = z
  .object({
    /** Output neurons per sign. */
    pool: z.number().int().min(1).max(256).default(8),
    /** NLMS step μ: the fraction of each outcome's error the linearised readout corrects (0 < μ < 2 is stable). */
    learningRate: z.number().min(0).max(2).default(0.3),
    /** NLMS regulariser δ, so a pass with almost no gradient cannot take a huge step. */
    regulariser: z.number().gt(0).max(100).default(0.01),
    /** Learning rate of the hidden neurons' mean rates m_j (an exponential moving average per outcome). */
    meanRate: z.number().gt(0).max(1).default(0.02),
  })
  .strict();
export type ReadoutParams = z.output<typeof ReadoutParamsSchema>;

export function outputCount(p: ReadoutParams): number {
  return 2 * p.pool;
}

/** +1 for a "good" output neuron (the first `pool`), −1 for a "bad" one. */
export function outputSign(o: number, p: ReadoutParams): 1 | -1 {
  return o < p.pool ? 1 : -1;
}

/** Signed spike count (good − bad) → valence, float32 like the graph's final Div. */
export function valenceFromCounts(signedCount: number, p: ReadoutParams, steps: number): number {
  return Math.fround(signedCount / (p.pool * steps));
}

/** What the forward pass records for learning: hidden spikes [steps × hidden] and output membranes [steps × outputs] (NaN while refractory). */
export interface ReadoutTrace {
  hiddenSpikes: Uint8Array;
  outputMembrane: Float32Array;
}

export interface ReadoutGradient {
  weights: Float64Array;
  bias: Float64Array;
}

/**
 * Surrogate gradient of the valence with respect to the output weights [hidden × outputs] and the
 * centred biases c [outputs], for one recorded forward pass.
 */
export function readoutGradient(
  trace: ReadoutTrace,
  hiddenMean: Float64Array,
  steps: number,
  p: ReadoutParams,
  lif: LifParams,
  alpha: number,
): ReadoutGradient {
  const hidden = hiddenMean.length;
  const outputs = outputCount(p);
  const k = leak(lif);
  const eligibility = new Float64Array(hidden);
  let biasEligibility = 0;
  const weights = new Float64Array(hidden * outputs);
  const bias = new Float64Array(outputs);
  const scale = 1 / (p.pool * steps);
  for (let t = 0; t < steps; t++) {
    for (let j = 0; j < hidden; j++) eligibility[j] = (1 - k) * eligibility[j]! + k * (trace.hiddenSpikes[t * hidden + j]! - hiddenMean[j]!);
    biasEligibility = (1 - k) * biasEligibility + k;
    for (let o = 0; o < outputs; o++) {
      const v = trace.outputMembrane[t * outputs + o]!;
      if (Number.isNaN(v)) continue;
      const g = scale * outputSign(o, p) * atanSurrogate(v - lif.threshold, alpha);
      for (let j = 0; j < hidden; j++) weights[j * outputs + o]! += g * eligibility[j]!;
      bias[o]! += g * biasEligibility;
    }
  }
  return { weights, bias };
}
