/**
 * Hub throughput: validated signals integrated per second (target ≥ 1M/s) and the time to take a
 * state snapshot of a namespace (target ≤ 50 µs). Prints one JSON line last.
 *
 *   npm run bench:hub
 */
import { Command } from 'commander';
import { quantile } from 'simple-statistics';
import { InteroceptiveHub } from '../src/hub/hub.js';
import type { InteroceptiveSignalInput } from '../src/hub/signals/signal.js';
import { seededRandom } from '../src/random.js';

const args = new Command()
  .option('--signals <n>', 'signals to integrate', (v) => Number(v), 2_000_000)
  .parse()
  .opts<{ signals: number }>();

const hub = new InteroceptiveHub();
const r = seededRandom(1);
const sources = ['emotion', 'feedback', 'confidence', 'alignment', 'anomaly'] as const;
const domains = ['coding', 'research', 'support', 'planning', 'general'];
const batch: InteroceptiveSignalInput[] = Array.from({ length: 10_000 }, (_, i) => ({
  source: sources[i % sources.length]!,
  domain: domains[i % domains.length]!,
  valence: 2 * r() - 1,
  arousal: r(),
  time: 1_700_000_000_000 + i,
}));

for (const s of batch) hub.signal('bench', s); // warm-up
const started = performance.now();
for (let n = 0; n < args.signals; n += batch.length) for (const s of batch) hub.signal('bench', s);
const perSecond = args.signals / ((performance.now() - started) / 1000);

const samples: number[] = [];
for (let i = 0; i < 2000; i++) {
  const t = performance.now();
  hub.state('bench');
  samples.push((performance.now() - t) * 1000);
}
const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
console.log(
  JSON.stringify({
    signals: args.signals,
    signals_per_s: Math.round(perSecond),
    state_snapshot_p50_us: Math.round(quantile(samples, 0.5) * 10) / 10,
    state_snapshot_p99_us: Math.round(quantile(samples, 0.99) * 10) / 10,
    heap_mb_after: Math.round(heapMb),
  }),
);
