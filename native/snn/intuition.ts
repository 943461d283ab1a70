/**
 * SNN intuition: a fast "gut" valence for a situation (its embedding), −1..1, from the spiking
 * network in network.ts run as an ONNX graph (CPU, or CUDA where present), learned online from the
 * outcomes the host reports, and delivered to the hub as one more signal (source 'snn-intuition').
 *
 * The weights persist per namespace in the store's meta table (removed with the namespace).
 */
import { z } from 'zod';
import type { HubState } from '../../src/hub/hub.js';
import type { Insula } from '../../src/insula.js';
import { DomainSchema, NamespaceSchema, parse } from '../../src/memory/schema.js';
import { namespaceMetaKey } from '../../src/memory/store.js';
import { seededRandom } from '../../src/random.js';
import { createSession, ort, RuntimeOptionsSchema } from '../onnx/session.js';
import { buildSnnGraph } from './graph.js';
import { forwardWeights, initialWeights, learnFromOutcome, SnnParamsSchema, type ForwardWeights, type SnnParams, type SnnWeights } from './network.js';
import { drawUniforms } from './poisson.js';
import { outputCount } from './readout.js';

export const SNN_SIGNAL_SOURCE = 'snn-intuition';
const META_KEY = 'snn-intuition';
/** The domain a lifeform's metabolism reports its hunger in (docs/lifeform.md). */
const METABOLISM_DOMAIN = 'metabolism';

export const SnnIntuitionOptionsSchema = RuntimeOptionsSchema.extend({
  /**
   * One intra-op thread by default: the graph is hundreds of tiny nodes, and handing each to a
   * thread pool costs more than it saves (docs/native.md, SNN intuition).
   */
  threads: z.number().int().min(1).max(256).default(1),
  network: SnnParamsSchema,
  /** Seeds the initial weights and the Poisson noise; the noise stream continues across restores. */
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(1),
  /** Multiplier of the STDP amplitudes; 0 keeps the hidden layer's random projection fixed. */
  stdpScale: z.number().min(0).max(100).default(1),
  /** Situations per onnxruntime call. */
  batchSize: z.number().int().min(1).max(4096).default(256),
}).strict();
export type SnnIntuitionOptions = z.input<typeof SnnIntuitionOptionsSchema>;
type Options = z.output<typeof SnnIntuitionOptionsSchema>;

const SnapshotSchema = z
  .object({
    version: z.literal(1),
    params: z.unknown(),
    seed: z.number().int(),
    draws: z.number().int().min(0),
    learned: z.number().int().min(0),
    weights: z.object({ input: z.string(), hiddenBias: z.string(), output: z.string(), outputBias: z.string(), hiddenMean: z.string(), inputNorms: z.string() }).strict(),
  })
  .strict();

function encode(v: Float64Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

function decode(text: string, length: number, field: string): Float64Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.byteLength !== length * 8) throw new Error(`SNN snapshot: weights.${field} holds ${bytes.byteLength / 8} values, expected ${length}`);
  const v = new Float64Array(length);
  new Uint8Array(v.buffer).set(bytes);
  if (!v.every(Number.isFinite)) throw new Error(`SNN snapshot: weights.${field} has a non-finite value`);
  return v;
}

export class SnnIntuition {
  /** Quantised float32 copy the graph runs on; rebuilt lazily after learning. */
  private forward: ForwardWeights | null = null;
  private constructor(
    readonly params: SnnParams,
    private readonly weights: SnnWeights,
    private readonly session: ort.InferenceSession,
    /** Where the graph runs. */
    readonly device: 'cpu' | 'cuda',
    private readonly opts: Options,
    /** Noise streams drawn so far: stream n is seeded from (seed, n), so a restored model continues it. */
    private draws: number,
    private learnedCount: number,
  ) {}

  /** Outcomes learned from. */
  get learned(): number {
    return this.learnedCount;
  }

  static async create(options: SnnIntuitionOptions): Promise<SnnIntuition> {
    const opts = parse(SnnIntuitionOptionsSchema, options, 'SNN intuition options');
    return SnnIntuition.open(opts, initialWeights(opts.network, seededRandom(opts.seed)), 0, 0);
  }

