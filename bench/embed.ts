/**
 * Throughput of the default USE-lite embedder on CPU with 2 threads, at batch 1 (one remember()
 * at a time) and batch 32 (bulk import). Run: npx tsx bench/embed.ts
 * The last line of output is a single JSON object.
 */
import { createUseLiteEmbedder } from '../native/use/embedder.js';
import { texts } from './corpus.js';
import { throughput } from './throughput.js';


const embedder = await createUseLiteEmbedder({ threads: 2, device: 'cpu' });
const t0 = performance.now();
await embedder.embed(['first call: converts (or loads) the model']);
console.log(`first embed ${(performance.now() - t0).toFixed(0)} ms (model ${embedder.loadedFrom}, ${embedder.modelPath})`);

let next = 0;
const single = texts(17);
const batch1 = await throughput(() => embedder.embed([single[next++ % single.length]!]), 1, 7);
const batch = texts(32);
const batch32 = await throughput(() => embedder.embed(batch), 32, 7);
await embedder.close();

console.log(`batch 1: ${batch1.best.toFixed(0)} sentences/s (median ${batch1.median.toFixed(0)})`);
console.log(`batch 32: ${batch32.best.toFixed(0)} sentences/s (median ${batch32.median.toFixed(0)})`);
console.log(
  JSON.stringify({
    batch1_per_s: Math.round(batch1.best),
    batch32_per_s: Math.round(batch32.best),
    batch1_median_per_s: Math.round(batch1.median),
    batch32_median_per_s: Math.round(batch32.median),
    threads: 2,
    embedder: embedder.name,
  }),
);
