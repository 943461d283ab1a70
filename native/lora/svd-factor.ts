/**
 * Factors a weight delta ΔW (m × n) into rank-r LoRA factors, ΔW ≈ B · A with B (m × r) and
 * A (r × n), by truncated SVD (ml-matrix): B = U_r · √Σ_r and A = √Σ_r · V_rᵀ, the balanced split,
 * so neither factor carries all the scale. By Eckart–Young this is the best rank-r approximation
 * in the Frobenius norm; `explainedVariance` = Σ_{i<r} σ_i² / Σ σ_i² is the share of ΔW's energy kept.
 * Use it to extract an adapter from a fine-tuned model's delta, or to resize one (rank 128 → 32).
 */
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { z } from 'zod';
import { parse } from '../../src/memory/schema.js';

const numbers = z.union([z.instanceof(Float32Array), z.instanceof(Float64Array), z.array(z.number())]);

export const WeightDeltaSchema = z
  .object({
    rows: z.number().int().min(1).max(65_536),
    cols: z.number().int().min(1).max(65_536),
    /** Row-major, rows × cols finite numbers. */
    data: numbers,
  })
  .strict()
  .refine((m) => m.data.length === m.rows * m.cols, { message: 'data: must hold rows × cols numbers', path: ['data'] })
  .refine((m) => Array.prototype.every.call(m.data, Number.isFinite), { message: 'data: every entry must be a finite number', path: ['data'] });
export type WeightDelta = z.input<typeof WeightDeltaSchema>;

export interface LoraFactors {
  rank: number;
  /** m × rank, row-major. */
  b: Float32Array;
  /** rank × n, row-major. */
  a: Float32Array;
  /** All singular values of ΔW, largest first. */
  singularValues: number[];
  /** Share of ΔW's squared Frobenius norm the factors keep, 0..1 (1 for a zero ΔW). */
  explainedVariance: number;
  /** ‖ΔW − B·A‖_F / ‖ΔW‖_F = √(1 − explainedVariance). */
  relativeError: number;
}

export function factorLowRank(delta: WeightDelta, rank: number): LoraFactors {
  const m = parse(WeightDeltaSchema, delta, 'weight delta');
  const r = parse(z.number().int().min(1).max(Math.min(m.rows, m.cols), `rank: at most min(rows, cols) = ${Math.min(m.rows, m.cols)}`), rank, 'rank');
  const matrix = new Matrix(m.rows, m.cols);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) matrix.set(i, j, m.data[i * m.cols + j]!);
  // autoTranspose: the decomposition needs rows ≥ cols; it transposes and swaps U and V otherwise.
  const svd = new SingularValueDecomposition(matrix, { autoTranspose: true });
  const sigma = svd.diagonal;
  const order = sigma.map((_, i) => i).sort((x, y) => sigma[y]! - sigma[x]!);
  const u = svd.leftSingularVectors;
  const v = svd.rightSingularVectors;
  const b = new Float32Array(m.rows * r);
  const a = new Float32Array(r * m.cols);
  for (let k = 0; k < r; k++) {
    const s = Math.sqrt(sigma[order[k]!]!);
    for (let i = 0; i < m.rows; i++) b[i * r + k] = u.get(i, order[k]!) * s;
    for (let j = 0; j < m.cols; j++) a[k * m.cols + j] = v.get(j, order[k]!) * s;
  }
  const sorted = order.map((i) => sigma[i]!);
  const energy = sorted.reduce((sum, s) => sum + s * s, 0);
  const kept = sorted.slice(0, r).reduce((sum, s) => sum + s * s, 0);
  const explainedVariance = energy === 0 ? 1 : Math.min(1, kept / energy);
  return { rank: r, b, a, singularValues: sorted, explainedVariance, relativeError: Math.sqrt(Math.max(0, 1 - explainedVariance)) };
}

/** B · A as a row-major m × n array: the delta the factors stand for. */
export function composeDelta(factors: Pick<LoraFactors, 'a' | 'b' | 'rank'>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  const r = factors.rank;
  for (let i = 0; i < rows; i++) {
    for (let k = 0; k < r; k++) {
      const bik = factors.b[i * r + k]!;
      for (let j = 0; j < cols; j++) out[i * cols + j]! += bik * factors.a[k * cols + j]!;
    }
  }
  return out;
}
