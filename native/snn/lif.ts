/**
 * Leaky integrate-and-fire neuron, forward Euler with step dt:
 *
 *     v ← v + (dt/τ)(R·I − v);   v ≥ θ → spike, v ← v_reset, then held at v_reset for t_ref.
 *
 * R·I is the "current" argument (the resistance is folded into the weights). Arithmetic is float32
 * (Math.fround after every operation, in the ONNX graph's order) so this reference and the graph in
 * graph.ts agree bit for bit on the same inputs.
 */
import { z } from 'zod';

export const LifParamsSchema = z
  .object({
    /** Time step, in the same unit as tau and refractory (ms by convention). */
    dt: z.number().gt(0).max(1000).default(1),
    /** Membrane time constant. */
    tau: z.number().gt(0).max(1e6).default(4),
    threshold: z.number().gt(0).max(1000).default(1),
    reset: z.number().min(-1000).max(1000).default(0),
    /** Absolute refractory period; rounded to whole steps. */
    refractory: z.number().min(0).max(1e6).default(1),
  })
  .strict()
  .refine((p) => p.reset < p.threshold, 'reset must be below threshold')
  .refine((p) => p.dt <= p.tau, 'dt must not exceed tau (forward Euler would overshoot)');
export type LifParams = z.output<typeof LifParamsSchema>;

export interface LifState {
  v: Float32Array;
  /** Steps left in the refractory period (float, as in the graph). */
  refractoryLeft: Float32Array;
}

export function createLifState(neurons: number, p: LifParams): LifState {
  return { v: new Float32Array(neurons).fill(p.reset), refractoryLeft: new Float32Array(neurons) };
}

export function refractorySteps(p: LifParams): number {
  return Math.round(p.refractory / p.dt);
}

/** The leak factor dt/τ as the float32 constant the graph uses. */
export function leak(p: LifParams): number {
  return Math.fround(p.dt / p.tau);
}

/**
 * One step for every neuron, in place. Writes 1/0 spikes and the membrane potential before the reset
 * (what the surrogate gradient is evaluated on; NaN while refractory, where no gradient flows).
 */
export function lifStep(state: LifState, current: Float32Array, p: LifParams, spikes: Uint8Array, membrane?: Float32Array): void {
  const k = leak(p);
  const threshold = Math.fround(p.threshold);
  const reset = Math.fround(p.reset);
  const refSteps = refractorySteps(p);
  const { v, refractoryLeft } = state;
  for (let j = 0; j < v.length; j++) {
    const active = refractoryLeft[j]! < 0.5;
    const next = active ? Math.fround(v[j]! + Math.fround(k * Math.fround(current[j]! - v[j]!))) : reset;
    const spike = active && next >= threshold;
    if (membrane) membrane[j] = active ? next : Number.NaN;
    v[j] = spike ? reset : next;
    refractoryLeft[j] = spike ? refSteps : Math.max(refractoryLeft[j]! - 1, 0);
    spikes[j] = spike ? 1 : 0;
  }
}

/**
 * Analytic firing rate (spikes per time unit) under constant input R·I, from integrating
 * τ dv/dt = R·I − v from v_reset to θ:  f = 1 / (t_ref + τ ln((R·I − v_reset)/(R·I − θ))), 0 if R·I ≤ θ.
 */
export function analyticRate(current: number, p: LifParams): number {
  if (current <= p.threshold) return 0;
  return 1 / (p.refractory + p.tau * Math.log((current - p.reset) / (current - p.threshold)));
}

/** Simulated rate of one neuron under constant input over `duration` (spikes per time unit). */
export function simulatedRate(current: number, duration: number, p: LifParams): number {
  const state = createLifState(1, p);
  const input = Float32Array.of(current);
  const spike = new Uint8Array(1);
  const steps = Math.round(duration / p.dt);
  let count = 0;
  for (let n = 0; n < steps; n++) {
    lifStep(state, input, p, spike);
    count += spike[0]!;
  }
  return count / (steps * p.dt);
}
