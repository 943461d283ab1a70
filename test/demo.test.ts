import { describe, expect, it } from 'vitest';
import { runDemo } from '../src/demo.js';

describe('demo (the full loop)', () => {
  it('leaves the failing strategy soon after the change and corrects a stale answer after the user says so', async () => {
    const lines: string[] = [];
    const summary = await runDemo({ embedder: 'glove', print: (line) => lines.push(line) });
    // Rolling updates break from deploy 11 on; the hub must say so within a few deploys.
    expect(summary.switchedAt).not.toBeNull();
    expect(summary.switchedAt!).toBeGreaterThan(10);
    expect(summary.switchedAt!).toBeLessThanOrEqual(14);
    expect(summary.correctedAnswer).toBe(true);
    expect(lines.join('\n')).toContain('regulation (behaviour-shift): stop repeating "rolling-update"');
  }, 60_000);
});
