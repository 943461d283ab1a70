import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@anush008/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder, valueInfo } from '../native/onnx/graph.js';
import {
  createOnnxDirectoryEmbedder,
  OnnxDirectoryEmbedderOptionsSchema,
  type OnnxDirectoryEmbedderOptions,
} from '../native/onnx-directory/embedder.js';

const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'the', 'cat', '##s', 'sat', 'on', 'mat', 'dog', 'hello', 'world', '.', ',', '!', 'run', '##ning', 'a'];
const HIDDEN = 8;
const MAX_POSITIONS = 64;

/**
 * A BERT-style tokenizer.json as HuggingFace tokenizers serialises it. The fixed padding and the
 * truncation in it mimic real exports; the embedder must override both.
 */
function tokenizerJson(): string {
  const special = (id: number) => ({ id, content: VOCAB[id], single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const cls = { SpecialToken: { id: '[CLS]', type_id: 0 } };
  return JSON.stringify({
    version: '1.0',
    truncation: { direction: 'Right', max_length: 128, strategy: 'LongestFirst', stride: 0 },
    padding: { strategy: { Fixed: 16 }, direction: 'Right', pad_to_multiple_of: null, pad_id: 0, pad_type_id: 0, pad_token: '[PAD]' },
    added_tokens: [0, 1, 2, 3].map(special),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [cls, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        cls,
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(VOCAB.map((token, id) => [token, id])),
    },
  });
}

/** Deterministic small weights so expected values can be recomputed in JS. */
function weights(count: number, seed: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => Math.sin(seed * 7.31 + i * 1.7) * 0.5);
}

const TOKEN_TABLE = weights(VOCAB.length * HIDDEN, 1);
const POSITION_TABLE = weights(MAX_POSITIONS * HIDDEN, 2);
const TYPE_TABLE = weights(2 * HIDDEN, 3);
const PROJECTION = weights(HIDDEN * HIDDEN, 4);

interface TinyBertSpec {
  tokenTypes: boolean;
  intType: 'int64' | 'int32';
  /** Declare the hidden size symbolically, so the embedder must discover it by running the model. */
  symbolicHidden: boolean;
}

/**
 * A tiny BERT-shaped encoder: token + position (+ type) embeddings, a dense layer with tanh, and
 * padding zeroed by the attention mask. Outputs last_hidden_state [b, s, h] and pooler_output [b, h]
 * (the first token's state).
 */
function tinyBert(spec: TinyBertSpec): Uint8Array {
  const g = new GraphBuilder('bert');
  const FLOAT = 1;
  const tokens = g.op('Gather', [g.constant('float32', [VOCAB.length, HIDDEN], TOKEN_TABLE), 'input_ids'], { axis: 0 });
  const seqLen = g.op('Gather', [g.op('Shape', ['input_ids']), g.constant('int64', [], [1])], { axis: 0 });
  const positionIds = g.op('Range', [g.constant('int64', [], [0]), seqLen, g.constant('int64', [], [1])]);
  const positions = g.op('Gather', [g.constant('float32', [MAX_POSITIONS, HIDDEN], POSITION_TABLE), positionIds], { axis: 0 });
  let embedded = g.op('Add', [tokens, positions]);
  if (spec.tokenTypes) {
    embedded = g.op('Add', [embedded, g.op('Gather', [g.constant('float32', [2, HIDDEN], TYPE_TABLE), 'token_type_ids'], { axis: 0 })]);
  }
  const activated = g.op('Tanh', [g.op('MatMul', [embedded, g.constant('float32', [HIDDEN, HIDDEN], PROJECTION)])]);
  const mask = g.op('Unsqueeze', [g.op('Cast', ['attention_mask'], { to: FLOAT }), g.constant('int64', [1], [2])]);
  g.op('Mul', [activated, mask], {}, 'last_hidden_state');
  g.op('Gather', ['last_hidden_state', g.constant('int64', [], [0])], { axis: 1 }, 'pooler_output');

  const inputs = [valueInfo('input_ids', spec.intType, ['batch', 'seq']), valueInfo('attention_mask', spec.intType, ['batch', 'seq'])];
  if (spec.tokenTypes) inputs.push(valueInfo('token_type_ids', spec.intType, ['batch', 'seq']));
  const hidden = spec.symbolicHidden ? 'hidden' : HIDDEN;
  return g.toModel('tiny_bert', inputs, [
    valueInfo('last_hidden_state', 'float32', ['batch', 'seq', hidden]),
    valueInfo('pooler_output', 'float32', ['batch', hidden]),
  ]);
}

/** The tiny encoder's hidden state for one token, in plain JS. */
function tokenState(id: number, position: number, typeId: number | null): Float64Array {
  const x = new Float64Array(HIDDEN);
  for (let h = 0; h < HIDDEN; h++) {
    x[h] = TOKEN_TABLE[id * HIDDEN + h]! + POSITION_TABLE[position * HIDDEN + h]! + (typeId === null ? 0 : TYPE_TABLE[typeId * HIDDEN + h]!);
  }
  const y = new Float64Array(HIDDEN);
  for (let j = 0; j < HIDDEN; j++) {
    let sum = 0;
    for (let h = 0; h < HIDDEN; h++) sum += x[h]! * PROJECTION[h * HIDDEN + j]!;
    y[j] = Math.tanh(sum);
  }
  return y;
}

function expectedEmbedding(ids: number[], pooling: 'mean' | 'cls', normalize: boolean, withTypes: boolean): Float64Array {
  const states = ids.map((id, position) => tokenState(id, position, withTypes ? 0 : null));
  const pooled = new Float64Array(HIDDEN);
  for (const state of pooling === 'cls' ? states.slice(0, 1) : states) {
    for (let h = 0; h < HIDDEN; h++) pooled[h]! += state[h]!;
  }
  if (pooling === 'mean') for (let h = 0; h < HIDDEN; h++) pooled[h]! /= states.length;
  if (!normalize) return pooled;
  const length = Math.hypot(...pooled);
  return pooled.map((x) => x / length);
}

function expectClose(actual: Float32Array, expected: Float64Array): void {
  expect(actual).toHaveLength(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThan(1e-5);
}

const TEXTS = ['The cats sat on the mat.', 'Hello, world!', 'a dog', 'running cats'];

describe('onnx-directory embedder', () => {
  let root: string;
  let bertDir: string;
  let noTypesDir: string;
  let referenceTokenizer: Tokenizer;

  async function idsOf(text: string, maxTokens = 256): Promise<number[]> {
    referenceTokenizer.setTruncation(maxTokens);
    return (await referenceTokenizer.encode(text, null, { addSpecialTokens: true })).getIds();
  }

  async function withEmbedder(options: OnnxDirectoryEmbedderOptions, use: (e: Awaited<ReturnType<typeof createOnnxDirectoryEmbedder>>) => Promise<void>): Promise<void> {
    const embedder = await createOnnxDirectoryEmbedder({ device: 'cpu', threads: 1, ...options });
    try {
      await use(embedder);
    } finally {
      await embedder.close();
    }
  }

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'insula-onnx-dir-'));
    bertDir = join(root, 'tiny-bert');
    noTypesDir = join(root, 'tiny-bert-no-types');
    for (const [dir, spec] of [
      [bertDir, { tokenTypes: true, intType: 'int64', symbolicHidden: false }],
      [noTypesDir, { tokenTypes: false, intType: 'int32', symbolicHidden: true }],
    ] as const) {
      mkdirSync(dir);
      writeFileSync(join(dir, 'model.onnx'), tinyBert(spec));
      writeFileSync(join(dir, 'tokenizer.json'), tokenizerJson());
    }
    referenceTokenizer = Tokenizer.fromFile(join(bertDir, 'tokenizer.json'));
    referenceTokenizer.disablePadding();
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('fixture tokenizer produces the WordPiece ids the vocabulary says', async () => {
    const encoding = await referenceTokenizer.encode('The cats sat.', null, { addSpecialTokens: true });
    expect(encoding.getTokens()).toEqual(['[CLS]', 'the', 'cat', '##s', 'sat', '.', '[SEP]']);
    // By hand from VOCAB: [CLS]=2 the=4 cat=5 ##s=6 sat=7 .=13 [SEP]=3
    expect(encoding.getIds()).toEqual([2, 4, 5, 6, 7, 13, 3]);
    expect(await idsOf('Hello, XYZZY')).toEqual([2, 11, 14, 1, 3]);
  });

  it('mean-pools and normalises like a plain-JS computation, with padding in the batch', async () => {
    await withEmbedder({ dir: bertDir }, async (embedder) => {
      expect(embedder.name).toBe('onnx-dir:tiny-bert:mean');
      expect(embedder.dims).toBe(HIDDEN);
      const vectors = await embedder.embed(TEXTS);
      for (let i = 0; i < TEXTS.length; i++) {
        expectClose(vectors[i]!, expectedEmbedding(await idsOf(TEXTS[i]!), 'mean', true, true));
      }
    });
  });

  it('CLS pooling, and unnormalised output when asked', async () => {
    await withEmbedder({ dir: bertDir, pooling: 'cls' }, async (embedder) => {
      expect(embedder.name).toBe('onnx-dir:tiny-bert:cls');
      const vectors = await embedder.embed(TEXTS);
      for (let i = 0; i < TEXTS.length; i++) {
        expectClose(vectors[i]!, expectedEmbedding(await idsOf(TEXTS[i]!), 'cls', true, true));
      }
    });
    await withEmbedder({ dir: bertDir, normalize: false }, async (embedder) => {
      expect(embedder.name).toBe('onnx-dir:tiny-bert:mean:unnormalised');
      // A padded batch, so dividing by the padded length instead of the token count would show.
      const raw = await embedder.embed(TEXTS);
      for (let i = 0; i < TEXTS.length; i++) {
        expectClose(raw[i]!, expectedEmbedding(await idsOf(TEXTS[i]!), 'mean', false, true));
      }
      expect(Math.hypot(...raw[0]!)).not.toBeCloseTo(1, 3);
    });
  });

  it('uses a 2-D output directly when outputName picks one', async () => {
    await withEmbedder({ dir: bertDir, outputName: 'pooler_output', pooling: 'mean' }, async (embedder) => {
      expect(embedder.name).toBe('onnx-dir:tiny-bert:mean:pooler_output');
      const vectors = await embedder.embed(TEXTS);
      for (let i = 0; i < TEXTS.length; i++) {
        expectClose(vectors[i]!, expectedEmbedding(await idsOf(TEXTS[i]!), 'cls', true, true));
      }
    });
    await expect(createOnnxDirectoryEmbedder({ dir: bertDir, device: 'cpu', outputName: 'nope' })).rejects.toThrow(
      /no output "nope".*last_hidden_state, pooler_output/,
    );
  });

  it('works with a model that declares no token_type_ids (int32 inputs, symbolic hidden size)', async () => {
    await withEmbedder({ dir: noTypesDir }, async (embedder) => {
      expect(embedder.dims).toBe(HIDDEN);
      const vectors = await embedder.embed(TEXTS);
      for (let i = 0; i < TEXTS.length; i++) {
        expectClose(vectors[i]!, expectedEmbedding(await idsOf(TEXTS[i]!), 'mean', true, false));
      }
    });
  });

  it('truncates to maxTokens including the special tokens', async () => {
    const long = Array.from({ length: 400 }, () => 'the cat sat on the mat').join(' ');
    const truncatedIds = await idsOf(long, 6);
    expect(truncatedIds).toEqual([2, 4, 5, 7, 8, 3]);
    await withEmbedder({ dir: bertDir, maxTokens: 6 }, async (embedder) => {
      const [vector] = await embedder.embed([long]);
      expectClose(vector!, expectedEmbedding(truncatedIds, 'mean', true, true));
    });
    // 64 is the fixture's position-table size: without truncation 2,400 words would overrun it and the model would fail.
    await withEmbedder({ dir: bertDir, maxTokens: 64 }, async (embedder) => {
      const [vector] = await embedder.embed([long]);
      expect(Math.hypot(...vector!)).toBeCloseTo(1, 5);
    });
  });

  it('returns zero vectors for empty strings without disturbing the others, and batches == singles', async () => {
    await withEmbedder({ dir: bertDir, batchSize: 2 }, async (embedder) => {
      const texts = ['', TEXTS[0]!, '   ', TEXTS[1]!, TEXTS[2]!, '\n\t', TEXTS[3]!];
      const batched = await embedder.embed(texts);
      expect(batched).toHaveLength(texts.length);
      for (let i = 0; i < texts.length; i++) {
        expect(batched[i]).toHaveLength(HIDDEN);
        if (texts[i]!.trim() === '') {
          expect(batched[i]!.every((x) => x === 0)).toBe(true);
        } else {
          const [single] = await embedder.embed([texts[i]!]);
          for (let h = 0; h < HIDDEN; h++) expect(batched[i]![h]).toBeCloseTo(single![h]!, 6);
        }
      }
      expect(await embedder.embed([])).toEqual([]);
      const empties = await embedder.embed(['', ' ']);
      expect(empties.every((v) => v.length === HIDDEN && v.every((x) => x === 0))).toBe(true);
    });
  });

  it('names the missing file when model.onnx or tokenizer.json is absent', async () => {
    const noModel = join(root, 'no-model');
    mkdirSync(noModel);
    writeFileSync(join(noModel, 'tokenizer.json'), tokenizerJson());
    await expect(createOnnxDirectoryEmbedder({ dir: noModel })).rejects.toThrow(/missing .*no-model\/model\.onnx/);

    const noTokenizer = join(root, 'no-tokenizer');
    mkdirSync(noTokenizer);
    writeFileSync(join(noTokenizer, 'model.onnx'), tinyBert({ tokenTypes: true, intType: 'int64', symbolicHidden: false }));
    await expect(createOnnxDirectoryEmbedder({ dir: noTokenizer })).rejects.toThrow(/missing .*no-tokenizer\/tokenizer\.json/);

    const badTokenizer = join(root, 'bad-tokenizer');
    mkdirSync(badTokenizer);
    writeFileSync(join(badTokenizer, 'model.onnx'), tinyBert({ tokenTypes: true, intType: 'int64', symbolicHidden: false }));
    writeFileSync(join(badTokenizer, 'tokenizer.json'), '{"not": "a tokenizer"');
    await expect(createOnnxDirectoryEmbedder({ dir: badTokenizer })).rejects.toThrow(/cannot load .*bad-tokenizer\/tokenizer\.json/);

    await expect(createOnnxDirectoryEmbedder({ dir: join(root, 'does-not-exist') })).rejects.toThrow(/is not a directory/);
  });

  it('options schema is strict and fills defaults', () => {
    expect(OnnxDirectoryEmbedderOptionsSchema.parse({ dir: '/x' })).toMatchObject({
      pooling: 'mean',
      normalize: true,
      maxTokens: 256,
      batchSize: 32,
      device: 'auto',
    });
    expect(() => OnnxDirectoryEmbedderOptionsSchema.parse({ dir: '/x', poolingMode: 'mean' })).toThrow();
    expect(() => OnnxDirectoryEmbedderOptionsSchema.parse({ dir: '/x', pooling: 'max' })).toThrow();
  });
});
