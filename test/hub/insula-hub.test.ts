import { describe, expect, it } from 'vitest';
import { useTestInsula } from '../helpers.js';

describe('hub inside the memory core', () => {
  const ctx = useTestInsula();

  it('tells listeners about every hub change, the deletion of a namespace included, until they unsubscribe', async () => {
    const heard: string[] = [];
    const unsubscribe = ctx.mem.onHubChange((ns) => heard.push(ns));
    await ctx.mem.signal({ source: 'emotion', valence: 0.2 }, 'a');
    await ctx.mem.forgetNamespace('a');
    unsubscribe();
    await ctx.mem.signal({ source: 'emotion', valence: 0.2 }, 'b');
    expect(heard).toEqual(['a', 'a']);
  });

  it('persists hub state per namespace and restores it exactly on reopen', async () => {
    await ctx.mem.signal({ source: 'emotion', domain: 'coding', valence: -0.4, arousal: 0.7, time: 1 });
    for (let i = 0; i < 30; i++) await ctx.mem.feedback({ domain: 'coding', strategy: 'tdd', success: i % 4 !== 0 });
    await ctx.mem.metric({ metric: 'latency', value: 120, domain: 'coding' });
    await ctx.mem.signal({ source: 'emotion', domain: 'travel', valence: 0.8, time: 2 }, 'other');
    const before = [await ctx.mem.state(), await ctx.mem.state('other')];
    const mem = await ctx.reopen();
    expect([await mem.state(), await mem.state('other')]).toEqual(before);
    expect(before[0]!.domains['coding']!.strategies['tdd']!.trials).toBeGreaterThan(20);
    expect(before[1]!.domains['coding']).toBeUndefined();
  });

  it('a wrong answer penalises the memory that misled it for similar questions (somatic marker)', async () => {
    const mem = ctx.mem;
    const [old] = await mem.rememberMany([{ content: 'The user lives in Paris.' }], Date.now() - 86_400_000);
    await mem.remember({ content: 'The user has moved to Berlin.' });
    for (let i = 0; i < 5; i++) await mem.remember({ content: `Unrelated note number ${i} about the garden.` });
    const question = 'Where does the user live?';
    const first = await mem.recall(question, { k: 3, recordAccess: false });
    const oldFirst = first.find((r) => r.id === old!.id)!;
    expect(oldFirst.explanation.multipliers.somatic).toBe(1);
    await mem.feedback({ success: false, memoryIds: [old!.id], situation: question });
    const after = await mem.recall('Where does the user live now?', { k: 10, recordAccess: false });
    const oldAfter = after.find((r) => r.id === old!.id)!;
    expect(oldAfter.explanation.multipliers.somatic).toBeLessThan(0.8);
    expect(after[0]!.content).toContain('Berlin');
    // Without the hub's part in this recall, the multiplier is not applied.
    const plain = await mem.recall(question, { k: 10, recordAccess: false, regulate: false });
    expect(plain.find((r) => r.id === old!.id)!.explanation.multipliers.somatic).toBe(1);
  });

  it('scores alignment against SOUL drives; unrelated memories are neutral', async () => {
    const mem = ctx.mem;
    const drives = await mem.setSoul('# Soul\n\n## Drives\n- Protect user privacy\n- Avoid deleting production data\n');
    expect(drives).toBe(2);
    const hub = mem.hub!;
    const embed = async (t: string) => (await mem.embedder.embed([t]))[0]!;
    const good = 'We encrypted the export to protect user privacy.';
    const bad = 'I started deleting production data to free space.';
    const neutral = 'The weather was sunny at the picnic.';
    expect(hub.alignment('default', good, await embed(good)).alignment).toBeGreaterThan(0.2);
    expect(hub.alignment('default', bad, await embed(bad)).alignment).toBeLessThan(-0.2);
    expect(hub.alignment('default', neutral, await embed(neutral)).alignment).toBe(0);
  });

  it('forgetting a namespace removes its hub state, also after reopening', async () => {
    await ctx.mem.remember({ content: 'A note', namespace: 'gone', session: 's', valence: -0.5 });
    await ctx.mem.feedback({ namespace: 'gone', domain: 'x', strategy: 'a', success: true });
    expect((await ctx.mem.state('gone')).events).toBeGreaterThan(0);
    await ctx.mem.forgetNamespace('gone');
    expect((await ctx.mem.state('gone')).events).toBe(0);
    const mem = await ctx.reopen();
    expect((await mem.state('gone')).events).toBe(0);
  });

  it('a failure inside the hub bookkeeping never blocks recall', async () => {
    await ctx.mem.remember({ content: 'The deploy script lives in ops/deploy.sh' });
    const report = await ctx.mem.recallWithReport('where is the deploy script?');
    expect(report.results[0]!.content).toContain('deploy');
    expect(report.confidence!.confidence).toBeGreaterThan(0);
    expect(report.confidence!.confidence).toBeLessThanOrEqual(1);
  });
});
