/**
 * Minimal ONNX graph builder over the `onnx-proto` protobuf definitions: enough to emit the
 * standard-op graphs insula generates itself (the USE-lite conversion, the GloVe lookup table,
 * small test models). Opset 13, IR version 7, so any onnxruntime since 1.8 loads them.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export const OPSET_VERSION = 13;

export type ElemType = 'float32' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

const ELEM: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  uint8: onnx.TensorProto.DataType.UINT8,
  int8: onnx.TensorProto.DataType.INT8,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

export type TensorData = Float32Array | Int32Array | Int8Array | Uint8Array | BigInt64Array | number[];

/** A constant tensor (initializer). Raw little-endian bytes keep large weights compact. */
export function tensor(name: string, type: ElemType, dims: readonly number[], data: TensorData): onnxProto.onnx.ITensorProto {
  let raw: Uint8Array;
  if (Array.isArray(data)) {
    raw = toRaw(type, data);
  } else {
    raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  const expected = dims.reduce((a, b) => a * b, 1) * bytesPer(type);
  if (raw.byteLength !== expected) {
    throw new Error(`tensor ${name}: ${raw.byteLength} bytes for dims [${dims.join(',')}] of ${type} (expected ${expected})`);
  }
  return { name, dataType: ELEM[type], dims: [...dims], rawData: raw };
}

function bytesPer(type: ElemType): number {
  return type === 'int64' ? 8 : type === 'float32' || type === 'int32' ? 4 : 1;
}

function toRaw(type: ElemType, values: number[]): Uint8Array {
  switch (type) {
    case 'float32': return new Uint8Array(Float32Array.from(values).buffer);
    case 'int32': return new Uint8Array(Int32Array.from(values).buffer);
    case 'int64': return new Uint8Array(BigInt64Array.from(values.map((v) => BigInt(v))).buffer);
    case 'int8': return new Uint8Array(Int8Array.from(values).buffer);
    case 'uint8': return Uint8Array.from(values);
    case 'bool': return Uint8Array.from(values.map((v) => (v ? 1 : 0)));
  }
}

export type AttrValue = number | string | number[] | onnxProto.onnx.ITensorProto | { ints: number[] } | { floats: number[] };

function attribute(name: string, value: AttrValue): onnxProto.onnx.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: A.INT, i: value } : { name, type: A.FLOAT, f: value };
  }
  if (typeof value === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: A.INTS, ints: value };
  if ('ints' in value) return { name, type: A.INTS, ints: value.ints };
  if ('floats' in value) return { name, type: A.FLOATS, floats: value.floats };
  return { name, type: A.TENSOR, t: value };
}

/** A graph input/output; `null` in a shape is a symbolic (dynamic) dimension. */
export function valueInfo(name: string, type: ElemType, shape: ReadonlyArray<number | string | null>): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM[type],
        shape: { dim: shape.map((d, i) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d ?? `${name}_d${i}` })) },
      },
    },
  };
}

/** Accumulates nodes and initializers; `op` returns the output name so graphs read as expressions. */
export class GraphBuilder {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private counter = 0;

  constructor(private readonly prefix = 'n') {}

  fresh(hint = 'v'): string {
    return `${this.prefix}_${hint}_${this.counter++}`;
  }

  constant(type: ElemType, dims: readonly number[], data: TensorData, hint = 'const'): string {
    const name = this.fresh(hint);
    this.initializers.push(tensor(name, type, dims, data));
    return name;
  }

  op(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, outputName?: string): string {
    const out = outputName ?? this.fresh(opType.toLowerCase());
    this.opMulti(opType, inputs, [out], attrs);
    return out;
  }

  opMulti(opType: string, inputs: readonly string[], outputs: readonly string[], attrs: Record<string, AttrValue> = {}): string[] {
    this.nodes.push({
      opType,
      name: this.fresh(`${opType}_node`),
      input: [...inputs],
      output: [...outputs],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return [...outputs];
  }

  /** Serialises the graph as an ONNX model file (bytes). */
  toModel(name: string, inputs: onnxProto.onnx.IValueInfoProto[], outputs: onnxProto.onnx.IValueInfoProto[]): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 7,
      producerName: 'insula',
      opsetImport: [{ domain: '', version: OPSET_VERSION }],
      graph: { name, node: this.nodes, initializer: this.initializers, input: inputs, output: outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
