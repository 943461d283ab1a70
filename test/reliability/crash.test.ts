/**
 * Crash durability, short: the soak of bench/soak/crash.ts (`npm run soak:crash`) for five cycles.
 * A writer process is SIGKILLed at seeded random moments; everything it acknowledged must be there
 * after reopening, found by both indexes, and the hub state must not be older than its last
 * checkpoint. Seed 17 plans: a kill whose WAL the next writer replays (cycle 1), a kill while that
 * writer opens the store (cycle 2), another chained kill (cycle 4).
 */
import { describe, expect, it } from 'vitest';
import { HubLedger, runCrashSoak } from '../../bench/soak/crash.js';
import { InteroceptiveHub } from '../../src/hub/hub.js';
import { tempDir } from '../helpers.js';

describe('crash durability', () => {
  it('loses nothing acknowledged when the writer is SIGKILLed at random moments', async () => {
    const log: string[] = [];
    const { dir, cleanup } = tempDir('insula-crash-');
    const report = await runCrashSoak({ cycles: 5, seed: 17, maxRunMs: 900, dir, log: (line) => log.push(line) }).finally(cleanup);
    expect(report.problems, log.join('\n')).toEqual([]);
    expect(report).toMatchObject({ ok: true, cycles: 5, lost: 0, reopenFailures: 0, writerFailures: 0, indexMismatches: 0, hubCheckpointsLost: 0 });
    expect(report).toMatchObject({ deletedResurfaced: 0, tornBatches: 0, backgroundErrors: 0 });
    expect(report).toMatchObject({ earlyKills: 1, chainedKills: 2, verifications: 3 });
    // The writers got real work done between the kills, and the store holds at least all of it.
    expect(report.acked).toBeGreaterThan(10);
    expect(report.hubCheckpoints).toBeGreaterThan(0);
    expect(report.memoriesInStore).toBeGreaterThanOrEqual(report.acked - report.forgets);
  }, 60_000);
});

describe('hub checkpoint rule', () => {
  const mark = (events: number, hash = `h${events}`) => ({ events, hash });
  /** Reported: 0, 1, 2 (checkpoint), 5; calls then in flight or not. */
  const ledger = (inFlight: boolean) => {
    const l = new HubLedger(mark(0));
    l.report(mark(1), false);
    l.report(mark(2), true);
    l.report(mark(5), false);
    l.inFlight = inFlight;
    return l;
  };

  it('accepts the checkpoint, later reported states and states inside later completed calls', () => {
    const l = ledger(false);
    for (const found of [mark(2), mark(5), mark(2, 'inside'), mark(3, 'inside'), mark(5, 'inside')]) expect(l.admits(found), JSON.stringify(found)).toBe(true);
  });

  it('rejects states older than the checkpoint and states ahead of the writer', () => {
    const l = ledger(false);
    for (const found of [mark(1), mark(0), mark(1, 'unseen'), mark(6, 'ahead')]) expect(l.admits(found), JSON.stringify(found)).toBe(false);
  });

  it('covers a somatic reading: a recall that changes the hub state schedules its save', () => {
    // Found by the soak: recall's somatic reading (gut feeling, domain recency) changed the state
    // without a save, so `flush()` returned with the state on disk older than the one reported.
    const hub = new InteroceptiveHub();
    let saves = 0;
    hub.onChange = () => void saves++;
    const situation = new Float32Array(8).fill(0.5);
    hub.feedback('ns', { domain: 'deploy', strategy: 'blue-green', success: false, memoryIds: ['m1'] }, situation);
    const before = hub.snapshot('ns');
    saves = 0;
    hub.somatic('ns', situation, 'billing');
    expect(hub.snapshot('ns')).not.toBe(before);
    expect(saves).toBe(1);
  });

  it('accepts what a call in flight at the kill did, never an older state', () => {
    const l = ledger(true);
    expect(l.admits(mark(6, 'in flight'))).toBe(true);
    expect(l.admits(mark(5, 'forget in flight'))).toBe(true);
    expect(l.admits(mark(1))).toBe(false);
    expect(l.admits(mark(1, 'unseen'))).toBe(false);
  });
});
