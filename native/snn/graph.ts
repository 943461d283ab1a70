/**
 * The SNN forward pass as an ONNX graph (opset 13), built with our graph builder so it can run on
 * the CUDA execution provider. The steps are unrolled (T is fixed per model; a few hundred small
 * nodes) because the LIF recursion is elementwise and a Loop body would cost more per step than it
 * saves. The weights are graph inputs, not initializers: online learning changes them after every
 * outcome and the session is built once.
 *
 *   situation [B, D], uniforms [B, T, D], inputWeights [D, N], hiddenBias [N],
 *   outputWeights [N, O], outputBias [O]  →  valence [B]      (O = 2 · pool)
 *
 * Same arithmetic, in the same order, as `forwardReference` in network.ts.
 */
import { GraphBuilder, valueInfo } from '../onnx/graph.js';
import { leak, refractorySteps } from './lif.js';
import type { SnnParams } from './network.js';
import { encodingGain } from './poisson.js';
import { outputCount, outputSign } from './readout.js';

const FLOAT = 1; // onnx.TensorProto.DataType.FLOAT, the Cast target

interface LayerSpikes {
  /** Per step, the [B, n] float spikes. */
  spikes: string[];
}

/** Unrolls `steps` LIF steps over currents [B, T, n]; the state starts at reset, not refractory. */
function lifLayer(g: GraphBuilder, currents: string, p: SnnParams, hint: string): LayerSpikes {
  const k = g.constant('float32', [], [leak(p.lif)], `${hint}_leak`);
  const threshold = g.constant('float32', [], [p.lif.threshold], `${hint}_threshold`);
  const reset = g.constant('float32', [], [p.lif.reset], `${hint}_reset`);
  const refSteps = g.constant('float32', [], [refractorySteps(p.lif)], `${hint}_refractory`);
  const one = g.constant('float32', [], [1], `${hint}_one`);
  const half = g.constant('float32', [], [0.5], `${hint}_half`);
  const zero = g.constant('float32', [], [0], `${hint}_zero`);
  // Scalars broadcast against [B, n] on the first step, so no batch-shaped initial state is needed.
  let v = reset;
  let refractory = zero;
  const spikes: string[] = [];
  for (let t = 0; t < p.steps; t++) {
    const index = g.constant('int64', [], [t], `${hint}_t`);
    const current = g.op('Gather', [currents, index], { axis: 1 });
    const active = g.op('Less', [refractory, half]);
    const integrated = g.op('Add', [v, g.op('Mul', [k, g.op('Sub', [current, v])])]);
    const next = g.op('Where', [active, integrated, reset]);
    const spike = g.op('And', [active, g.op('GreaterOrEqual', [next, threshold])]);
    v = g.op('Where', [spike, reset, next]);
    refractory = g.op('Where', [spike, refSteps, g.op('Relu', [g.op('Sub', [refractory, one])])]);
    spikes.push(g.op('Cast', [spike], { to: FLOAT }));
  }
  return { spikes };
}

export function buildSnnGraph(p: SnnParams): Uint8Array {
  const g = new GraphBuilder('snn');
  const gain = g.constant('float32', [], [encodingGain(p.encodingGain, p.dims)], 'gain');
  const axisStep = g.constant('int64', [1], [1], 'axis_step');

  const probabilities = g.op('Unsqueeze', [g.op('Sigmoid', [g.op('Mul', ['situation', gain])]), axisStep]);
  const inputSpikes = g.op('Cast', [g.op('Less', ['uniforms', probabilities])], { to: FLOAT });
  const hiddenCurrents = g.op('Add', [g.op('MatMul', [inputSpikes, 'inputWeights']), 'hiddenBias']);
  const hidden = lifLayer(g, hiddenCurrents, p, 'hidden');

  const hiddenTrain = g.op('Concat', hidden.spikes.map((s) => g.op('Unsqueeze', [s, axisStep])), { axis: 1 });
  const outputCurrents = g.op('Add', [g.op('MatMul', [hiddenTrain, 'outputWeights']), 'outputBias']);
  const output = lifLayer(g, outputCurrents, p, 'output');

  const outputs = outputCount(p.readout);
  const counts = output.spikes.reduce((sum, s) => g.op('Add', [sum, s]));
  // Integer counts times ±1 sum exactly, so (good − bad) is the same number in any order.
  const signs = g.constant('float32', [outputs], Array.from({ length: outputs }, (_, o) => outputSign(o, p.readout)), 'signs');
  g.op('Div', [g.op('MatMul', [counts, signs]), g.constant('float32', [], [p.readout.pool * p.steps], 'window')], {}, 'valence');

  return g.toModel(
    'snn_intuition',
    [
      valueInfo('situation', 'float32', ['batch', p.dims]),
      valueInfo('uniforms', 'float32', ['batch', p.steps, p.dims]),
      valueInfo('inputWeights', 'float32', [p.dims, p.hidden]),
      valueInfo('hiddenBias', 'float32', [p.hidden]),
      valueInfo('outputWeights', 'float32', [p.hidden, outputs]),
      valueInfo('outputBias', 'float32', [outputs]),
    ],
    [valueInfo('valence', 'float32', ['batch'])],
  );
}
