/**
 * A LangGraph graph with insula around the model node: recall → model → record, over several turns
 * of one thread, offline with a scripted fake chat model. Each turn prints what the model was given
 * and how insula's state of the domain moved.
 *
 *   npx tsx examples/langgraph-graph.ts          (INSULA_EMBEDDER=glove for the small model)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AIMessage, HumanMessage, SystemMessage } from '@langchain/core/messages';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { Annotation, END, MemorySaver, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { createRecallNode, createRecordNode, InsulaAnnotation } from '../adapters/langgraph/index.js';
import { createHooks, Insula } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'insula-example-'));
const mem = await Insula.open({ path: join(dir, 'memory.kuzu'), embedder: { kind: process.env['INSULA_EMBEDDER'] === 'glove' ? 'glove' : 'use-lite' } });
const hooks = createHooks(mem);
const model = new FakeListChatModel({
  responses: [
    'Noted: the payments service runs on Kubernetes and deploys with blue-green releases.',
    'I ran the blue-green deploy of v2.1; it failed on the database migration lock.',
    'Retried with the migration run first; v2.1 is live.',
    'Last time the migration lock broke the deploy, so run the migration before the switch-over.',
  ],
});

const State = Annotation.Root({ ...MessagesAnnotation.spec, ...InsulaAnnotation.spec });
const graph = new StateGraph(State)
  .addNode('recall', createRecallNode({ hooks, namespace: 'payments-team' }))
  .addNode('model', async (state) => {
    // The block goes into this call's system message; the conversation keeps only the real turns.
    const system = new SystemMessage(`You are the team's deploy assistant.\n\n${state.insula?.block ?? ''}`);
    return { messages: [await model.invoke([system, ...state.messages])] };
  })
  .addNode('record', createRecordNode({ hooks, namespace: 'payments-team' }))
  .addEdge(START, 'recall')
  .addEdge('recall', 'model')
  .addEdge('model', 'record')
  .addEdge('record', END)
  .compile({ checkpointer: new MemorySaver() });

const turns = [
  'Our payments service runs on Kubernetes; we deploy it with blue-green releases.',
  'Please deploy payments v2.1 to production.',
  "That didn't work, the deploy failed on the migration lock.",
  'We need to deploy v2.2 tomorrow. Anything to watch out for?',
];
try {
  for (const [i, text] of turns.entries()) {
    const out = await graph.invoke({ messages: [new HumanMessage(text)] }, { configurable: { thread_id: 'ops-chat' } });
    await hooks.flush(); // an example waits for the stored turn; a live graph would not
    const reply = out.messages.at(-1) as AIMessage;
    const d = out.insula?.state.domainState;
    console.log(`\n── turn ${i + 1}\nuser:  ${text}\nmodel: ${reply.text}`);
    console.log(`recalled: ${out.insula?.memories.map((m) => `${m.score.toFixed(2)} "${m.content.split('\n')[0]!.slice(0, 60)}"`).join(' | ') || 'nothing yet'}`);
    if (d) console.log(`state (${out.insula!.state.domain}): valence ${d.valence.toFixed(2)}, success ${d.outcomes >= 1 ? d.successRate.toFixed(2) : 'n/a'}, memories stored ${await mem.store.countMemories('payments-team')}`);
  }
} finally {
  await hooks.close();
  await mem.close();
  rmSync(dir, { recursive: true, force: true });
}
