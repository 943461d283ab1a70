/**
 * Throughput of every native graph insula runs: embeddings/s (USE-lite, the default, and the GloVe
 * fallback, at batch 1 and 32), skill-router decisions/s (16 and 256 skills, batch 1 and 64, on
 * 512-d embeddings) and SNN intuition predictions/s (bench/snn.ts). Each rate is measured over
 * several 1 s windows after a warm-up; the median and the best window are reported (the best is
 * what the hardware does when nothing else competes for the cores).
 *
 *   npm run bench:native                          (CPU, 2 threads)
 *   npm run bench:native -- --device cuda --threads 8
 * The last line of output is a single JSON object.
 */
import { parseArgs } from 'node:util';
import { createGloveEmbedder } from '../native/glove/embedder.js';
import { SkillRouter } from '../native/lora/router.js';
import { addSkill, emptySkillRegistry } from '../native/lora/skill-registry.js';
import { createUseLiteEmbedder } from '../native/use/embedder.js';
import { seededRandom } from '../src/random.js';
import { texts } from './corpus.js';
import { snnThroughput } from './snn.js';
import { throughput, type Rate } from './throughput.js';

const { values } = parseArgs({
  options: {
    device: { type: 'string', default: 'cpu' },
    threads: { type: 'string', default: '2' },
    windows: { type: 'string', default: '5' },
  },
});
const device = values.device as 'cpu' | 'cuda' | 'auto';
if (!['cpu', 'cuda', 'auto'].includes(device)) throw new Error(`--device: cpu, cuda or auto, not ${values.device}`);
const threads = Number(values.threads);
const windows = Number(values.windows);


const use = await createUseLiteEmbedder({ threads, device, batchSize: 32 });
await use.embed(['first call: converts (or loads) the model']);
const embeddings = {
  use_lite_b1: await throughput(() => use.embed(texts(1)), 1, windows),
  use_lite_b32: await throughput(() => use.embed(texts(32)), 32, windows),
} as Record<string, Rate>;
const glove = await createGloveEmbedder({ threads, device, batchSize: 32 });
embeddings.glove_b1 = await throughput(() => glove.embed(texts(1)), 1, windows);
embeddings.glove_b32 = await throughput(() => glove.embed(texts(32)), 32, windows);
await glove.close();
console.log(`embeddings/s (median): ${Object.entries(embeddings).map(([k, r]) => `${k} ${r.median}`).join(', ')}`);

/** Random unit vectors: routing cost depends on the shapes, not on what the vectors mean. */
function unitVectors(n: number, dims: number, r: () => number): Float32Array[] {
  return Array.from({ length: n }, () => {
    const v = Float32Array.from({ length: dims }, () => r() - 0.5);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

const r = seededRandom(17);
const queries = unitVectors(64, use.dims, r);
const router: Record<string, Rate> = {};
for (const skills of [16, 256]) {
  let registry = emptySkillRegistry(use.name, use.dims);
  unitVectors(skills, use.dims, r).forEach((c, i) => (registry = addSkill(registry, { name: `skill-${i}`, baseModel: 'base', adapter: `adapters/${i}` }, [c])));
  const skillRouter = await SkillRouter.create(use, { threads, device }, registry);
  for (const batch of [1, 64]) router[`skills${skills}_b${batch}`] = await throughput(() => skillRouter.routeMany(queries.slice(0, batch)), batch, windows);
  await skillRouter.close();
}
await use.close();
console.log(`router decisions/s (median): ${Object.entries(router).map(([k, v]) => `${k} ${v.median}`).join(', ')}`);

const snn = await snnThroughput({ dims: 100, device, threads });
console.log(`SNN predictions/s (${snn.device}): ${snn.predictionsPerSecBatch1.toFixed(0)} at batch 1, ${snn.predictionsPerSecBatched.toFixed(0)} at batch ${snn.batch}`);

console.log(
  JSON.stringify({
    bench: 'native',
    device,
    snn_device: snn.device,
    threads,
    embeddings_per_sec: embeddings,
    router_decisions_per_sec: router,
    snn_predictions_per_sec: { b1: Math.round(snn.predictionsPerSecBatch1), [`b${snn.batch}`]: Math.round(snn.predictionsPerSecBatched), latency_p50_us: Math.round(snn.latencyP50Us) },
  }),
);
