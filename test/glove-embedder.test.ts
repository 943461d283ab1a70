import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder } from '../native/embedder.js';
import { buildGloveGraph, dequantiseRow, isTokenisableWord, quantiseRows, type QuantisedTable } from '../native/glove/build.js';
import {
  createGloveEmbedder,
  GLOVE_MODEL_FILE,
  GLOVE_VOCAB_FILE,
  GloveEmbedderOptionsSchema,
  locateGloveModelDir,
  readGloveVocab,
  textToIds,
  tokeniseWords,
} from '../native/glove/embedder.js';
import { createSession, ort } from '../native/onnx/session.js';
import { seededRandom } from '../src/random.js';

function randomVectors(rows: number, dims: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: rows * dims }, () => (random() - 0.5) * 6);
}

const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * b[i]!, 0);
const norm = (a: Float32Array) => Math.sqrt(dot(a, a));

/** The graph's semantics in plain JS: dequantise, masked mean, L2-normalise (zero stays zero). */
function referenceEmbedding(table: QuantisedTable, ids: number[]): Float32Array {
  const mean = new Float64Array(table.dims);
  for (const id of ids) {
    const row = dequantiseRow(table, id);
    for (let d = 0; d < table.dims; d++) mean[d]! += row[d]!;
  }
  let sq = 0;
  for (let d = 0; d < table.dims; d++) {
    mean[d]! /= Math.max(ids.length, 1);
    sq += mean[d]! * mean[d]!;
  }
  const scale = sq > 0 ? 1 / Math.sqrt(sq) : 0;
  return Float32Array.from(mean, (x) => x * scale);
}

describe('GloVe int8 quantisation', () => {
  it('bounds the per-component error by half the row scale and keeps zero rows exact', () => {
    const dims = 16;
    const vectors = randomVectors(50, dims, 7);
    vectors.fill(0, 3 * dims, 4 * dims); // row 3 is all zeros
    const table = quantiseRows(vectors, dims);
    expect(table.rows).toBe(50);
    for (let r = 0; r < table.rows; r++) {
      const row = dequantiseRow(table, r);
      const scale = table.scales[r]!;
      let peak = 0;
      for (let d = 0; d < dims; d++) {
        expect(Math.abs(row[d]! - vectors[r * dims + d]!)).toBeLessThanOrEqual(scale / 2 + 1e-6);
        peak = Math.max(peak, Math.abs(table.values[r * dims + d]!));
      }
      // Symmetric scaling uses the full int8 range on every non-zero row.
      expect(peak).toBe(r === 3 ? 0 : 127);
    }
    expect(table.scales[3]).toBe(0);
    expect([...dequantiseRow(table, 3)]).toEqual(new Array(dims).fill(0));
  });

  it('rejects a buffer that is not a whole number of rows', () => {
    expect(() => quantiseRows(new Float32Array(10), 3)).toThrow(/multiple/);
  });
});

describe('GloVe lookup graph on a synthetic vocabulary', () => {
  const dims = 5;
  const vectors = randomVectors(6, dims, 42);
  vectors.fill(0, 5 * dims); // row 5: a zero vector
  const table = quantiseRows(vectors, dims);
  let session: ort.InferenceSession;

  beforeAll(async () => {
    session = (await createSession(buildGloveGraph(table), { device: 'cpu' })).session;
  });
  afterAll(async () => {
    await session?.release();
  });

  async function run(rows: number[][]): Promise<Float32Array[]> {
    const seq = Math.max(1, ...rows.map((r) => r.length));
    const ids = new BigInt64Array(rows.length * seq);
    const mask = new Float32Array(rows.length * seq);
    rows.forEach((row, b) =>
      row.forEach((id, s) => {
        ids[b * seq + s] = BigInt(id);
        mask[b * seq + s] = 1;
      }),
    );
    // Padding ids point at a real row: only the mask may keep them out of the mean.
    for (let i = 0; i < ids.length; i++) if (mask[i] === 0) ids[i] = 1n;
    const result = await session.run({
      ids: new ort.Tensor('int64', ids, [rows.length, seq]),
      mask: new ort.Tensor('float32', mask, [rows.length, seq]),
    });
    const out = result.embedding!;
    expect(out.dims).toEqual([rows.length, dims]);
    const data = out.data as Float32Array;
    return rows.map((_, b) => data.slice(b * dims, (b + 1) * dims));
  }

  it('equals a plain-JS dequantise + masked mean + normalise within 1e-6', async () => {
    const rows = [[0, 1, 2], [3], [4, 4, 0, 2, 1], [2, 5]];
    const got = await run(rows);
    rows.forEach((ids, b) => {
      const want = referenceEmbedding(table, ids);
      for (let d = 0; d < dims; d++) expect(Math.abs(got[b]![d]! - want[d]!)).toBeLessThan(1e-6);
      expect(norm(got[b]!)).toBeCloseTo(1, 6);
    });
  });

  it('gives the zero vector for fully masked rows and zero-vector words, without NaN', async () => {
    const [masked, zeroWord, normal] = await run([[], [5], [0]]);
    expect([...masked!]).toEqual(new Array(dims).fill(0));
    expect([...zeroWord!]).toEqual(new Array(dims).fill(0));
    expect(norm(normal!)).toBeCloseTo(1, 6);
  });
});

