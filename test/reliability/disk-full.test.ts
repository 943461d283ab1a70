/**
 * A real full disk at CI size: the disk-full soak (bench/soak/disk-full.ts) with 30 host turns per
 * phase, on a tmpfs it mounts. Mounting needs root or CAP_SYS_ADMIN; elsewhere the test is skipped
 * and test/reliability/fail-open.test.ts still covers the store's reserve and the hooks' side.
 */
import { describe, expect, it } from 'vitest';
import { canMountTmpfs, runDiskFull } from '../../bench/soak/disk-full.js';

describe.runIf(canMountTmpfs())('a real full disk (tmpfs)', () => {
  it('refuses writes with the reserve, contains Kùzu failing without it, and loses nothing acknowledged', async () => {
    const report = await runDiskFull({ sizeMb: 160, turns: 30, seed: 2 });
    const { guarded, unguarded } = report;
    for (const run of [guarded, unguarded]) {
      expect(run.writerExit).toBe(0);
      expect(run.writer.hostTurnFailures).toBe(0);
      expect(run.verify.lost).toBe(0);
      expect(run.verify.notRecalled).toBe(0);
      expect(run.verify.acked).toBeGreaterThan(30);
    }
    expect(guarded.writer.phases['full']!.rememberErrors).toEqual({ 'StoreFullError (no space)': 30 });
    expect(guarded.writer.storeFailed).toBe(false);
    expect(guarded.writer.phases['freed']!.remembered).toBe(30);
    expect(unguarded.writer.storeFailed).toBe(true);
    expect(report.ok).toBe(true);
  }, 300_000);
});
