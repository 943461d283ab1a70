import { FakeListChatModel } from '@langchain/core/utils/testing';
import { describe, expect, it } from 'vitest';
import { createHooks } from '../../src/hooks/index.js';
import { appraiseWithModel, detectAffect, detectDomain, detectVerdict, toolOutcome } from '../../src/hooks/turn-appraisal.js';
import { useTestInsula } from '../helpers.js';

describe('turn appraisal heuristics', () => {
  it('reads domain, affect with negation, verdicts and tool outcomes', () => {
    expect(detectDomain('The kubernetes deploy to production failed during rollback')).toBe('ops');
    expect(detectDomain('Refactor this typescript function')).toBe('coding');
    expect(detectDomain('Hello there')).toBe('general');
    expect(detectAffect('Thanks, that works great!').valence).toBeGreaterThan(0.5);
    expect(detectAffect('This is not good, it is broken').valence).toBeLessThan(-0.5);
    expect(detectAffect('The file is in the folder').valence).toBe(0);
    expect(detectAffect('WHY is this STILL broken?!').arousal).toBeGreaterThan(detectAffect('this is broken').arousal);
    expect(detectVerdict("That didn't work")).toBe(-1);
    expect(detectVerdict("That's wrong, try again")).toBe(-1);
    expect(detectVerdict('Thanks, that fixed it')).toBe(1);
    expect(detectVerdict('What about Tuesday?')).toBeNull();
    expect(toolOutcome([])).toBeNull();
    expect(toolOutcome([{ name: 'a', ok: true }, { name: 'b', ok: false }])).toBe(0);
  });
});

describe('appraisal by a chat model', () => {
  const ctx = useTestInsula();

  it('uses the model in the background, keeps what the host fixed, and survives a bad reply', async () => {
    const model = new FakeListChatModel({ responses: ['{"domain": "billing", "valence": -0.6, "arousal": 0.7, "outcome": 0.5}'] });
    expect(await appraiseWithModel(model, { userText: 'I was charged twice', assistantText: 'Refund issued.' }, { outcome: -1 })).toEqual({
      domain: 'billing',
      valence: -0.6,
      arousal: 0.7,
      outcome: -1,
    });

    const hooks = createHooks(ctx.mem, { chatModel: new FakeListChatModel({ responses: ['{"domain": "billing", "valence": -0.6, "arousal": 0.7, "outcome": null}', 'no json here'] }) });
    await hooks.beforeOutbound({ sessionId: 's', userText: 'I was charged twice this month.', assistantText: 'I have refunded the second charge.' });
    await hooks.flush();
    const [stored] = await ctx.mem.recall('charged twice', { k: 1, recordAccess: false });
    expect(stored!.memory.domain).toBe('billing');
    expect(stored!.memory.valence).toBeCloseTo(-0.6);
    // An unusable reply falls back to the heuristics and counts an incident; the exchange is still stored.
    await hooks.beforeOutbound({ sessionId: 's', userText: 'Thanks, the refund arrived!', assistantText: 'Glad to hear it.' });
    await hooks.flush();
    expect(await ctx.mem.store.countMemories('default')).toBe(2);
    expect(hooks.health()).toMatchObject({ incidents: 1, breaker: 'closed' });
  });
});