  /** Rebuilds a model from `snapshot()`'s JSON (a damaged one throws); runtime options may differ from the saved ones. */
  static async restore(json: string, runtime: Pick<SnnIntuitionOptions, 'device' | 'threads' | 'batchSize' | 'stdpScale'> = {}): Promise<SnnIntuition> {
    const raw = parse(SnapshotSchema, JSON.parse(json), 'SNN snapshot');
    const opts = parse(SnnIntuitionOptionsSchema, { ...runtime, network: raw.params, seed: raw.seed }, 'SNN snapshot options');
    const p = opts.network;
    const weights: SnnWeights = {
      input: decode(raw.weights.input, p.dims * p.hidden, 'input'),
      hiddenBias: decode(raw.weights.hiddenBias, p.hidden, 'hiddenBias'),
      output: decode(raw.weights.output, p.hidden * outputCount(p.readout), 'output'),
      outputBias: decode(raw.weights.outputBias, outputCount(p.readout), 'outputBias'),
      hiddenMean: decode(raw.weights.hiddenMean, p.hidden, 'hiddenMean'),
      inputNorms: decode(raw.weights.inputNorms, p.hidden, 'inputNorms'),
    };
    return SnnIntuition.open(opts, weights, raw.draws, raw.learned);
  }

  private static async open(opts: Options, weights: SnnWeights, draws: number, learned: number): Promise<SnnIntuition> {
    const { session, device } = await createSession(buildSnnGraph(opts.network), { device: opts.device, threads: opts.threads });
    return new SnnIntuition(opts.network, weights, session, device, opts, draws, learned);
  }

  private nextRandom(): () => number {
    return seededRandom((this.opts.seed ^ Math.imul(++this.draws, 0x9e3779b9)) >>> 0);
  }

  /** The weights the graph runs with (quantised float32), for the reference and for inspection. */
  forwardWeights(): ForwardWeights {
    return (this.forward ??= forwardWeights(this.weights, this.params));
  }

  /** Bytes of the weights the forward pass reads. */
  get weightBytes(): number {
    const w = this.forwardWeights();
    return w.input.byteLength + w.hiddenBias.byteLength + w.output.byteLength + w.outputBias.byteLength;
  }

  /** Gut valence per situation, −1..1, with fresh Poisson noise. */
  async predict(situations: readonly Float32Array[]): Promise<Float32Array> {
    const { dims, steps } = this.params;
    for (const s of situations) if (s.length !== dims || !s.every(Number.isFinite)) throw new Error(`SNN intuition: situations must be ${dims} finite numbers`);
    const out = new Float32Array(situations.length);
    for (let start = 0; start < situations.length; start += this.opts.batchSize) {
      const chunk = situations.slice(start, start + this.opts.batchSize);
      const random = this.nextRandom();
      const situation = new Float32Array(chunk.length * dims);
      const uniforms = new Float32Array(chunk.length * steps * dims);
      chunk.forEach((s, b) => {
        situation.set(s, b * dims);
        uniforms.set(drawUniforms(random, steps, dims), b * steps * dims);
      });
      out.set(await this.run(situation, uniforms, chunk.length), start);
    }
    return out;
  }

  /** One graph run on prepared inputs (the test feeds the reference the same uniforms). */
  async run(situation: Float32Array, uniforms: Float32Array, batch: number): Promise<Float32Array> {
    const { dims, steps, hidden } = this.params;
    const outputs = outputCount(this.params.readout);
    const w = this.forwardWeights();
    const result = await this.session.run({
      situation: new ort.Tensor('float32', situation, [batch, dims]),
      uniforms: new ort.Tensor('float32', uniforms, [batch, steps, dims]),
      inputWeights: new ort.Tensor('float32', w.input, [dims, hidden]),
      hiddenBias: new ort.Tensor('float32', w.hiddenBias, [hidden]),
      outputWeights: new ort.Tensor('float32', w.output, [hidden, outputs]),
      outputBias: new ort.Tensor('float32', w.outputBias, [outputs]),
    });
    return result.valence!.data as Float32Array;
  }

  /**
   * Learns from how a situation turned out (outcome −1..1; 2·success − 1). `energy` is the hub's
   * energy level (0..1, `hubEnergy`), which sets the surrogate gradient's gain. Returns the
   * valence the learning pass itself predicted (before the update).
   */
  learn(situation: Float32Array, outcome: number, energy = 0.5): number {
    if (situation.length !== this.params.dims || !situation.every(Number.isFinite)) throw new Error(`SNN intuition: situation must be ${this.params.dims} finite numbers`);
    if (!(outcome >= -1 && outcome <= 1)) throw new Error('SNN intuition: outcome must be in [-1, 1]');
    const before = learnFromOutcome(this.weights, this.params, situation, outcome, this.nextRandom(), { energy, stdpScale: this.opts.stdpScale });
    this.forward = null;
    this.learnedCount++;
    return before;
  }

