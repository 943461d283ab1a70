/**
 * The skill router as an ONNX graph, and its TypeScript reference.
 *
 *   similarity  = cos(embedding, centroids)                      [batch, n]
 *   logits      = similarity (+ normalised embedding · W + b)     optional learned gate
 *   probability = softmax(logits / temperature)                   [batch, n]
 *
 * Centroids and gate are initializers, so onnxruntime folds their normalisation into constants when
 * the session loads and reads them in place; the router rebuilds the session (a few ms) when a
 * centroid or the gate changes, which is rare next to decisions (usage statistics do not count).
 * Measured on this project's CPU box with 256 skills × 512 dims at batch 1: 30-56 µs per run as
 * initializers against 316-754 µs with centroids fed as an input (copied and renormalised per call).
 * Temperature stays an input: it is one number and may change per call.
 */
import { GraphBuilder, valueInfo } from '../onnx/graph.js';

export const ROUTER_INPUTS = { embedding: 'embedding', temperature: 'temperature' } as const;
export const ROUTER_OUTPUTS = { probabilities: 'probabilities', similarity: 'similarity' } as const;

/** Norms below this count as zero: a zero vector has similarity 0 with everything, not NaN. */
const TINY = 1e-12;

/** Rows divided by their L2 norm (floored at TINY). */
function l2rows(g: GraphBuilder, x: string, axis: string, tiny: string): string {
  const norm = g.op('Sqrt', [g.op('ReduceSum', [g.op('Mul', [x, x]), axis], { keepdims: 1 })]);
  return g.op('Div', [x, g.op('Max', [norm, tiny])]);
}

export interface RouterWeights {
  /** n × d, row-major: one centroid per skill (any norm). */
  centroids: Float32Array;
  skills: number;
  dims: number;
  gate?: RouterGate;
}

/** Inputs: embedding float [batch, d], temperature float [1]. Outputs: probabilities and similarity [batch, n]. */
export function buildRouterGraph(w: RouterWeights): Uint8Array {
  if (w.skills < 1 || w.centroids.length !== w.skills * w.dims) throw new Error(`router graph: ${w.centroids.length} centroid values for ${w.skills} skills × ${w.dims} dims`);
  const g = new GraphBuilder('router');
  const axisLast = g.constant('int64', [1], [1], 'axis_last');
  const tiny = g.constant('float32', [], [TINY], 'tiny');
  const centroids = g.constant('float32', [w.skills, w.dims], w.centroids, 'centroids');
  const e = l2rows(g, ROUTER_INPUTS.embedding, axisLast, tiny);
  const similarity = g.op('Gemm', [e, l2rows(g, centroids, axisLast, tiny)], { transB: 1 }, ROUTER_OUTPUTS.similarity);
  let logits = similarity;
  if (w.gate) {
    // The gate reads the normalised embedding, so it sees direction only, like the similarity.
    const weights = g.constant('float32', [w.dims, w.skills], w.gate.weights, 'gate_w');
    const bias = g.constant('float32', [w.skills], w.gate.bias, 'gate_b');
    logits = g.op('Add', [similarity, g.op('Add', [g.op('MatMul', [e, weights]), bias])]);
  }
  g.op('Softmax', [g.op('Div', [logits, ROUTER_INPUTS.temperature])], { axis: -1 }, ROUTER_OUTPUTS.probabilities);
  return g.toModel(
    w.gate ? 'skill_router_gated' : 'skill_router',
    [valueInfo(ROUTER_INPUTS.embedding, 'float32', ['batch', w.dims]), valueInfo(ROUTER_INPUTS.temperature, 'float32', [1])],
    [valueInfo(ROUTER_OUTPUTS.probabilities, 'float32', ['batch', w.skills]), valueInfo(ROUTER_OUTPUTS.similarity, 'float32', ['batch', w.skills])],
  );
}

export interface RouterGate {
  /** d × n, row-major (column j is skill j's gate weights). */
  weights: Float32Array;
  bias: Float32Array;
}

export interface RouterScores {
  /** batch × n, row-major. */
  probabilities: Float64Array;
  similarity: Float64Array;
}

/** The graph's arithmetic in float64: the reference the ONNX output is tested against. */
export function routeReference(embeddings: readonly Float32Array[], centroids: readonly Float32Array[], temperature: number, gate?: RouterGate): RouterScores {
  const n = centroids.length;
  const d = centroids[0]?.length ?? 0;
  const unit = (v: Float32Array) => {
    const norm = Math.max(Math.sqrt(v.reduce((s, x) => s + x * x, 0)), TINY);
    return Array.from(v, (x) => x / norm);
  };
  const cs = centroids.map(unit);
  const probabilities = new Float64Array(embeddings.length * n);
  const similarity = new Float64Array(embeddings.length * n);
  embeddings.forEach((embedding, b) => {
    const e = unit(embedding);
    const logits = cs.map((c, j) => {
      let sim = 0;
      for (let k = 0; k < d; k++) sim += e[k]! * c[k]!;
      similarity[b * n + j] = sim;
      if (!gate) return sim;
      let z = gate.bias[j]!;
      for (let k = 0; k < d; k++) z += e[k]! * gate.weights[k * n + j]!;
      return sim + z;
    });
    const scaled = logits.map((z) => z / temperature);
    const max = Math.max(...scaled);
    const exps = scaled.map((z) => Math.exp(z - max));
    const total = exps.reduce((s, x) => s + x, 0);
    exps.forEach((x, j) => (probabilities[b * n + j] = x / total));
  });
  return { probabilities, similarity };
}
