import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession, ort } from '../native/onnx/session.js';
import { convertTfjsGraph, readTfjsGraph, USE_INPUTS, USE_OUTPUT, type TfNode } from '../native/use/convert.js';
import { createUseLiteEmbedder, useLiteModelDir, type UseLiteEmbedder } from '../native/use/embedder.js';
import { UseTokenizer, type Vocabulary } from '../native/use/tokenizer.js';

const MODEL_DIR = useLiteModelDir();

const SHORT_SENTENCES = [
  'Hello world.',
  'The quick brown fox jumps over the lazy dog!',
  'How old are you?',
  "I'm meeting Dr. Smith at 10:30 tomorrow :) — don't be late.",
  'Ça va? Naïve café owners serve crème brûlée 🍮🍮.',
  '東京は日本の首都です。',
  'Line one\nline two\twith a tab',
  'x',
  'GPU: NVIDIA H100 (80 GB), CUDA 12.4; see https://example.com/docs?id=42 for details.',
];
/** Over 128 tokens: exercises the graph's own ClipToMaxLength. */
const LONG_SENTENCE = 'The committee reviewed the quarterly budget and approved additional funding for research. '.repeat(10);
const SENTENCES = [...SHORT_SENTENCES, LONG_SENTENCE];
/**
 * TF.js CPU time grows with batch × longest sentence, so the reference runs the long sentence on
 * its own; the ONNX check feeds exactly the same groups.
 */
const REFERENCE_GROUPS = [SHORT_SENTENCES, [LONG_SENTENCE]];

/** Sparse model inputs exactly as TF.js USE builds them: rows (sentence, position) → token id. */
function sparseInputs(idLists: number[][]): { indices: Int32Array; values: Int32Array } {
  const indices: number[] = [];
  const values: number[] = [];
  idLists.forEach((ids, s) => ids.forEach((id, p) => (indices.push(s, p), values.push(id))));
  return { indices: Int32Array.from(indices), values: Int32Array.from(values) };
}

