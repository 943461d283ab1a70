import { join } from 'node:path';
import { generateText, streamText, wrapLanguageModel } from 'ai';
import { MockLanguageModelV3, simulateReadableStream } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { insulaAiSdkMiddleware } from '../../adapters/ai-sdk/index.js';
import { createHooks } from '../../src/hooks/index.js';
import { openTestInsula, tempDir, useTestInsula } from '../helpers.js';

const usage = { inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 5, text: 5, reasoning: 0 } };

describe('Vercel AI SDK middleware', () => {
  const ctx = useTestInsula();

  it('puts the block in the system message of generateText calls and records the reply', async () => {
    await ctx.mem.remember({ namespace: 'team', content: 'The staging cluster is called kestrel and lives in eu-west.' });
    const hooks = createHooks(ctx.mem);
    const model = new MockLanguageModelV3({
      doGenerate: { content: [{ type: 'text', text: 'Staging runs on kestrel in eu-west.' }], finishReason: { unified: 'stop', raw: 'stop' }, usage, warnings: [] },
    });
    const wrapped = wrapLanguageModel({ model, middleware: insulaAiSdkMiddleware({ hooks, namespace: 'team', sessionId: 'chat-1' }) });
    const { text } = await generateText({ model: wrapped, system: 'You are an ops assistant.', prompt: 'Which cluster is staging on?' });
    expect(text).toBe('Staging runs on kestrel in eu-west.');

    const call = model.doGenerateCalls[0]!;
    const system = call.prompt[0]!;
    expect(system.role).toBe('system');
    expect(system.content).toMatch(/^You are an ops assistant\.\n\n## Interoceptive state \(insula\)/);
    expect(system.content).toContain('The staging cluster is called kestrel');
    expect(call.prompt.filter((m) => m.role === 'system')).toHaveLength(1);
    // The hub's sampling, since the call set none.
    expect(call.temperature).toBeGreaterThan(0);

    await hooks.flush();
    const exchange = (await ctx.mem.store.scanMemories('team', null, 10)).find((m) => m.source === 'insula-hooks');
    expect(exchange?.content).toBe('User: Which cluster is staging on?\nAssistant: Staging runs on kestrel in eu-west.');
    expect(exchange?.session).toBe('chat-1');
  });

  it('records a streamed reply when the stream ends, with per-call namespace and outcome', async () => {
    const hooks = createHooks(ctx.mem);
    const model = new MockLanguageModelV3({
      doStream: {
        stream: simulateReadableStream({
          chunks: [
            { type: 'text-start', id: 't' },
            { type: 'text-delta', id: 't', delta: 'Use the ' },
            { type: 'text-delta', id: 't', delta: 'blue-green switch.' },
            { type: 'text-end', id: 't' },
            { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage },
          ],
        }),
      },
    });
    const wrapped = wrapLanguageModel({ model, middleware: insulaAiSdkMiddleware({ hooks, applyGeneration: false }) });
    const result = streamText({
      model: wrapped,
      prompt: 'How do we deploy the billing service?',
      temperature: 0.2,
      providerOptions: { insula: { namespace: 'billing-team', sessionId: 's9', outcome: true } },
    });
    expect(await result.text).toBe('Use the blue-green switch.');
    expect(model.doStreamCalls[0]!.temperature).toBe(0.2);
    await hooks.flush();
    const [exchange] = (await ctx.mem.store.scanMemories('billing-team', null, 10)).filter((m) => m.source === 'insula-hooks');
    expect(exchange!.content).toBe('User: How do we deploy the billing service?\nAssistant: Use the blue-green switch.');
    expect((await ctx.mem.state('billing-team')).domains['ops']!.outcomes).toBeGreaterThan(0);
    expect(await ctx.mem.store.countMemories('default')).toBe(0);
  });

  it('leaves the call alone when insula is down (fail-open)', async () => {
    const t = tempDir();
    const closed = await openTestInsula(join(t.dir, 'db.kuzu'));
    await closed.close();
    const hooks = createHooks(closed, { breaker: { failureThreshold: 1, cooldownMs: 60_000 } });
    const model = new MockLanguageModelV3({
      doGenerate: { content: [{ type: 'text', text: 'ok' }], finishReason: { unified: 'stop', raw: 'stop' }, usage, warnings: [] },
    });
    const wrapped = wrapLanguageModel({ model, middleware: insulaAiSdkMiddleware({ hooks }) });
    const { text } = await generateText({ model: wrapped, system: 'Plain.', prompt: 'hello there' });
    expect(text).toBe('ok');
    expect(model.doGenerateCalls[0]!.prompt[0]).toEqual({ role: 'system', content: 'Plain.' });
    expect(hooks.health().incidents).toBeGreaterThan(0);
    t.cleanup();
  });
});
