/**
 * The SNN intuition network and its TypeScript reference: Poisson-encoded situation → one layer of
 * LIF neurons (input weights learned by STDP) → spiking readout (learned from outcomes with the
 * ArcTan surrogate) → gut valence. graph.ts builds the same forward pass as an ONNX graph; this
 * file is the specification it is tested against, and the learning pass.
 *
 * Bit-exact agreement with the graph: weights enter the forward pass quantised to a power-of-two
 * grid fine enough that every sum of them the layer can form is exact in float32, so the order in
 * which a MatMul adds does not matter; everything else is float32 elementwise in the graph's order.
 */
import { z } from 'zod';
import { createLifState, LifParamsSchema, lifStep } from './lif.js';
import { drawUniforms, firingProbabilities, poissonSpikes } from './poisson.js';
import { outputCount, outputSign, readoutGradient, ReadoutParamsSchema, valenceFromCounts, type ReadoutTrace } from './readout.js';
import { createStdpTraces, scaleIncoming, StdpParamsSchema, stdpStep } from './stdp.js';
import { alphaFromEnergy, SurrogateGainSchema } from './surrogate.js';

export const SnnParamsSchema = z
  .object({
    /** Size of the situation embeddings. */
    dims: z.number().int().min(1).max(4096),
    hidden: z.number().int().min(1).max(4096).default(512),
    /** Simulated steps per prediction (the spike-count window). */
    steps: z.number().int().min(1).max(256).default(16),
    /** Poisson encoding gain, times √dims (poisson.ts). */
    encodingGain: z.number().gt(0).max(100).default(2),
    /** Initial input weights ~ N(0, (inputScale/√dims)²). */
    inputScale: z.number().gt(0).max(100).default(5),
    /**
     * A hidden neuron's mean drive when every input fires at p = ½, in thresholds. Well below 1 with a
     * large inputScale, each neuron fires only for situations aligned with its weights: a sparse code,
     * which the readout separates far better than a dense one (docs/native.md, SNN intuition).
     */
    hiddenDrive: z.number().min(0).max(10).default(0.3),
    /** |weight| bound of every layer; also sets the quantisation grid. */
    weightLimit: z.number().gt(0).max(64).default(1),
    lif: LifParamsSchema.prefault({}),
    stdp: StdpParamsSchema.prefault({}),
    readout: ReadoutParamsSchema.prefault({}),
    surrogate: SurrogateGainSchema.prefault({}),
  })
  .strict();
export type SnnParamsInput = z.input<typeof SnnParamsSchema>;
export type SnnParams = z.output<typeof SnnParamsSchema>;

/** Master weights (float64; learning updates accumulate here below the forward grid). */
export interface SnnWeights {
  /** [dims × hidden], pre i → post j at i · hidden + j. */
  input: Float64Array;
  hiddenBias: Float64Array;
  /** [hidden × outputs] (readout.ts: the good pool, then the bad pool). */
  output: Float64Array;
  /** Centred output biases c (readout.ts); the forward pass uses c_o − Σ_j w_jo m_j. */
  outputBias: Float64Array;
  /** m_j: running mean of each hidden neuron's rate (spikes per step), the readout's centre. */
  hiddenMean: Float64Array;
  /** Each hidden neuron's incoming L2 norm, held by synaptic scaling. */
  inputNorms: Float64Array;
}

/** What the forward pass (graph or reference) uses: float32, weights on the exact-sum grid. */
export interface ForwardWeights {
  input: Float32Array;
  hiddenBias: Float32Array;
  output: Float32Array;
  outputBias: Float32Array;
}

/** Power-of-two grid step such that `fanIn` weights of magnitude ≤ limit sum exactly in float32 (24-bit significand). */
export function quantisationStep(fanIn: number, limit: number): number {
  return 2 ** (Math.ceil(Math.log2(fanIn * limit)) - 24);
}

function quantise(values: Float64Array, step: number, limit: number): Float32Array {
  // A plain loop: this runs after every outcome, and TypedArray.from with a map goes through the iterator protocol.
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.round(Math.max(-limit, Math.min(limit, values[i]!)) / step) * step;
  return out;
}