  snapshot(): string {
    const w = this.weights;
    return JSON.stringify({
      version: 1,
      params: this.params,
      seed: this.opts.seed,
      draws: this.draws,
      learned: this.learned,
      weights: {
        input: encode(w.input),
        hiddenBias: encode(w.hiddenBias),
        output: encode(w.output),
        outputBias: encode(w.outputBias),
        hiddenMean: encode(w.hiddenMean),
        inputNorms: encode(w.inputNorms),
      },
    });
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/** The parts of an open store the intuition talks to. */
type Host = Pick<Insula, 'embedder' | 'signal' | 'state' | 'store'>;

const SenseSchema = z.object({ namespace: NamespaceSchema.default('default'), domain: DomainSchema.default('general') }).strict();
export type SenseOptions = z.input<typeof SenseSchema>;

async function embedOne(host: Host, text: string, dims: number): Promise<Float32Array> {
  const [v] = await host.embedder.embed([text]);
  if (!v || v.length !== dims) throw new Error(`SNN intuition: the store's embedder gives ${v?.length ?? 0}-d vectors, the network takes ${dims}`);
  return v;
}

/** Predicts the gut valence of a situation and feeds it to the hub as a 'snn-intuition' signal (arousal = |valence|). */
export async function senseIntuition(host: Host, intuition: SnnIntuition, situation: string, options: SenseOptions = {}): Promise<number> {
  const o = parse(SenseSchema, options, 'intuition options');
  const [valence] = await intuition.predict([await embedOne(host, situation, intuition.params.dims)]);
  await host.signal({ source: SNN_SIGNAL_SOURCE, domain: o.domain, valence: valence!, arousal: Math.abs(valence!), context: { learned: intuition.learned } }, o.namespace);
  return valence!;
}

const LearnSchema = SenseSchema.extend({
  /** Save the weights after learning (a snapshot is ~0.65 MB at 100-d, ~2.9 MB at 512-d); false leaves it to `saveIntuition`. */
  save: z.boolean().default(true),
}).strict();
export type LearnOptions = z.input<typeof LearnSchema>;

/**
 * The hub's energy level, 0..1, for the surrogate's gain (seed: ATP). Where a lifeform's metabolism
 * reports to the hub (its hunger arrives as `host` signals in the domain 'metabolism', so that
 * domain's anomaly level is the hunger), energy is 1 − hunger: the token reserve is the agent's
 * fuel. Without one, the global arousal (the activation axis of affect) stands in.
 */
export function hubEnergy(state: HubState): number {
  const metabolism = state.domains[METABOLISM_DOMAIN];
  return metabolism ? 1 - metabolism.anomaly : state.arousal;
}

/** Learns from a situation's outcome at the namespace's current energy level (`hubEnergy`), then saves the weights. */
export async function learnIntuition(host: Host, intuition: SnnIntuition, situation: string, success: boolean | number, options: LearnOptions = {}): Promise<void> {
  const o = parse(LearnSchema, options, 'intuition options');
  const s = parse(z.union([z.boolean(), z.number().min(0).max(1)]), success, 'success');
  const energy = hubEnergy(await host.state(o.namespace));
  intuition.learn(await embedOne(host, situation, intuition.params.dims), 2 * Number(s) - 1, energy);
  if (o.save) await saveIntuition(host, intuition, o.namespace);
}

export async function saveIntuition(host: Pick<Host, 'store'>, intuition: SnnIntuition, namespace = 'default'): Promise<void> {
  await host.store.setMeta(namespaceMetaKey(parse(NamespaceSchema, namespace, 'namespace'), META_KEY), intuition.snapshot());
}

/** The namespace's saved intuition, or null when it has none. */
export async function loadIntuition(host: Pick<Host, 'store'>, namespace = 'default', runtime: Parameters<typeof SnnIntuition.restore>[1] = {}): Promise<SnnIntuition | null> {
  const json = await host.store.getMeta(namespaceMetaKey(parse(NamespaceSchema, namespace, 'namespace'), META_KEY));
  return json === null ? null : SnnIntuition.restore(json, runtime);
}
