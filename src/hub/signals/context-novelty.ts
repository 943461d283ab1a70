/**
 * Contextual novelty of a scalar stream: how much of the recent, discretised trajectory has never
 * been seen before. Values are binned; the contexts "last k bins" (k = 1..order) are hashed into one
 * fixed-size table of fingerprints, at two time scales (every point, and means of blocks of points),
 * so memory and time per point are constant however long the stream runs.
 *
 * Novelty is weighted per context order by how predictable that order usually is: in pure noise
 * long contexts are always new and say nothing, while a never-seen short context (a new level, a
 * new jump) is informative. The weight of an order is 1 - (its running novel rate).
 */

const U32 = 4294967296;

/** Murmur3 finaliser: cheap, well-mixed 32-bit hash step. */
function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Hash of a bin index, which may exceed 32 bits (unbounded values are hashed, not clipped). */
function hashBin(b: number): number {
  return mix32((b >>> 0) ^ Math.imul(Math.floor(b / U32) | 0, 0x9e3779b1));
}

export interface ContextNoveltyConfig {
  /** Bins across the observed value range (width snapped to a power of two, see observe()). */
  bins: number;
  /** Longest context, in steps. */
  order: number;
  /** log2 of the fingerprint table size. */
  tableBits: number;
  /** Points per block for the slow scale. */
  blockSize: number;
  /** Smoothing of the per-order novel rate. */
  rateAlpha: number;
  /** Per-point pull of the range ends towards the baseline (lets the range shrink after outliers). */
  rangeDecay: number;
}

/** Scales: 0 = every point, 1 = block means. */
const SCALES = 2;
/** Scalars slots in the packed state. */
const S_LO = 0;
const S_HI = 1;
const S_N = 2;
const S_BLOCK_SUM = 3;
const S_BLOCK_COUNT = 4;
const S_POS0 = 5; // ring position per scale (SCALES slots)
const S_FILLED0 = S_POS0 + SCALES; // points pushed per scale (SCALES slots)
const S_SIZE = S_FILLED0 + SCALES;

export interface ContextNoveltyState {
  scalars: Float64Array;
  rings: Float64Array;
  rates: Float64Array;
  table: Uint32Array;
}

export class ContextNovelty {
  private readonly s = new Float64Array(S_SIZE);
  /** Last `order` bins per scale. */
  private readonly rings: Float64Array;
  /** Running novel rate per (scale, order). */
  private readonly rates: Float64Array;
  /** Fingerprints of seen contexts; 0 = empty. Collisions only evict, they never allocate. */
  private readonly table: Uint32Array;
  private readonly mask: number;

  constructor(private readonly cfg: ContextNoveltyConfig) {
    this.rings = new Float64Array(SCALES * cfg.order);
    this.rates = new Float64Array(SCALES * cfg.order);
    this.table = new Uint32Array(1 << cfg.tableBits);
    this.mask = (1 << cfg.tableBits) - 1;
  }

  /** Novelty in [0,1] of the context ending at `value`; `baseline` is where the range contracts to. */
  observe(value: number, baseline: number): number {
    const s = this.s;
    const cfg = this.cfg;
    if (s[S_N] === 0) s[S_LO] = s[S_HI] = value;
    s[S_N]!++;
    // Range: expands at once, contracts slowly, so one old outlier cannot coarsen bins for ever.
    s[S_LO]! += (baseline - s[S_LO]!) * cfg.rangeDecay;
    s[S_HI]! += (baseline - s[S_HI]!) * cfg.rangeDecay;
    if (value < s[S_LO]!) s[S_LO] = value;
    if (value > s[S_HI]!) s[S_HI] = value;
    const range = s[S_HI]! - s[S_LO]!;
    const raw = range > 0 ? range / cfg.bins : Math.abs(value) > 0 ? Math.abs(value) / cfg.bins : 1;
    // A power-of-two width anchored at zero keeps bins stable while the range grows: contexts
    // are remapped only when the range doubles, not on every new extreme.
    const exponent = Math.floor(Math.log2(raw));
    const width = Math.pow(2, exponent);

    let novelty = this.push(0, Math.floor(value / width), exponent);
    s[S_BLOCK_SUM]! += value;
    if (++s[S_BLOCK_COUNT]! >= cfg.blockSize) {
      const mean = s[S_BLOCK_SUM]! / s[S_BLOCK_COUNT]!;
      s[S_BLOCK_SUM] = 0;
      s[S_BLOCK_COUNT] = 0;
      // Slow scale catches changes in level or rhythm that single steps hide in noise.
      const slow = this.push(1, Math.floor(mean / width), exponent);
      if (slow > novelty) novelty = slow;
    }
    return novelty;
  }

  /** Pushes a bin on one scale's ring and returns the rate-weighted novel fraction of its contexts. */
  private push(scale: number, bin: number, exponent: number): number {
    const { order: K, rateAlpha } = this.cfg;
    const s = this.s;
    const pos = (s[S_POS0 + scale]! + 1) % K;
    s[S_POS0 + scale] = pos;
    const filled = ++s[S_FILLED0 + scale]!;
    const base = scale * K;
    this.rings[base + pos] = bin;
    const alpha = Math.max(rateAlpha, 1 / filled);
    let h = mix32(((exponent + 1024) | 0) ^ Math.imul(scale + 1, 0x27d4eb2f));
    let novel = 0;
    let weight = 0;
    const n = filled < K ? filled : K;
    for (let k = 0; k < n; k++) {
      h = mix32(h ^ hashBin(this.rings[base + ((pos - k + K) % K)]!) ^ k);
      const idx = h & this.mask;
      const fingerprint = (mix32(h ^ 0x5bd1e995) | 1) >>> 0;
      const isNovel = this.table[idx] !== fingerprint;
      if (isNovel) this.table[idx] = fingerprint;
      const r = this.rates[base + k]!;
      const w = 1 - r;
      weight += w;
      if (isNovel) novel += w;
      this.rates[base + k] = r + alpha * ((isNovel ? 1 : 0) - r);
    }
    // Dividing by at least 1 keeps rarely-predictable streams from turning tiny weights into alarms.
    return weight > 1e-9 ? novel / Math.max(weight, 1) : 0;
  }

  /** Current range of values seen (contracting slowly). */
  get range(): { lo: number; hi: number } {
    return { lo: this.s[S_LO]!, hi: this.s[S_HI]! };
  }

  state(): ContextNoveltyState {
    return { scalars: this.s, rings: this.rings, rates: this.rates, table: this.table };
  }

  load(state: ContextNoveltyState): void {
    const check = (name: string, a: { length: number }, b: { length: number }) => {
      if (a.length !== b.length) throw new RangeError(`ContextNovelty.load: ${name} has ${a.length} entries, expected ${b.length}`);
    };
    check('scalars', state.scalars, this.s);
    check('rings', state.rings, this.rings);
    check('rates', state.rates, this.rates);
    check('table', state.table, this.table);
    this.s.set(state.scalars);
    this.rings.set(state.rings);
    this.rates.set(state.rates);
    this.table.set(state.table);
  }
}
