/**
 * Namespace isolation: the soak's property (bench/soak/isolation.ts) at CI size, plus the two
 * crossings it found, pinned as examples.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interleaving, ISOLATION_NAMESPACES, openIsolationHarness, type IsolationHarness } from '../../bench/soak/isolation.js';
import { openTestInsula, tempDir, useTestInsula } from '../helpers.js';

describe('random interleavings across namespaces', () => {
  let harness: IsolationHarness;
  let cleanup: () => void;

  beforeAll(async () => {
    const t = tempDir('insula-isolation-');
    cleanup = t.cleanup;
    harness = await openIsolationHarness(t.dir, (path) => openTestInsula(path));
  });

  afterAll(async () => {
    await harness.close();
    cleanup();
  });

  it('never let a recall result, link, triple, hub state or somatic marker cross a namespace', async () => {
    await fc.assert(
      fc.asyncProperty(interleaving, async (ops) => {
        expect(await harness.run(ops)).toEqual([]);
      }),
      { seed: 20_260_611, numRuns: 40 },
    );
    expect(harness.operations).toBeGreaterThan(100);
  }, 120_000);

  it('forgetNamespace leaves nothing in the raw database, the indexes or a reopened hub', async () => {
    for (const ns of ISOLATION_NAMESPACES) expect(await harness.checkpoint(ns)).toEqual([]);
  }, 60_000);
});

describe('crossings the soak found', () => {
  const t = useTestInsula();

  it("forgetting a memory keeps another namespace's triple that cites its id", async () => {
    const { id } = await t.mem.remember({ content: 'The release train leaves on Thursday.', namespace: 'b' });
    await t.mem.addTriples([{ subject: 'release', predicate: 'leaves_on', object: 'Thursday', memoryId: id }], 'a');
    expect(await t.mem.forget(id, { namespace: 'b' })).toBe(true);
    expect((await t.mem.triples({}, 'a')).map((x) => x.object)).toEqual(['Thursday']);
  });

  it("feedback naming another namespace's memories marks none of them, so forgetting that namespace leaves no trace", async () => {
    const [own] = await t.mem.rememberMany([{ content: 'Roll back with the blue-green switch.', namespace: 'a' }]);
    const [foreign] = await t.mem.rememberMany([{ content: 'Roll back with the blue-green switch.', namespace: 'b' }]);
    await t.mem.feedback({ namespace: 'a', situation: 'how do I roll back?', memoryIds: [own!.id, foreign!.id], success: false });
    await t.mem.forgetNamespace('b');
    const snapshot = JSON.parse(t.mem.hub!.snapshot('a')) as { somatic: { markers: Array<{ outcomes: Array<[string, number]> }> } };
    expect(snapshot.somatic.markers.flatMap((m) => m.outcomes.map(([id]) => id))).toEqual([own!.id]);
    expect((await t.mem.get(foreign!.id, 'a'))).toBeNull();
  });
});
