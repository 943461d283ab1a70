/**
 * What Kùzu 0.11.3's own indexes cost on this machine, without any insula code on top: the floor
 * under the store figures of bench/memory.ts.
 *  - HNSW + FTS maintenance: rows bulk-loaded with COPY (Kùzu's fastest write path) in batches of
 *    --batch into a table that has both indexes, with the store's HNSW parameters and real
 *    USE-lite embeddings of the bench corpus.
 *  - Full-text query latency at --n rows of the same corpus (FTS index only, so the load is quick).
 * Prints one JSON line last.
 *
 *   npm run bench:kuzu -- --n 100000 --hnsw-n 20000
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import kuzu from 'kuzu';
import { quantile } from 'simple-statistics';
import { createUseLiteEmbedder } from '../native/use/embedder.js';
import { seededRandom } from '../src/random.js';
import { sentence } from './corpus.js';

const args = new Command()
  .option('--n <count>', 'rows for the full-text query measurement', (v) => Number(v), 100_000)
  .option('--hnsw-n <count>', 'rows loaded into the table with both indexes', (v) => Number(v), 20_000)
  .option('--batch <size>', 'rows per COPY', (v) => Number(v), 1000)
  .option('--queries <count>', 'full-text queries', (v) => Number(v), 50)
  .parse()
  .opts<{ n: number; hnswN: number; batch: number; queries: number }>();

const dir = mkdtempSync(join(tmpdir(), 'insula-kuzu-bench-'));
const batchFile = join(dir, 'batch.json');

async function withDatabase<T>(name: string, body: (query: (cypher: string, params?: Record<string, kuzu.KuzuValue>) => Promise<Record<string, kuzu.KuzuValue>[]>) => Promise<T>): Promise<T> {
  const db = new kuzu.Database(join(dir, name), 1024 * 1024 * 1024);
  const conn = new kuzu.Connection(db);
  const query = async (cypher: string, params?: Record<string, kuzu.KuzuValue>) => {
    const result = params ? await conn.execute(await conn.prepare(cypher), params) : await conn.query(cypher);
    return (Array.isArray(result) ? result[0]! : result).getAll();
  };
  try {
    return await body(query);
  } finally {
    await conn.close();
    await db.close();
  }
}

/** Writes rows as JSON lines and COPYs them in; returns the milliseconds the COPY took. */
async function copyRows(query: (cypher: string) => Promise<unknown>, rows: object[]): Promise<number> {
  writeFileSync(batchFile, rows.map((r) => JSON.stringify(r)).join('\n'));
  const t = performance.now();
  await query(`COPY Memory FROM '${batchFile}'`);
  return performance.now() - t;
}

const texts = seededRandom(7);
const figures: Record<string, number> = {};
try {
  const embedder = await createUseLiteEmbedder();
  const insertRates: Array<[number, number]> = [];
  await withDatabase('hnsw.kuzu', async (query) => {
    await query('CREATE NODE TABLE Memory(id STRING, content STRING, embedding FLOAT[512], PRIMARY KEY(id))');
    await query("CALL CREATE_VECTOR_INDEX('Memory', 'memory_embedding', 'embedding', metric := 'cosine', mu := 24, ml := 48, efc := 100)");
    await query("CALL CREATE_FTS_INDEX('Memory', 'memory_content', ['content'], stemmer := 'english')");
    for (let done = 0; done < args.hnswN; done += args.batch) {
      const contents = Array.from({ length: args.batch }, () => sentence(texts));
      const vectors = await embedder.embed(contents);
      const rows = contents.map((content, i) => ({ id: `m${done + i}`, content, embedding: Array.from(vectors[i]!) }));
      insertRates.push([done + args.batch, args.batch / ((await copyRows(query, rows)) / 1000)]);
    }
  });
  await embedder.close();
  figures.hnsw_fts_copy_rows_per_s_first_batch = Math.round(insertRates[0]![1]);
  figures.hnsw_fts_copy_rows_per_s_last_batch = Math.round(insertRates.at(-1)![1]);
  figures.hnsw_rows = args.hnswN;

  await withDatabase('fts.kuzu', async (query) => {
    await query('CREATE NODE TABLE Memory(id STRING, content STRING, PRIMARY KEY(id))');
    await query("CALL CREATE_FTS_INDEX('Memory', 'memory_content', ['content'], stemmer := 'english')");
    for (let done = 0; done < args.n; done += 10_000) {
      await copyRows(query, Array.from({ length: Math.min(10_000, args.n - done) }, (_, i) => ({ id: `m${done + i}`, content: sentence(texts) })));
    }
    const samples: number[] = [];
    const queries = seededRandom(99);
    for (let i = 0; i < args.queries; i++) {
      const q = sentence(queries).replace(/[^\p{L}\p{N}]+/gu, ' ');
      const t = performance.now();
      await query("CALL QUERY_FTS_INDEX('Memory', 'memory_content', $q, top := 64) RETURN node.id AS id, score", { q });
      samples.push(performance.now() - t);
    }
    figures.fts_rows = args.n;
    figures.fts_query_p50_ms = Math.round(quantile(samples, 0.5) * 10) / 10;
    figures.fts_query_p99_ms = Math.round(quantile(samples, 0.99) * 10) / 10;
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify(figures));
