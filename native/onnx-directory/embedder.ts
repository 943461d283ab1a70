/**
 * Bring-your-own model: a directory holding a transformer encoder exported to `model.onnx` and its
 * HuggingFace `tokenizer.json` (e.g. all-MiniLM-L6-v2, bge-small). Pooling and normalisation follow
 * the sentence-transformers conventions so vectors match what the model card describes.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { Tokenizer, type Encoding } from '@anush008/tokenizers';
import { z } from 'zod';
import { l2normalise, type Embedder } from '../embedder.js';
import { createSession, ort, RuntimeOptionsSchema } from '../onnx/session.js';

export const MODEL_FILE = 'model.onnx';
export const TOKENIZER_FILE = 'tokenizer.json';

export const OnnxDirectoryEmbedderOptionsSchema = RuntimeOptionsSchema.extend({
  /** Directory containing model.onnx and tokenizer.json. */
  dir: z.string().min(1),
  /** 'mean' averages the unpadded token states (MiniLM, mpnet); 'cls' takes the first token (bge). */
  pooling: z.enum(['mean', 'cls']).default('mean'),
  /** L2-normalise outputs; turning it off breaks the Embedder cosine-as-dot-product contract. */
  normalize: z.boolean().default(true),
  /** Tokens per text including special tokens; longer texts are truncated. */
  maxTokens: z.number().int().min(4).max(8192).default(256),
  batchSize: z.number().int().min(1).max(1024).default(32),
  /** Output to pool; defaults to the model's first output (usually last_hidden_state). */
  outputName: z.string().min(1).optional(),
}).strict();
export type OnnxDirectoryEmbedderOptions = z.input<typeof OnnxDirectoryEmbedderOptionsSchema>;

const SUPPORTED_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'] as const;
type SupportedInput = (typeof SUPPORTED_INPUTS)[number];

function requireFile(dir: string, file: string): string {
  const path = join(dir, file);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new Error(`onnx-directory embedder: missing ${path} (the directory needs ${MODEL_FILE} and ${TOKENIZER_FILE})`);
  }
  return path;
}

function loadTokenizer(path: string, maxTokens: number): { tokenizer: Tokenizer; padId: number } {
  const text = readFileSync(path, 'utf8');
  let config: { padding?: { pad_id?: unknown } | null };
  let tokenizer: Tokenizer;
  try {
    config = JSON.parse(text) as typeof config;
    tokenizer = Tokenizer.fromString(text);
  } catch (err) {
    throw new Error(`onnx-directory embedder: cannot load ${path}: ${(err as Error).message}`);
  }
  tokenizer.setTruncation(maxTokens);
  // We pad per batch ourselves; a tokenizer.json padding to a fixed length would waste compute.
  tokenizer.disablePadding();
  const configuredPad = config.padding?.pad_id;
  const padId =
    typeof configuredPad === 'number'
      ? configuredPad
      : (tokenizer.tokenToId('[PAD]') ?? tokenizer.tokenToId('<pad>') ?? 0);
  return { tokenizer, padId };
}

/** Integer tensors in the dtype the model declares: int64 by convention, int32 for some exports. */
function intTensor(type: 'int64' | 'int32', values: number[], dims: [number, number]): ort.Tensor {
  return type === 'int32'
    ? new ort.Tensor('int32', Int32Array.from(values), dims)
    : new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);
}

