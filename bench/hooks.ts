/**
 * Hook overhead: what `beforeInbound` (recall + hub state + regulation + rendering) and
 * `beforeOutbound` (appraisal, then queued) cost the host's turn, p50/p99, at each store size in
 * --sizes. Target: beforeInbound p50 ≤ 10 ms at 100k memories. Prints one JSON line last.
 *
 *   npm run bench:hooks -- --sizes 10000,100000
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { quantile } from 'simple-statistics';
import { createHooks, Insula } from '../src/index.js';
import { seededRandom } from '../src/random.js';
import { sentence } from './corpus.js';

const args = new Command()
  .option('--sizes <list>', 'store sizes to measure at, ascending', (v) => v.split(',').map(Number), [10_000])
  .option('--turns <count>', 'host turns measured per size', (v) => Number(v), 200)
  .option('--embedder <kind>', 'use-lite | glove', 'use-lite')
  .parse()
  .opts<{ sizes: number[]; turns: number; embedder: 'use-lite' | 'glove' }>();

const round = (x: number) => Math.round(x * 100) / 100;
const summary = (xs: number[]) => ({ p50: round(quantile(xs, 0.5)), p99: round(quantile(xs, 0.99)) });

const dir = mkdtempSync(join(tmpdir(), 'insula-bench-hooks-'));
const mem = await Insula.open({ path: join(dir, 'db.kuzu'), embedder: { kind: args.embedder } });
const hooks = createHooks(mem, { timeoutMs: 60_000 });
const r = seededRandom(11);
const figures: Record<string, unknown> = { embedder: mem.embedder.name, turns: args.turns };
try {
  let stored = 0;
  for (const size of args.sizes) {
    const bar = new SingleBar({ format: `ingest to ${size} {bar} {value}/{total}`, stream: process.stderr }, Presets.shades_classic);
    bar.start(size, stored);
    while (stored < size) {
      const batch = Array.from({ length: Math.min(256, size - stored) }, () => ({ content: sentence(r), session: `s${Math.floor(stored / 20)}` }));
      await mem.rememberMany(batch);
      stored += batch.length;
      bar.update(stored);
    }
    bar.stop();
    await mem.flush();

    const inbound: number[] = [];
    const outbound: number[] = [];
    for (let i = 0; i < args.turns + 10; i++) {
      const userText = sentence(r);
      const sessionId = `host-${i % 7}`;
      let t = performance.now();
      const context = await hooks.beforeInbound({ sessionId, userText });
      const tIn = performance.now() - t;
      if (context.degraded) throw new Error(`beforeInbound degraded: ${context.error}`);
      t = performance.now();
      await hooks.beforeOutbound({ sessionId, userText, assistantText: sentence(r), outcome: r() < 0.7 });
      const tOut = performance.now() - t;
      // Queued work is drained between turns, as a host's idle time would; it is not counted.
      await hooks.flush();
      await mem.flush();
      if (i >= 10) {
        inbound.push(tIn);
        outbound.push(tOut);
      }
    }
    stored += args.turns + 10;
    figures[`before_inbound_ms_at_${size}`] = summary(inbound);
    figures[`before_outbound_ms_at_${size}`] = summary(outbound);
    console.error(`at ${size}: beforeInbound p50 ${summary(inbound).p50} ms, beforeOutbound p50 ${summary(outbound).p50} ms`);
  }
  figures['incidents'] = hooks.health().incidents;
} finally {
  await mem.close();
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify(figures));
