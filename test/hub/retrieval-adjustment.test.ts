import { describe, expect, it } from 'vitest';
import { episodeMultipliers } from '../../src/memory/recall.js';
import { useTestInsula } from '../helpers.js';

const STORED = Date.UTC(2025, 0, 1);
const ASKED = STORED + 3_600_000;

/** A lake weekend (the picnic that happened), an office session (a lake picnic that did not), filler. */
const SESSIONS: Record<string, string[]> = {
  weekend: ['Saturday we hiked around the lake with Ana.', 'We had a picnic on Sunday.', 'The lake trip was the best part of the summer.'],
  work: ['Meeting notes from the budget review.', 'The office picnic by the lake was cancelled.', 'The printer on floor three is broken.'],
  misc: ['Buy milk and eggs.', 'Call the dentist on Monday.', 'The car needs new tyres.', 'Read the novel about the war.'],
};

describe('retrieval adjustment (low-confidence second pass)', () => {
  const ctx = useTestInsula();

  async function store(): Promise<void> {
    for (const [session, turns] of Object.entries(SESSIONS)) await ctx.mem.rememberMany(turns.map((content) => ({ content, session })), STORED);
    // The background bookkeeping (Hebbian co-admission) must not change links between the two recalls compared.
    await ctx.mem.flush();
  }

  it('leaves a confident recall exactly as the plain recall ranks it', async () => {
    await store();
    const query = 'The printer on floor three is broken';
    const plain = await ctx.mem.recall(query, { k: 6, recordAccess: false, regulate: false, now: ASKED });
    const report = await ctx.mem.recallWithReport(query, { k: 6, recordAccess: false, now: ASKED });
    expect(report.confidence!.low).toBe(false);
    expect(report.adjustment).toBeNull();
    expect(report.results.map((r) => [r.id, r.score])).toEqual(plain.map((r) => [r.id, r.score]));
    expect(report.results.every((r) => r.explanation.multipliers.episode === 1)).toBe(true);
  });

  it('lifts the memory whose episode matches the cue above an isolated match when confidence is low', async () => {
    await store();
    // A hub that doubts every recall until its domain has a confidence baseline.
    const mem = await ctx.reopen({ hub: { regulation: { coldConfidence: 1 } } });
    const query = 'When was our picnic at the lake?';
    const plain = await mem.recall(query, { k: 6, recordAccess: false, regulate: false, now: ASKED });
    const report = await mem.recallWithReport(query, { k: 6, recordAccess: false, now: ASKED });
    expect(report.confidence!.low).toBe(true);
    expect(report.adjustment).toMatchObject({ kind: 'retrieval-adjustment', episodeSupport: 0.2, lowerThreshold: true });
    // Alone, the cancelled office picnic matches the cue best; the picnic that happened sits in an
    // episode that matches it three times over, which the second pass credits.
    expect(plain[0]!.content).toContain('office picnic');
    expect(report.results[0]!.content).toBe('We had a picnic on Sunday.');
    expect(report.results[0]!.explanation.multipliers.episode).toBeGreaterThan(1);
    const ids = (rs: readonly { id: string }[]) => rs.map((r) => r.id).sort();
    expect(ids(report.results)).toEqual(ids(plain));
  });

  it('episode support: neighbours within the window of the same session, relative to the best score', () => {
    const m = (session: string | null, seq: number, type: 'episodic' | 'semantic' = 'episodic') => ({ session, seq, type });
    const items = [
      { memory: m('a', 0), score: 1 },
      { memory: m('a', 2), score: 0.5 },
      { memory: m('a', 9), score: 0.8 },
      { memory: m('b', 1), score: 0.4 },
      { memory: m(null, -1), score: 0.9 },
      { memory: m('a', 1, 'semantic'), score: 0.7 },
    ];
    const out = episodeMultipliers(items, 3, 0.2);
    expect(out[0]).toBeCloseTo(1 + 0.2 * 0.5);
    expect(out[1]).toBeCloseTo(1 + 0.2 * 1);
    // Out of the window, alone in its session, without a session, or a fact: no support, given or taken.
    expect(out.slice(2)).toEqual([1, 1, 1, 1]);
    expect(episodeMultipliers(items, 3, 0)).toEqual([1, 1, 1, 1, 1, 1]);
  });
});