export function forwardWeights(w: SnnWeights, p: SnnParams): ForwardWeights {
  const output = quantise(w.output, quantisationStep(p.hidden, p.weightLimit), p.weightLimit);
  const outputs = w.outputBias.length;
  const shift = new Float64Array(outputs);
  for (let j = 0; j < p.hidden; j++) for (let o = 0; o < outputs; o++) shift[o]! += output[j * outputs + o]! * w.hiddenMean[j]!;
  const outputBias = Float32Array.from(w.outputBias);
  for (let o = 0; o < outputs; o++) outputBias[o] = w.outputBias[o]! - shift[o]!;
  return {
    input: quantise(w.input, quantisationStep(p.dims, p.weightLimit), p.weightLimit),
    hiddenBias: Float32Array.from(w.hiddenBias),
    output,
    outputBias,
  };
}

/** Box–Muller normal from a uniform source. */
function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export function initialWeights(p: SnnParams, random: () => number): SnnWeights {
  const input = new Float64Array(p.dims * p.hidden);
  const sd = p.inputScale / Math.sqrt(p.dims);
  for (let i = 0; i < input.length; i++) input[i] = Math.max(-p.weightLimit, Math.min(p.weightLimit, sd * normal(random)));
  const inputNorms = new Float64Array(p.hidden);
  for (let j = 0; j < p.hidden; j++) {
    let sq = 0;
    for (let i = 0; i < p.dims; i++) sq += input[i * p.hidden + j]! ** 2;
    inputNorms[j] = Math.sqrt(sq);
  }
  // Small random readout weights and a bias just under threshold: every output neuron starts near
  // firing, where the surrogate gradient is largest.
  const outputs = outputCount(p.readout);
  const output = Float64Array.from({ length: p.hidden * outputs }, () => (0.1 / Math.sqrt(p.hidden)) * normal(random));
  const w: SnnWeights = {
    input,
    hiddenBias: new Float64Array(p.hidden),
    output,
    outputBias: new Float64Array(outputs).fill(0.8 * p.lif.threshold),
    hiddenMean: new Float64Array(p.hidden),
    inputNorms,
  };
  homeostaticBias(w, p);
  return w;
}

/**
 * Intrinsic homeostasis: each hidden neuron's bias holds its mean drive at hiddenDrive · θ when all
 * inputs fire at p = ½, so what it responds to is the situation's deviation from that, and STDP
 * reshaping its weights does not silence it or make it fire at every step.
 */
function homeostaticBias(w: SnnWeights, p: SnnParams): void {
  for (let j = 0; j < p.hidden; j++) {
    let sum = 0;
    for (let i = 0; i < p.dims; i++) sum += w.input[i * p.hidden + j]!;
    w.hiddenBias[j] = p.hiddenDrive * p.lif.threshold - 0.5 * sum;
  }
}

export interface ForwardRecord {
  valence: number;
  inputSpikes: Uint8Array;
  trace: ReadoutTrace;
}

