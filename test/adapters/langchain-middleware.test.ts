import type { BaseMessage } from '@langchain/core/messages';
import { MemorySaver } from '@langchain/langgraph';
import { createAgent, FakeToolCallingModel, HumanMessage } from 'langchain';
import { describe, expect, it } from 'vitest';
import { insulaMiddleware, type InsulaMiddlewareOptions } from '../../adapters/langchain/index.js';
import { createHooks } from '../../src/hooks/index.js';
import { useTestInsula } from '../helpers.js';

const SYSTEM = 'You are a deployment assistant.';

/** Collects the messages each chat model call receives. */
function captureModelInput(): { seen: BaseMessage[][]; callbacks: Array<{ handleChatModelStart(llm: unknown, messages: BaseMessage[][]): void }> } {
  const seen: BaseMessage[][] = [];
  return { seen, callbacks: [{ handleChatModelStart: (_llm, messages) => void seen.push(messages[0]!) }] };
}

function agentWith(options: InsulaMiddlewareOptions, model = new FakeToolCallingModel()) {
  return createAgent({ model, systemPrompt: SYSTEM, middleware: [insulaMiddleware(options)], checkpointer: new MemorySaver() });
}

describe('LangChain insula middleware', () => {
  const ctx = useTestInsula();

  it('adds the recalled block to the system message of the model call only, and records the exchange after the run', async () => {
    const { id } = await ctx.mem.remember({ namespace: 'ana', content: 'The billing server deploys to kubernetes with blue-green releases.' });
    const hooks = createHooks(ctx.mem);
    // Two empty tool-call rounds: the fake model names its replies by round, and the messages reducer
    // would merge two replies with the same id.
    const agent = agentWith({ hooks, namespace: (scope) => String(scope.configurable?.user_id) }, new FakeToolCallingModel({ toolCalls: [[], []] }));
    const { seen, callbacks } = captureModelInput();
    const config = { configurable: { thread_id: 't1', user_id: 'ana' }, callbacks };

    const out = await agent.invoke({ messages: [new HumanMessage('How do we deploy the billing server?')] }, config);
    expect(out.insula!.memories.map((m) => m.id)).toContain(id);
    const [system, human] = seen[0]!;
    expect(system!.getType()).toBe('system');
    expect(system!.text).toBe(`${SYSTEM}\n\n${out.insula!.block}`);
    expect(out.insula!.block).toContain('blue-green releases');
    expect(human!.text).toBe('How do we deploy the billing server?');
    // The block is not part of the conversation the agent keeps.
    expect(out.messages.map((m) => m.getType())).toEqual(['human', 'ai']);

    await hooks.close();
    const exchanges = (await ctx.mem.store.scanMemories('ana', null, 10)).filter((m) => m.source === 'insula-hooks');
    expect(exchanges).toHaveLength(1);
    expect(exchanges[0]!.content).toContain('User: How do we deploy the billing server?\nAssistant: ');
    expect(exchanges[0]!.session).toBe('t1');

    // Next run in the thread: a fresh block for that run, the previous one not carried along.
    const next = await agent.invoke({ messages: [new HumanMessage('And the search server?')] }, config);
    expect(seen[1]!.map((m) => m.getType())).toEqual(['system', 'human', 'ai', 'human']);
    expect(seen[1]![0]!.text).toBe(`${SYSTEM}\n\n${next.insula!.block}`);
    expect(next.insula!.block).not.toBe(out.insula!.block);
    await hooks.close();
    expect((await ctx.mem.store.scanMemories('ana', null, 10)).filter((m) => m.source === 'insula-hooks')).toHaveLength(2);
  });

  it('leaves the system prompt as it is when there is nothing to say', async () => {
    const mem = await ctx.reopen({ hub: false });
    const hooks = createHooks(mem);
    const { seen, callbacks } = captureModelInput();
    const out = await agentWith({ hooks }).invoke({ messages: [new HumanMessage('Hello there')] }, { configurable: { thread_id: 't' }, callbacks });
    expect(out.insula!.block).toBe('');
    expect(seen[0]![0]!.text).toBe(SYSTEM);
    await hooks.close();
    expect(await mem.store.countMemories('default')).toBe(1);
  });

  it('makes the block the system message when the agent has no system prompt', async () => {
    const hooks = createHooks(ctx.mem);
    const agent = createAgent({ model: new FakeToolCallingModel(), middleware: [insulaMiddleware({ hooks })] });
    const { seen, callbacks } = captureModelInput();
    const out = await agent.invoke({ messages: [new HumanMessage('Deploy the billing server')] }, { callbacks });
    expect(out.insula!.block).toContain('## Interoceptive state (insula)');
    expect(seen[0]![0]!.text).toBe(out.insula!.block);
    await hooks.close();
  });

  it('gives the model recall and feedback tools, and records their use as tool events', async () => {
    const { id } = await ctx.mem.remember({ namespace: 'ana', content: 'The billing server deploys to kubernetes with blue-green releases.' });
    const hooks = createHooks(ctx.mem);
    const model = new FakeToolCallingModel({
      toolCalls: [
        [{ name: 'recall_memories', args: { query: 'billing server deploy' }, id: 'c1' }],
        [{ name: 'record_feedback', args: { success: true, strategy: 'blue-green' }, id: 'c2' }],
        [],
      ],
    });
    const agent = agentWith({ hooks, tools: true, namespace: (scope) => String(scope.configurable?.user_id) }, model);
    const out = await agent.invoke({ messages: [new HumanMessage('How do we deploy the billing server?')] }, { configurable: { thread_id: 't1', user_id: 'ana' } });

    const toolMessages = out.messages.filter((m) => m.getType() === 'tool');
    expect(toolMessages).toHaveLength(2);
    const recalled = JSON.parse(toolMessages[0]!.text) as Array<{ id: string; content: string }>;
    expect(recalled[0]).toMatchObject({ id, content: 'The billing server deploys to kubernetes with blue-green releases.' });
    expect(toolMessages[1]!.text).toMatch(/^Recorded\. Success rate of "blue-green" in ops: \d+%\.$/);

    await hooks.close();
    const ops = (await ctx.mem.state('ana')).domains.ops!;
    expect(ops.strategies['blue-green']!.trials).toBeGreaterThan(0);
    expect(ops.strategies['tool:recall_memories']!.trials).toBeGreaterThan(0);
    expect(ops.strategies['tool:record_feedback']!.trials).toBeGreaterThan(0);
    expect((await ctx.mem.state('default')).domains.ops).toBeUndefined();
  });

  it('rejects bad options naming the field', () => {
    const hooks = createHooks(ctx.mem);
    expect(() => insulaMiddleware({ hooks, tools: 'yes' as never })).toThrow(/tools/);
    expect(() => insulaMiddleware({ hooks, domain: 'not a domain!' })).toThrow(/domain/);
  });
});