export async function createOnnxDirectoryEmbedder(options: OnnxDirectoryEmbedderOptions): Promise<Embedder> {
  const opts = OnnxDirectoryEmbedderOptionsSchema.parse(options);
  const dir = resolve(opts.dir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new Error(`onnx-directory embedder: ${dir} is not a directory`);
  }
  const modelPath = requireFile(dir, MODEL_FILE);
  const tokenizerPath = requireFile(dir, TOKENIZER_FILE);
  const { tokenizer, padId } = loadTokenizer(tokenizerPath, opts.maxTokens);
  const { session } = await createSession(modelPath, { threads: opts.threads, device: opts.device });

  try {
    const unsupported = session.inputNames.filter((name) => !(SUPPORTED_INPUTS as readonly string[]).includes(name));
    if (unsupported.length > 0 || !session.inputNames.includes('input_ids')) {
      throw new Error(
        `onnx-directory embedder: ${modelPath} has inputs [${session.inputNames.join(', ')}]; ` +
          `expected input_ids plus optionally attention_mask and token_type_ids`,
      );
    }
    const outputName = opts.outputName ?? session.outputNames[0];
    if (outputName === undefined || !session.outputNames.includes(outputName)) {
      throw new Error(`onnx-directory embedder: ${modelPath} has no output "${outputName}" (outputs: ${session.outputNames.join(', ')})`);
    }
    const inputTypes = new Map<SupportedInput, 'int64' | 'int32'>();
    for (const meta of session.inputMetadata) {
      const type = meta.isTensor && meta.type === 'int32' ? 'int32' : 'int64';
      inputTypes.set(meta.name as SupportedInput, type);
    }

    async function runBatch(encodings: Encoding[]): Promise<Float32Array[]> {
      const seq = Math.max(...encodings.map((e) => e.getLength()));
      const batch = encodings.length;
      const columns: Record<SupportedInput, number[]> = {
        input_ids: new Array<number>(batch * seq).fill(padId),
        attention_mask: new Array<number>(batch * seq).fill(0),
        token_type_ids: new Array<number>(batch * seq).fill(0),
      };
      encodings.forEach((encoding, b) => {
        const ids = encoding.getIds();
        const typeIds = encoding.getTypeIds();
        for (let s = 0; s < ids.length; s++) {
          columns.input_ids[b * seq + s] = ids[s]!;
          columns.attention_mask[b * seq + s] = 1;
          columns.token_type_ids[b * seq + s] = typeIds[s] ?? 0;
        }
      });
      const feeds: Record<string, ort.Tensor> = {};
      for (const [name, type] of inputTypes) feeds[name] = intTensor(type, columns[name], [batch, seq]);
      const result = await session.run(feeds, [outputName!]);
      const output = result[outputName!]!;
      if (output.type !== 'float32') {
        throw new Error(`onnx-directory embedder: output "${outputName}" of ${modelPath} is ${output.type}; only float32 is supported`);
      }
      return pool(output.data as Float32Array, output.dims, encodings.map((e) => e.getLength()), seq);
    }

    function pool(data: Float32Array, dims: readonly number[], lengths: number[], seq: number): Float32Array[] {
      if (dims.length === 2) {
        // Already sentence-level (e.g. a pooled output): nothing to pool.
        const hidden = dims[1]!;
        return lengths.map((_, b) => data.slice(b * hidden, (b + 1) * hidden));
      }
      if (dims.length !== 3 || dims[1] !== seq) {
        throw new Error(`onnx-directory embedder: output "${outputName}" has shape [${dims.join(', ')}]; expected [batch, seq, hidden] or [batch, hidden]`);
      }
      const hidden = dims[2]!;
      return lengths.map((length, b) => {
        const rowStart = b * seq * hidden;
        if (opts.pooling === 'cls') return data.slice(rowStart, rowStart + hidden);
        const sum = new Float32Array(hidden);
        for (let s = 0; s < length; s++) {
          const offset = rowStart + s * hidden;
          for (let h = 0; h < hidden; h++) sum[h]! += data[offset + h]!;
        }
        for (let h = 0; h < hidden; h++) sum[h]! /= length;
        return sum;
      });
    }

    async function embedNonEmpty(texts: string[], dims: number): Promise<Float32Array[]> {
      const encodings = await tokenizer.encodeBatch(texts, { addSpecialTokens: true });
      // A tokenizer without special tokens can yield no tokens at all (e.g. only control characters).
      const tokenised = encodings.map((encoding, index) => ({ encoding, index })).filter((item) => item.encoding.getLength() > 0);
      const out: Float32Array[] = texts.map(() => new Float32Array(dims));
      if (tokenised.length === 0) return out;
      const vectors = await runBatch(tokenised.map((item) => item.encoding));
      tokenised.forEach((item, i) => {
        out[item.index] = opts.normalize ? l2normalise(vectors[i]!) : vectors[i]!;
      });
      return out;
    }

    // Dims from the declared output shape when static, otherwise from one probe run.
    const declared = session.outputMetadata.find((m) => m.name === outputName);
    const declaredDims = declared?.isTensor ? declared.shape.at(-1) : undefined;
    const dims = typeof declaredDims === 'number' && declaredDims > 0 ? declaredDims : (await embedNonEmpty(['hello'], 0))[0]!.length;

    if (!(dims > 0)) throw new Error(`onnx-directory embedder: cannot determine the embedding size of ${modelPath}`);

    const suffix = (opts.normalize ? '' : ':unnormalised') + (opts.outputName ? `:${opts.outputName}` : '');
    return {
      name: `onnx-dir:${basename(dir)}:${opts.pooling}${suffix}`,
      dims,
      async embed(texts: readonly string[]): Promise<Float32Array[]> {
        const out: Float32Array[] = texts.map(() => new Float32Array(dims));
        const pending = texts.map((text, index) => ({ text, index })).filter((item) => item.text.trim() !== '');
        for (let start = 0; start < pending.length; start += opts.batchSize) {
          const chunk = pending.slice(start, start + opts.batchSize);
          const vectors = await embedNonEmpty(chunk.map((item) => item.text), dims);
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
  } catch (err) {
    await session.release();
    throw err;
  }
}