/** The reference forward pass for one situation with the given uniforms [steps × dims]. */
export function forwardReference(w: ForwardWeights, p: SnnParams, situation: Float32Array, uniforms: Float32Array, record = false): ForwardRecord {
  const { dims, hidden, steps } = p;
  const outputs = outputCount(p.readout);
  const probabilities = firingProbabilities(situation, p.encodingGain);
  const hiddenState = createLifState(hidden, p.lif);
  const outputState = createLifState(outputs, p.lif);
  const inputStep = new Uint8Array(dims);
  const hiddenStep = new Uint8Array(hidden);
  const outputStep = new Uint8Array(outputs);
  const hiddenCurrent = new Float32Array(hidden);
  const outputCurrent = new Float32Array(outputs);
  const sums = new Float64Array(hidden);
  const inputSpikes = new Uint8Array(record ? steps * dims : 0);
  const hiddenSpikes = new Uint8Array(steps * hidden);
  const outputMembrane = new Float32Array(record ? steps * outputs : 0);
  const membrane = new Float32Array(outputs);
  let signedCount = 0;
  // The graph computes every hidden step before any output step; the order is immaterial here
  // (the readout does not feed back), so one loop does both.
  for (let t = 0; t < steps; t++) {
    poissonSpikes(probabilities, uniforms, t, inputStep);
    if (record) inputSpikes.set(inputStep, t * dims);
    sums.fill(0);
    for (let i = 0; i < dims; i++) {
      if (!inputStep[i]) continue;
      const row = i * hidden;
      for (let j = 0; j < hidden; j++) sums[j]! += w.input[row + j]!;
    }
    for (let j = 0; j < hidden; j++) hiddenCurrent[j] = Math.fround(sums[j]! + w.hiddenBias[j]!);
    lifStep(hiddenState, hiddenCurrent, p.lif, hiddenStep);
    hiddenSpikes.set(hiddenStep, t * hidden);
    for (let o = 0; o < outputs; o++) {
      let sum = 0;
      for (let j = 0; j < hidden; j++) if (hiddenStep[j]) sum += w.output[j * outputs + o]!;
      outputCurrent[o] = Math.fround(sum + w.outputBias[o]!);
    }
    lifStep(outputState, outputCurrent, p.lif, outputStep, membrane);
    if (record) outputMembrane.set(membrane, t * outputs);
    for (let o = 0; o < outputs; o++) signedCount += outputSign(o, p.readout) * outputStep[o]!;
  }
  return { valence: valenceFromCounts(signedCount, p.readout, steps), inputSpikes, trace: { hiddenSpikes, outputMembrane } };
}

export interface LearnOptions {
  /** The hub's energy level 0..1 (global arousal), setting the surrogate's α. */
  energy: number;
  /** Multiplier of the STDP amplitudes; 0 turns unsupervised learning off. */
  stdpScale: number;
}

/**
 * One online learning step from an observed outcome (−1..1) for a situation, in place: a recorded
 * forward pass, the surrogate-gradient (NLMS) readout update, the hidden mean rates, then STDP on
 * the input weights with synaptic scaling and homeostatic biases. Returns the valence the pass
 * predicted.
 */
export function learnFromOutcome(w: SnnWeights, p: SnnParams, situation: Float32Array, outcome: number, random: () => number, o: LearnOptions): number {
  const uniforms = drawUniforms(random, p.steps, p.dims);
  const rec = forwardReference(forwardWeights(w, p), p, situation, uniforms, true);
  const grad = readoutGradient(rec.trace, w.hiddenMean, p.steps, p.readout, p.lif, alphaFromEnergy(o.energy, p.surrogate));
  let squared = 0;
  for (const g of grad.weights) squared += g * g;
  for (const g of grad.bias) squared += g * g;
  const step = (p.readout.learningRate * (outcome - rec.valence)) / (squared + p.readout.regulariser);
  for (let i = 0; i < w.output.length; i++) w.output[i] = Math.max(-p.weightLimit, Math.min(p.weightLimit, w.output[i]! + step * grad.weights[i]!));
  for (let i = 0; i < w.outputBias.length; i++) w.outputBias[i]! += step * grad.bias[i]!;
  const spikes = rec.trace.hiddenSpikes;
  for (let j = 0; j < p.hidden; j++) {
    let count = 0;
    for (let t = 0; t < p.steps; t++) count += spikes[t * p.hidden + j]!;
    w.hiddenMean[j]! += p.readout.meanRate * (count / p.steps - w.hiddenMean[j]!);
  }
  if (o.stdpScale > 0) {
    const traces = createStdpTraces(p.dims, p.hidden);
    for (let t = 0; t < p.steps; t++) {
      stdpStep(traces, rec.inputSpikes.subarray(t * p.dims, (t + 1) * p.dims), rec.trace.hiddenSpikes.subarray(t * p.hidden, (t + 1) * p.hidden), w.input, p.stdp, p.lif.dt, o.stdpScale);
    }
    for (let i = 0; i < w.input.length; i++) w.input[i] = Math.max(-p.weightLimit, Math.min(p.weightLimit, w.input[i]!));
    scaleIncoming(w.input, p.dims, p.hidden, w.inputNorms);
    homeostaticBias(w, p);
  }
  return rec.valence;
}
