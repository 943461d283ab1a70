import type { BaseMessage } from '@langchain/core/messages';
import { AIMessage, HumanMessage, SystemMessage } from '@langchain/core/messages';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { Annotation, END, MemorySaver, MessagesAnnotation, START, StateGraph, type LangGraphRunnableConfig } from '@langchain/langgraph';
import { describe, expect, it } from 'vitest';
import { createRecallNode, createRecordNode, InsulaAnnotation, type TurnOptions } from '../../adapters/langgraph/index.js';
import { createHooks } from '../../src/hooks/index.js';
import { useTestInsula } from '../helpers.js';

const State = Annotation.Root({ ...MessagesAnnotation.spec, ...InsulaAnnotation.spec });

/** recall → model → record, with a checkpointer so each thread is one conversation. */
function buildGraph(options: TurnOptions, responses: string[]) {
  const model = new FakeListChatModel({ responses });
  return new StateGraph(State)
    .addNode('recall', createRecallNode(options))
    .addNode('model', async (state: typeof State.State, config: LangGraphRunnableConfig) => {
      const system = new SystemMessage(['You are a deployment assistant.', state.insula?.block ?? ''].join('\n\n'));
      return { messages: [await model.invoke([system, ...state.messages], config)] };
    })
    .addNode('record', createRecordNode(options))
    .addEdge(START, 'recall')
    .addEdge('recall', 'model')
    .addEdge('model', 'record')
    .addEdge('record', END)
    .compile({ checkpointer: new MemorySaver() });
}

/** Collects the messages each chat model call receives. */
function captureModelInput(): { seen: BaseMessage[][]; callbacks: Array<{ handleChatModelStart(llm: unknown, messages: BaseMessage[][]): void }> } {
  const seen: BaseMessage[][] = [];
  return { seen, callbacks: [{ handleChatModelStart: (_llm, messages) => void seen.push(messages[0]!) }] };
}

describe('LangGraph recall and record nodes', () => {
  const ctx = useTestInsula();

  it('recalls earlier turns into the prompt and state, records each exchange, and tracks the interoceptive state', async () => {
    const hooks = createHooks(ctx.mem);
    const options: TurnOptions = { hooks, namespace: (scope) => String(scope.configurable?.user_id) };
    const graph = buildGraph(options, [
      'Noted: the billing server ships to kubernetes with blue-green releases.',
      'Use a blue-green release on kubernetes for the billing server.',
      'Glad the deploy went well.',
      'Running the blue-green deploy again.',
    ]);
    const { seen, callbacks } = captureModelInput();
    const config = { configurable: { thread_id: 't1', user_id: 'ana' }, callbacks };
    const turn = async (text: string) => {
      const out = await graph.invoke({ messages: [new HumanMessage(text)] }, config);
      await hooks.flush();
      return out;
    };

    const first = await turn('We deploy the billing server to kubernetes with blue-green releases.');
    expect(first.insula).not.toBeNull();
    expect(first.insula!.degraded).toBe(false);
    expect(first.insula!.memories).toEqual([]);
    expect(first.insula!.state.domain).toBe('ops');
    const stored = await ctx.mem.store.scanMemories('ana', null, 10);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.content).toContain('User: We deploy the billing server to kubernetes with blue-green releases.');
    expect(stored[0]!.content).toContain('Assistant: Noted: the billing server ships to kubernetes with blue-green releases.');
    expect(stored[0]!.session).toBe('t1');

    const second = await turn('How do we deploy the billing server?');
    expect(second.insula!.memories[0]!.id).toBe(stored[0]!.id);
    const system = seen[1]![0]!;
    expect(system.getType()).toBe('system');
    expect(system.text).toContain('## Recalled memories (insula)');
    expect(system.text).toContain('blue-green releases');
    expect(system.text).toContain(second.insula!.block);
    const before = second.insula!.state.domainState;

    // The user's verdict on the previous answer is feedback for the domain and the memories it used.
    await turn('That worked, thanks!');
    const fourth = await turn('Deploy the billing server to kubernetes again.');
    const after = fourth.insula!.state.domainState!;
    expect(after.successRate).toBeGreaterThan(before!.successRate);
    expect(after.valence).toBeGreaterThan(before!.valence);
    expect(fourth.messages).toHaveLength(8);
    expect(await ctx.mem.store.countMemories('ana')).toBe(4);

    // Another user's thread recalls nothing of ana's.
    const other = await graph.invoke({ messages: [new HumanMessage('How do we deploy the billing server?')] }, { configurable: { thread_id: 't2', user_id: 'bo' } });
    expect(other.insula!.memories).toEqual([]);
    await hooks.close();
  });

  it('records with the memory ids from the state, so a turn finished by a fresh hooks instance keeps them', async () => {
    const config = { configurable: { thread_id: 't' } };
    const first = createHooks(ctx.mem);
    const { id } = await ctx.mem.remember({ content: 'The billing server deploys with blue-green releases.', importance: 0.5 });
    const history = [new HumanMessage('How does the billing server deploy?')];
    const { insula } = await createRecallNode({ hooks: first })({ messages: history }, config);
    expect(insula!.memories.map((m) => m.id)).toContain(id);

    // Another process: new hooks, same checkpointed state. The verdict reinforces the memories used.
    const second = createHooks(ctx.mem);
    const answered = [...history, new AIMessage('With blue-green releases.')];
    await createRecordNode({ hooks: second })({ messages: answered, insula }, config);
    await createRecallNode({ hooks: second })({ messages: [...answered, new HumanMessage('That worked, thanks!')] }, config);
    await second.close();
    expect((await ctx.mem.get(id))!.importance).toBeCloseTo(0.55, 5);
  });

  it('does nothing without a human message or before the AI has answered', async () => {
    const hooks = createHooks(ctx.mem);
    const recall = createRecallNode({ hooks });
    const record = createRecordNode({ hooks });
    const config = { configurable: { thread_id: 't' } };
    expect(await recall({ messages: [new AIMessage('hello')] }, config)).toEqual({ insula: null });
    await record({ messages: [new HumanMessage('Store nothing yet')] }, config);
    await record({ messages: [new HumanMessage('Still nothing'), new AIMessage({ content: '', tool_calls: [{ name: 'x', args: {}, id: '1' }] })] }, config);
    await hooks.close();
    expect(await ctx.mem.store.countMemories('default')).toBe(0);
  });

  it('rejects bad options naming the field', () => {
    const hooks = createHooks(ctx.mem);
    expect(() => createRecallNode({ hooks, namespace: 'no spaces allowed' })).toThrow(/namespace/);
    expect(() => createRecordNode({ hooks: {} as never })).toThrow(/hooks/);
    expect(() => createRecallNode({ hooks, k: 0 })).toThrow(/k/);
  });
});
