/**
 * The fuzzing soak (bench/soak/fuzz.ts) at CI size: the same fast-check cases over every public
 * entry point, a fixed seed, about a thousand cases and two CLI runs. `npm run soak:fuzz` runs
 * 100,000.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliCases, openFuzzHarness, runCliCase, type FuzzHarness } from '../../bench/soak/fuzz.js';
import { openTestInsula, tempDir } from '../helpers.js';

const SEED = 20_260_611;
/** Cases per unit of a target's weight (the weights sum to about 100). */
const RUNS_PER_WEIGHT = 10;

let harness: FuzzHarness;
let dir: string;
let cleanup: () => void;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('insula-fuzz-'));
  harness = await openFuzzHarness(dir, (path) => openTestInsula(path));
});

afterAll(async () => {
  await harness.close();
  cleanup();
});

describe('fuzzing every entry point', () => {
  it('never crashes, rejects bad input naming the field without changing the store, and keeps valid text verbatim', async () => {
    for (const [i, target] of harness.targets.entries()) {
      await fc.assert(
        fc.asyncProperty(target.arbitrary, async (c) => {
          const seen = harness.problems.length;
          await target.run(c);
          const found = harness.problems.slice(seen);
          if (found.length > 0) throw new Error(`${target.name}: ${found.map((p) => `${p.kind}: ${p.detail}`).join('\n')}`);
        }),
        { seed: SEED + i, numRuns: target.weight * RUNS_PER_WEIGHT },
      );
      expect(harness.counts[target.name], target.name).toBeGreaterThan(0);
    }
    // Both kinds of case ran: valid ones stored and recalled, bad ones rejected.
    expect(harness.tally.accepted).toBeGreaterThan(100);
    expect(harness.tally.rejected).toBeGreaterThan(100);
  }, 120_000);

  it('reads every stored memory back verbatim after reopening the store', async () => {
    await harness.verifyPersisted();
    expect(harness.problems).toEqual([]);
  }, 60_000);

  it('runs the CLI on fuzzed arguments and JSONL: exit 0 or 2 naming the field, no stack trace, imports verbatim', async () => {
    await fc.assert(
      fc.asyncProperty(cliCases, async (c) => {
        expect(await runCliCase(c, dir)).toEqual([]);
      }),
      { seed: SEED, numRuns: 2 },
    );
  }, 120_000);
});