/** The original TF.js graph model, loaded from the package files through a disk IOHandler. */
async function loadReference(): Promise<GraphModel> {
  const modelJson = JSON.parse(await readFile(join(MODEL_DIR, 'model.json'), 'utf8'));
  const manifest = modelJson.weightsManifest[0] as { paths: string[]; weights: tf.io.WeightsManifestEntry[] };
  const shards = await Promise.all(manifest.paths.map((p) => readFile(join(MODEL_DIR, p))));
  const weights = Buffer.concat(shards);
  await tf.setBackend('cpu');
  return loadGraphModel({
    load: async () => ({
      modelTopology: modelJson.modelTopology,
      weightSpecs: manifest.weights,
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  });
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

const flat = (vectors: Float32Array[]) => Float32Array.from(vectors.flatMap((v) => Array.from(v)));
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const norm = (v: Float32Array) => Math.sqrt(dot(v, v));

describe('UseTokenizer', () => {
  // Stub vocabulary: 6 reserved ids, then pieces with log-probability scores.
  const stub: Vocabulary = [
    ['�', 0], ['<s>', 0], ['</s>', 0], ['r1', 0], ['r2', 0], ['r3', 0],
    ['▁', -2], ['a', -1], ['b', -1], ['▁a', -1.5], ['ab', -1.2], ['▁ab', -5], ['ç', -1],
  ];
  const tokenizer = new UseTokenizer(stub);

  it('picks the best-scoring segmentation and maps spaces to ▁', () => {
    expect(tokenizer.encode('ab')).toEqual([9, 8]); // ▁a|b (-2.5) beats ▁|ab (-3.2) and ▁ab (-5)
    expect(tokenizer.encode('a b')).toEqual([9, 6, 8]);
    expect(tokenizer.encode('')).toEqual([]);
  });

  it('NFKC-normalises and collapses consecutive unknowns into one id 0', () => {
    expect(tokenizer.encode('c\u0327')).toEqual(tokenizer.encode('ç'));
    expect(tokenizer.encode('a😹😹')).toEqual([9, 0]);
    expect(tokenizer.encode('a😹b😹')).toEqual([9, 0, 8, 0]);
  });

  it('matches the reference ids on the real vocabulary, including its ":" quirks', async () => {
    const vocab = JSON.parse(await readFile(join(MODEL_DIR, 'vocab.json'), 'utf8')) as Vocabulary;
    const real = new UseTokenizer(vocab);
    const pieces = (text: string) => real.encode(text).map((id) => vocab[id]![0]);
    expect(pieces('Hello world.')).toEqual(['▁H', 'ello', '▁world', '.']);
    // '▁:' has a null score: its zero total counts as "unset" in the reference, so '▁' + ':' wins.
    expect(real.encode(':,a')).toEqual([30, 57, 8, 86]);
    const long = 'The committee reviewed the quarterly budget. '.repeat(500);
    expect(real.encode(long, 200)).toEqual(real.encode(long).slice(0, 200));
  });
});

describe('USE-lite embedder (TF.js → ONNX)', () => {
  let cacheDir: string;
  let embedder: UseLiteEmbedder;
  let tokenizer: UseTokenizer;
  let reference: Float32Array;
  let referenceGroups: number[][][];

  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'insula-use-'));
    embedder = await createUseLiteEmbedder({ cacheDir, threads: 2, device: 'cpu' });
    tokenizer = new UseTokenizer(JSON.parse(await readFile(join(MODEL_DIR, 'vocab.json'), 'utf8')));
    referenceGroups = REFERENCE_GROUPS.map((group) => group.map((s) => tokenizer.encode(s, 256)));
    const model = await loadReference();
    const outputs: Float32Array[] = [];
    for (const ids of referenceGroups) {
      const { indices, values } = sparseInputs(ids);
      const out = (await model.executeAsync({
        indices: tf.tensor2d(indices, [values.length, 2], 'int32'),
        values: tf.tensor1d(values, 'int32'),
      })) as tf.Tensor;
      expect(out.shape).toEqual([ids.length, 512]);
      outputs.push((await out.data()) as Float32Array);
    }
    reference = flat(outputs);
    model.dispose();
  });

  afterAll(async () => {
    await embedder?.close();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  it('converted ONNX graph matches the TF.js graph on identical inputs', async () => {
    expect(embedder.dims).toBe(512);
    expect(embedder.name).toMatch(/^use-lite-512@[0-9a-f]{8}$/);
    await embedder.embed(['warm up']); // converts into the cache
    expect(embedder.loadedFrom).toBe('converted');

    const { session } = await createSession(embedder.modelPath, { threads: 2, device: 'cpu' });
    try {
      const outputs: Float32Array[] = [];
      for (const ids of referenceGroups) {
        const { indices, values } = sparseInputs(ids);
        const result = await session.run({
          [USE_INPUTS.indices]: new ort.Tensor('int32', indices, [values.length, 2]),
          [USE_INPUTS.values]: new ort.Tensor('int32', values, [values.length]),
        });
        const onnx = result[USE_OUTPUT]!;
        expect(onnx.dims).toEqual([ids.length, 512]);
        outputs.push(onnx.data as Float32Array);
      }
      expect(referenceGroups[1]![0]!.length).toBeGreaterThan(128);
      expect(maxAbsDiff(flat(outputs), reference)).toBeLessThan(1e-5);
    } finally {
      await session.release();
    }
  });

  it('embedder output (tokenise, sort, batch) matches the TF.js reference', async () => {
    const vectors = await embedder.embed(SENTENCES);
    expect(maxAbsDiff(flat(vectors), reference)).toBeLessThan(1e-5);
    for (const v of vectors) expect(norm(v)).toBeCloseTo(1, 5);
  });

  it('blank texts give zero vectors and leave the others untouched, trailing ones included', async () => {
    const texts = ['', 'Hello world.', '   \n\t', 'How old are you?', ''];
    const vectors = await embedder.embed(texts);
    expect(vectors).toHaveLength(5);
    for (const i of [0, 2, 4]) {
      expect(vectors[i]).toHaveLength(512);
      expect(vectors[i]!.every((x) => x === 0)).toBe(true);
    }
    const alone = await embedder.embed(['Hello world.', 'How old are you?']);
    expect(maxAbsDiff(vectors[1]!, alone[0]!)).toBeLessThan(1e-5);
    expect(maxAbsDiff(vectors[3]!, alone[1]!)).toBeLessThan(1e-5);
    expect(await embedder.embed(['', ' '])).toEqual([new Float32Array(512), new Float32Array(512)]);
    expect(await embedder.embed([])).toEqual([]);
  });

  it('handles very long inputs by truncation', async () => {
    const prose = 'Memory consolidation happens during sleep, when the hippocampus replays the day. '.repeat(250);
    const noSpaces = 'a'.repeat(20_000);
    expect(prose.length).toBeGreaterThan(20_000);
    const [a, b] = await embedder.embed([prose, noSpaces]);
    for (const v of [a!, b!]) {
      expect(v.every(Number.isFinite)).toBe(true);
      expect(norm(v)).toBeCloseTo(1, 5);
    }
  });

  it('batched results equal one-at-a-time results', async () => {
    const batched = await embedder.embed(SENTENCES);
    for (let i = 0; i < SENTENCES.length; i++) {
      const [single] = await embedder.embed([SENTENCES[i]!]);
      expect(maxAbsDiff(batched[i]!, single!)).toBeLessThan(1e-5);
    }
  });

  it('places paraphrases closer than unrelated sentences', async () => {
    const [q, paraphrase, unrelated] = await embedder.embed([
      'How old are you?',
      'What is your age?',
      'The stock market fell sharply this morning.',
    ]);
    expect(dot(q!, paraphrase!)).toBeGreaterThan(dot(q!, unrelated!) + 0.2);
  });

  it('a second embedder loads the cached model without converting again', async () => {
    const before = await stat(embedder.modelPath);
    const second = await createUseLiteEmbedder({ cacheDir, threads: 1, device: 'cpu' });
    try {
      expect(second.modelPath).toBe(embedder.modelPath);
      expect(second.name).toBe(embedder.name);
      const [v] = await second.embed(['Hello world.']);
      expect(second.loadedFrom).toBe('cache');
      const [w] = await embedder.embed(['Hello world.']);
      expect(maxAbsDiff(v!, w!)).toBeLessThan(1e-5);
      const after = await stat(second.modelPath);
      expect(after.mtimeMs).toBe(before.mtimeMs);
      expect(after.ino).toBe(before.ino);
    } finally {
      await second.close();
    }
  });
});

describe('convertTfjsGraph: generic paths USE-lite does not exercise', () => {
  // A small TF.js graph with a 3×3 SAME/strided and a VALID NHWC convolution, MatMul transpose_b,
  // BatchMatMul adj_x and StridedSlice with a negative stride and a shrunk -1 index.
  const ints = (...v: number[]) => ({ list: { i: v.map(String) } });
  const str = (v: string) => ({ s: Array.from(Buffer.from(v)) });
  const float = { type: 'DT_FLOAT' };
  const nodes: TfNode[] = [
    { name: 'x', op: 'Placeholder', attr: { dtype: float, shape: { shape: { dim: [1, 6, 5, 3].map((d) => ({ size: String(d) })) } } } },
    { name: 'f', op: 'Const', attr: { dtype: float } },
    { name: 'w', op: 'Const', attr: { dtype: float } },
    { name: 'shape_a', op: 'Const', attr: { dtype: { type: 'DT_INT32' } } },
    { name: 'shape_r', op: 'Const', attr: { dtype: { type: 'DT_INT32' } } },
    { name: 'b0', op: 'Const', attr: { dtype: { type: 'DT_INT32' } } },
    { name: 'e0', op: 'Const', attr: { dtype: { type: 'DT_INT32' } } },
    { name: 's0', op: 'Const', attr: { dtype: { type: 'DT_INT32' } } },
    { name: 'b1', op: 'Const', attr: { dtype: { type: 'DT_INT32' } } },
    { name: 's1', op: 'Const', attr: { dtype: { type: 'DT_INT32' } } },
    { name: 'same', op: 'Conv2D', input: ['x', 'f'], attr: { T: float, strides: ints(1, 2, 2, 1), dilations: ints(1, 1, 1, 1), padding: str('SAME'), data_format: str('NHWC') } },
    { name: 'valid', op: 'Conv2D', input: ['x', 'f'], attr: { T: float, strides: ints(1, 1, 1, 1), dilations: ints(1, 1, 1, 1), padding: str('VALID'), data_format: str('NHWC') } },
    { name: 'rows', op: 'Reshape', input: ['valid', 'shape_r'], attr: { T: float } },
    { name: 'mm', op: 'MatMul', input: ['rows', 'w'], attr: { T: float, transpose_a: { b: false }, transpose_b: { b: true } } },
    { name: 'a', op: 'Reshape', input: ['same', 'shape_a'], attr: { T: float } },
    { name: 'bmm', op: 'BatchMatMul', input: ['a', 'a'], attr: { T: float, adj_x: { b: true }, adj_y: { b: false } } },
    { name: 'reversed', op: 'StridedSlice', input: ['mm', 'b0', 'e0', 's0'], attr: { T: float, Index: { type: 'DT_INT32' }, begin_mask: { i: '1' }, end_mask: { i: '3' }, ellipsis_mask: { i: '0' }, new_axis_mask: { i: '0' }, shrink_axis_mask: { i: '0' } } },
    { name: 'last', op: 'StridedSlice', input: ['mm', 'b1', 'e0', 's1'], attr: { T: float, Index: { type: 'DT_INT32' }, begin_mask: { i: '2' }, end_mask: { i: '2' }, ellipsis_mask: { i: '0' }, new_axis_mask: { i: '0' }, shrink_axis_mask: { i: '1' } } },
  ];
  let seed = 7;
  const random = (n: number) => Float32Array.from({ length: n }, () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1);
  const weights: Array<{ name: string; shape: number[]; data: Float32Array | Int32Array }> = [
    { name: 'f', shape: [3, 3, 3, 4], data: random(108) },
    { name: 'w', shape: [5, 4], data: random(20) },
    { name: 'shape_a', shape: [3], data: Int32Array.of(3, 3, 4) },
    { name: 'shape_r', shape: [2], data: Int32Array.of(-1, 4) },
    { name: 'b0', shape: [2], data: Int32Array.of(0, -1) },
    { name: 'e0', shape: [2], data: Int32Array.of(0, 0) },
    { name: 's0', shape: [2], data: Int32Array.of(1, -2) },
    { name: 'b1', shape: [2], data: Int32Array.of(-1, 0) },
    { name: 's1', shape: [2], data: Int32Array.of(1, 1) },
  ];
  const outputs = ['same', 'bmm', 'reversed', 'last'];

  it('matches TF.js', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'insula-tfjs-'));
    try {
      const weightSpecs = weights.map(({ name, shape, data }) => ({ name, shape, dtype: data instanceof Float32Array ? 'float32' : 'int32' }) as tf.io.WeightsManifestEntry);
      const bytes = Buffer.concat(weights.map((w) => Buffer.from(w.data.buffer)));
      await writeFile(join(dir, 'group1-shard1of1'), bytes);
      const modelJson = { modelTopology: { node: nodes, versions: {} }, weightsManifest: [{ paths: ['group1-shard1of1'], weights: weightSpecs }] };
      await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));

      const x = random(90);
      await tf.setBackend('cpu');
      const model = await loadGraphModel({
        load: async () => ({ modelTopology: modelJson.modelTopology, weightSpecs, weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) }),
      });
      const expected = model.execute({ x: tf.tensor4d(x, [1, 6, 5, 3]) }, outputs) as tf.Tensor[];

      const onnx = convertTfjsGraph(await readTfjsGraph(dir), Object.fromEntries(outputs.map((o) => [o, o])), 'synthetic');
      const { session } = await createSession(onnx, { threads: 1, device: 'cpu' });
      try {
        const actual = await session.run({ x: new ort.Tensor('float32', x, [1, 6, 5, 3]) });
        for (const [i, name] of outputs.entries()) {
          expect(actual[name]!.dims, name).toEqual(expected[i]!.shape);
          expect(maxAbsDiff(actual[name]!.data as Float32Array, expected[i]!.dataSync()), name).toBeLessThan(1e-5);
        }
      } finally {
        await session.release();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
