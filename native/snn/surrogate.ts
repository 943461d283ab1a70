/**
 * ArcTan surrogate gradient for the Heaviside spike S = H(u), u = v − threshold.
 *
 * The seed writes it as α/(1 + (αu)²). snnTorch (`surrogate.atan`) and SpikingJelly (`surrogate.ATan`)
 * both use the normalised form of Fang et al. (ICCV 2021), the derivative of S ≈ ½ + arctan(π α u / 2)/π:
 *
 *     ∂S/∂u = (α/2) / (1 + (π α u / 2)²)
 *
 * We use that one: it integrates to 1 over u (the expected total gradient of a 0 → 1 step, whatever α),
 * so α only changes how sharply the gradient concentrates near threshold, not its total amount. The
 * seed's form is π times this one with its α equal to π α / 2. α = 2 is both libraries' default.
 */
import { z } from 'zod';

export function atanSurrogate(u: number, alpha: number): number {
  const x = (Math.PI / 2) * alpha * u;
  return alpha / 2 / (1 + x * x);
}

/** The smooth step whose derivative `atanSurrogate` is (used by the tests to check the normalisation). */
export function atanStep(u: number, alpha: number): number {
  return 0.5 + Math.atan((Math.PI / 2) * alpha * u) / Math.PI;
}

export const SurrogateGainSchema = z
  .object({
    /** α at energy 0 and at energy 1; α moves linearly between them. */
    minAlpha: z.number().gt(0).max(100).default(1),
    maxAlpha: z.number().gt(0).max(100).default(4),
  })
  .strict()
  .refine((g) => g.minAlpha <= g.maxAlpha, 'minAlpha must not exceed maxAlpha');
export type SurrogateGain = z.output<typeof SurrogateGainSchema>;

/**
 * Dynamic gain (seed: α modulated by the agent's ATP level; the energy level 0..1 comes from the
 * hub, see `hubEnergy` in intuition.ts). High energy sharpens the surrogate (a taller, narrower
 * gradient: learning focuses on neurons near threshold); low energy flattens it (smaller, more
 * diffuse updates). Energy 0.5 gives α = 2.5 with the defaults.
 */
export function alphaFromEnergy(energy: number, gain: SurrogateGain): number {
  const e = Math.min(1, Math.max(0, Number.isFinite(energy) ? energy : 0));
  return gain.minAlpha + (gain.maxAlpha - gain.minAlpha) * e;
}
