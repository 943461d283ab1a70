/**
 * Memory benchmark: ingest rate with the default embedder, recall latency (p50/p99, query
 * embedding included) at 10k and at --n, growth between them, peak RSS, and a side-by-side
 * search against @modelcontextprotocol/server-memory at 10k entities through its MCP interface.
 * Prints one JSON line last.
 *
 *   npm run bench:memory -- --n 100000
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Presets, SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { quantile } from 'simple-statistics';
import { Insula } from '../src/index.js';
import { seededRandom } from '../src/random.js';
import { sentence } from './corpus.js';

const args = new Command()
  .option('--n <count>', 'memories to ingest', (v) => Number(v), 100_000)
  .option('--queries <count>', 'recall queries per measurement', (v) => Number(v), 200)
  .option('--batch <size>', 'memories per rememberMany call', (v) => Number(v), 256)
  .option('--embedder <kind>', 'use-lite | glove', 'use-lite')
  .option('--no-compare', 'skip the server-memory comparison')
  .parse()
  .opts<{ n: number; queries: number; batch: number; embedder: 'use-lite' | 'glove'; compare: boolean }>();

function percentiles(samples: number[]): { p50: number; p99: number } {
  const round = (x: number) => Math.round(x * 100) / 100;
  return { p50: round(quantile(samples, 0.5)), p99: round(quantile(samples, 0.99)) };
}

let peakRss = 0;
const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));

async function measureRecall(mem: Insula, r: () => number): Promise<{ p50: number; p99: number }> {
  const samples: number[] = [];
  for (let i = 0; i < 10; i++) await mem.recall(sentence(r), { k: 10, recordAccess: false });
  for (let i = 0; i < args.queries; i++) {
    const q = sentence(r);
    const t = performance.now();
    await mem.recall(q, { k: 10 });
    samples.push(performance.now() - t);
    sampleRss();
  }
  await mem.flush();
  return percentiles(samples);
}

/** The reference server: its own MCP interface over stdio, searching 10k entities. */
async function measureServerMemory(count: number, r: () => number): Promise<{ p50: number; p99: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'server-memory-'));
  const entry = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-memory/dist/index.js');
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [entry],
    env: { ...(process.env as Record<string, string>), MEMORY_FILE_PATH: join(dir, 'memory.jsonl') },
    stderr: 'ignore',
  });
  const client = new Client({ name: 'insula-bench', version: '0' });
  await client.connect(transport);
  try {
    for (let i = 0; i < count; i += 500) {
      const entities = Array.from({ length: Math.min(500, count - i) }, (_, j) => ({
        name: `memory-${i + j}`,
        entityType: 'memory',
        observations: [sentence(r)],
      }));
      await client.callTool({ name: 'create_entities', arguments: { entities } });
    }
    const samples: number[] = [];
    for (let i = 0; i < args.queries; i++) {
      const words = sentence(r).split(' ');
      const query = words[1 + Math.floor(r() * 3)]!;
      const t = performance.now();
      await client.callTool({ name: 'search_nodes', arguments: { query } });
      samples.push(performance.now() - t);
    }
    return percentiles(samples);
  } finally {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const dir = mkdtempSync(join(tmpdir(), 'insula-bench-'));
const mem = await Insula.open({ path: join(dir, 'db.kuzu'), embedder: { kind: args.embedder } });
const corpus = seededRandom(7);
const queries = seededRandom(99);
const checkpoints = [...new Set([Math.min(10_000, args.n), args.n])];
const recallAt: Record<number, { p50: number; p99: number }> = {};
let ingestMs = 0;
try {
  const bar = new SingleBar({ format: 'ingest {bar} {value}/{total} memories ({rate}/s)', stream: process.stderr }, Presets.shades_classic);
  bar.start(args.n, 0, { rate: 0 });
  let done = 0;
  for (const checkpoint of checkpoints) {
    while (done < checkpoint) {
      const size = Math.min(args.batch, checkpoint - done);
      const batch = Array.from({ length: size }, () => ({ content: sentence(corpus), session: `s${Math.floor(done / 50)}` }));
      const t = performance.now();
      await mem.rememberMany(batch);
      ingestMs += performance.now() - t;
      done += size;
      sampleRss();
      bar.update(done, { rate: Math.round(done / (ingestMs / 1000)) });
    }
    recallAt[checkpoint] = await measureRecall(mem, queries);
  }
  bar.stop();
} finally {
  await mem.close();
  rmSync(dir, { recursive: true, force: true });
}

const small = recallAt[checkpoints[0]!]!;
const large = recallAt[args.n]!;
const figures: Record<string, unknown> = {
  n: args.n,
  embedder: args.embedder,
  ingest_per_s: Math.round(args.n / (ingestMs / 1000)),
  recall_p50_ms_10k: small.p50,
  recall_p99_ms_10k: small.p99,
  recall_p50_ms: large.p50,
  recall_p99_ms: large.p99,
  growth_p50: Math.round((large.p50 / small.p50) * 100) / 100,
  peak_rss_mb: Math.round(peakRss / 2 ** 20),
};
if (args.compare) {
  const reference = await measureServerMemory(10_000, seededRandom(5));
  figures.server_memory_search_p50_ms_10k = reference.p50;
  figures.server_memory_search_p99_ms_10k = reference.p99;
  figures.speedup_vs_server_memory_p50 = Math.round((reference.p50 / small.p50) * 100) / 100;
}
console.log(JSON.stringify(figures));
