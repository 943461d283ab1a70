/**
 * Throughput of the default USE-lite embedder on CPU with 2 threads, at batch 1 (one remember()
 * at a time) and batch 32 (bulk import). Run: npx tsx bench/embed.ts
 * The last line of output is a single JSON object.
 */
import { createUseLiteEmbedder } from '../native/use/embedder.js';
import { throughput } from './throughput.js';

const SENTENCES = [
  'The user prefers dark mode in every editor.',
  'Deploys to production happen on Tuesdays after the standup.',
  'Remember that the staging database is reset every night at 2am UTC.',
  'Alice is allergic to peanuts; avoid suggesting Thai takeaway.',
  'The flaky integration test fails when the network mock times out.',
  'Bob asked for the quarterly report to be summarised in three bullet points.',
  'Our API rate limit is 600 requests per minute per token.',
  'The cat knocked the coffee mug off the desk again this morning.',
  'Use pnpm rather than npm in the monorepo, the lockfile depends on it.',
  'Meeting notes: the migration to Postgres 16 is postponed until March.',
  'She finished the marathon in just under four hours.',
  'Kubernetes pods restart when the memory limit of 512Mi is exceeded.',
  'The invoice from the design agency is still unpaid.',
  'Paris is the capital of France and sits on the Seine.',
  'He mentioned he would rather work asynchronously than join daily calls.',
  'Error budget for the search service was exhausted last week.',
];

function corpus(n: number): string[] {
  return Array.from({ length: n }, (_, i) => SENTENCES[i % SENTENCES.length]!);
}

const embedder = await createUseLiteEmbedder({ threads: 2, device: 'cpu' });
const t0 = performance.now();
await embedder.embed(['first call: converts (or loads) the model']);
console.log(`first embed ${(performance.now() - t0).toFixed(0)} ms (model ${embedder.loadedFrom}, ${embedder.modelPath})`);

let next = 0;
const single = corpus(SENTENCES.length);
const batch1 = await throughput(() => embedder.embed([single[next++ % single.length]!]), 1, 7);
const batch = corpus(32);
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
