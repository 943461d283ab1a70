/** Items per second of an async call, as the native benches measure it. */
export interface Rate {
  median: number;
  best: number;
}

/**
 * Items/s over several windows after a warm-up. The best window estimates what the hardware does
 * when nothing else competes for the cores (shared CI boxes are noisy); the median is reported too.
 */
export async function throughput(run: () => Promise<unknown>, itemsPerRun: number, windows: number, windowMs = 1000): Promise<Rate> {
  for (let i = 0; i < 3; i++) await run(); // warm-up: session arenas, kernel selection
  const rates: number[] = [];
  for (let w = 0; w < windows; w++) {
    let runs = 0;
    const start = performance.now();
    while (performance.now() - start < windowMs) {
      await run();
      runs++;
    }
    rates.push((runs * itemsPerRun) / ((performance.now() - start) / 1000));
  }
  rates.sort((a, b) => a - b);
  return { median: Math.round(rates[rates.length >> 1]!), best: Math.round(rates.at(-1)!) };
}
