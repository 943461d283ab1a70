/**
 * Poisson (Bernoulli-per-step) rate encoding of a situation embedding: component i fires at each
 * step with probability p_i = σ(gain · x_i) (seed: P(fire) ∝ σ(x)). Embeddings are unit vectors whose
 * components are about ±1/√dims, so the gain is scaled by √dims to spread p over (0, 1).
 *
 * The noise is an explicit tensor of uniforms, not drawn inside the graph, so the TypeScript
 * reference and the ONNX graph see exactly the same spikes (spike ⇔ u < p).
 */

/** The float32 encoding gain for an embedding size (the graph multiplies by this constant). */
export function encodingGain(gain: number, dims: number): number {
  return Math.fround(gain * Math.sqrt(dims));
}

/** Firing probabilities, float32 like the graph's Sigmoid. */
export function firingProbabilities(situation: Float32Array, gain: number): Float32Array {
  const g = encodingGain(gain, situation.length);
  return situation.map((x) => Math.fround(1 / (1 + Math.exp(-Math.fround(g * x)))));
}

/** Uniforms in [0, 1) for `steps` × `dims` draws, as float32 (what the graph receives). */
export function drawUniforms(random: () => number, steps: number, dims: number): Float32Array {
  const u = new Float32Array(steps * dims);
  // fround can round a draw just below 1 up to 1; keep it below 1 so a p of 1 always fires.
  for (let i = 0; i < u.length; i++) u[i] = Math.min(Math.fround(random()), 0.99999994);
  return u;
}

/** Spikes of step t: 1 where u[t, i] < p_i. */
export function poissonSpikes(probabilities: Float32Array, uniforms: Float32Array, step: number, out: Uint8Array): Uint8Array {
  const dims = probabilities.length;
  for (let i = 0; i < dims; i++) out[i] = uniforms[step * dims + i]! < probabilities[i]! ? 1 : 0;
  return out;
}
