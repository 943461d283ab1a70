/** The embedding contract every model runner implements. */
export interface Embedder {
  /** Stable identifier of model + configuration; stored with every memory so a store never mixes spaces. */
  readonly name: string;
  readonly dims: number;
  /**
   * Embeds a batch. Output vectors are L2-normalised (cosine = dot product). Empty or
   * whitespace-only strings yield the zero vector; over-long inputs are truncated, never rejected.
   */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

export function l2normalise(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  if (s > 0) {
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < v.length; i++) v[i]! *= inv;
  }
  return v;
}