describe('GloVe tokeniser', () => {
  it('lowercases, folds accents and keeps internal apostrophes and hyphens', () => {
    expect([...tokeniseWords('Don’t E-mail the CAFÉ, naïve owner’s 42 x--y!')]).toEqual([
      "don't", 'e-mail', 'the', 'cafe', 'naive', "owner's", '42', 'x', 'y',
    ]);
  });

  it('maps contractions and unknown compounds onto vocabulary words', () => {
    const vocab = new Map(['do', 'not', 'can', 'owner', 'e-mail', 'well', 'known', 'obrien'].map((w, i) => [w, i]));
    expect(textToIds("don't", vocab, 10)).toEqual([0, 1]);
    expect(textToIds("can't", vocab, 10)).toEqual([2, 1]);
    expect(textToIds("owner's e-mail", vocab, 10)).toEqual([3, 4]);
    expect(textToIds('well-known', vocab, 10)).toEqual([5, 6]);
    expect(textToIds("O'Brien", vocab, 10)).toEqual([7]);
    expect(textToIds('zzz qqq', vocab, 10)).toEqual([]);
    expect(textToIds('do do do do', vocab, 3)).toEqual([0, 0, 0]);
  });

  it('options schema is strict and fills defaults', () => {
    expect(GloveEmbedderOptionsSchema.parse({})).toMatchObject({ maxTokens: 512, batchSize: 64, device: 'auto' });
    expect(() => GloveEmbedderOptionsSchema.parse({ maxTokens: 10, modelDir: '/tmp' })).toThrow();
  });
});

describe('shipped GloVe artifact', () => {
  let embedder: Embedder;

  beforeAll(async () => {
    embedder = await createGloveEmbedder({ device: 'cpu', threads: 2 });
  });
  afterAll(async () => {
    await embedder?.close();
  });

  it('is small enough to ship and its vocabulary is all reachable by the tokeniser', () => {
    const dir = locateGloveModelDir();
    const total = statSync(join(dir, GLOVE_MODEL_FILE)).size + statSync(join(dir, GLOVE_VOCAB_FILE)).size;
    expect(total).toBeLessThan(6 * 1024 * 1024);
    const vocab = readGloveVocab(join(dir, GLOVE_VOCAB_FILE));
    expect(vocab.size).toBe(40_000);
    expect(vocab.get('the')).toBe(0); // frequency order: the most common word first
    for (const word of vocab.keys()) if (!isTokenisableWord(word)) throw new Error(`unreachable vocabulary word ${word}`);
  });

  it('loads with 100 dims and unit-length vectors', async () => {
    expect(embedder.name).toBe('glove-100d-int8');
    expect(embedder.dims).toBe(100);
    const [v] = await embedder.embed(['The quick brown fox jumps over the lazy dog']);
    expect(v).toHaveLength(100);
    expect(norm(v!)).toBeCloseTo(1, 5);
  });

  it('places related words closer than unrelated ones', async () => {
    const [royals, nobility, banana, fruit] = await embedder.embed(['king queen', 'prince princess royal', 'banana', 'apple mango fruit']);
    expect(dot(royals!, nobility!)).toBeGreaterThan(dot(royals!, banana!) + 0.2);
    expect(dot(banana!, fruit!)).toBeGreaterThan(dot(banana!, royals!) + 0.2);
  });

  it('returns the zero vector for empty, whitespace-only and unknown-word texts', async () => {
    const vectors = await embedder.embed(['', '   \n', 'zzqxv blorptang', '!!! ...']);
    for (const v of vectors) {
      expect(v).toHaveLength(100);
      expect(v.every((x) => x === 0)).toBe(true);
    }
  });

  it('truncates long input to maxTokens known words without error', async () => {
    const words = ['river', 'mountain', 'forest', 'ocean', 'desert'];
    const long = Array.from({ length: 20_000 }, (_, i) => words[i % words.length]).join(' ');
    const head = long.split(' ').slice(0, 512).join(' ');
    const [fromLong, fromHead] = await embedder.embed([long, head]);
    expect(norm(fromLong!)).toBeCloseTo(1, 5);
    for (let d = 0; d < 100; d++) expect(fromLong![d]).toBeCloseTo(fromHead![d]!, 6);

    const short = await createGloveEmbedder({ device: 'cpu', maxTokens: 2 });
    try {
      const [cut, firstTwo] = await short.embed(['river mountain forest ocean', 'river mountain']);
      for (let d = 0; d < 100; d++) expect(cut![d]).toBeCloseTo(firstTwo![d]!, 6);
    } finally {
      await short.close();
    }
  });

  it('gives the same vectors in a batch as one at a time, across batch chunks', async () => {
    const texts = ['memory consolidation during sleep', '', 'stock markets fell', 'a', 'the cat sat on the mat', 'zzqxv'];
    const chunked = await createGloveEmbedder({ device: 'cpu', batchSize: 2 });
    try {
      const batched = await chunked.embed(texts);
      for (let i = 0; i < texts.length; i++) {
        const [single] = await embedder.embed([texts[i]!]);
        for (let d = 0; d < 100; d++) expect(batched[i]![d]).toBeCloseTo(single![d]!, 6);
      }
    } finally {
      await chunked.close();
    }
  });
});
