/**
 * A LangChain v1 agent (`createAgent`) with insula as middleware: recall before the model call
 * (the block goes into that call's system message only), the exchange recorded after the run.
 * Offline, with LangChain's fake tool-calling model; each run prints what the model was shown.
 *
 *   npx tsx examples/langchain-agent.ts          (INSULA_EMBEDDER=glove for the small model)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BaseMessage } from '@langchain/core/messages';
import { MemorySaver } from '@langchain/langgraph';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { createAgent, HumanMessage } from 'langchain';
import { insulaMiddleware } from '../adapters/langchain/index.js';
import { createHooks, Insula } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'insula-example-'));
const mem = await Insula.open({ path: join(dir, 'memory.kuzu'), embedder: { kind: process.env['INSULA_EMBEDDER'] === 'glove' ? 'glove' : 'use-lite' } });
const hooks = createHooks(mem, { budgetChars: 1500 });
/** A scripted chat model; createAgent wants one that can bind tools, and this one calls none. */
class ScriptedModel extends FakeListChatModel {
  override bindTools() {
    return this;
  }
}
const agent = createAgent({
  model: new ScriptedModel({
    responses: [
      'Noted: vegetarian, and no early flights.',
      'I found a 10:40 flight to Lisbon, not an early one.',
      'Here is a vegetarian restaurant five minutes from the venue.',
      'Here is a well-rated restaurant five minutes from the venue.',
    ],
  }),
  systemPrompt: 'You are a travel assistant.',
  // `namespace` per user: no memory crosses from one user to another.
  middleware: [insulaMiddleware({ hooks, namespace: (scope) => String(scope.configurable?.['user_id'] ?? 'default') })],
  checkpointer: new MemorySaver(),
});

/** The system message each model call receives, to show what insula added. */
const shown: string[] = [];
const callbacks = [{ handleChatModelStart: (_llm: unknown, messages: BaseMessage[][]) => void shown.push(messages[0]![0]!.text) }];

const runs: Array<[user: string, thread: string, text: string]> = [
  ['ana', 'trip-1', 'I am vegetarian and I hate early flights.'],
  ['ana', 'trip-1', 'Book me a flight to Lisbon for the conference.'],
  ['ana', 'trip-2', 'Find a restaurant near the conference venue.'],
  ['ben', 'trip-3', 'Find a restaurant near the conference venue.'],
];
try {
  for (const [user, thread, text] of runs) {
    const out = await agent.invoke({ messages: [new HumanMessage(text)] }, { configurable: { thread_id: thread, user_id: user }, callbacks });
    await hooks.flush(); // an example waits for the stored turn; a live agent would not
    console.log(`\n── ${user} · ${thread}\nuser: ${text}`);
    console.log(`system message the model got:\n${shown.at(-1)!.replace(/^/gm, '  │ ')}`);
    console.log(`${user}'s memories: ${await mem.store.countMemories(user)}; recalled this run: ${out.insula?.memories.length ?? 0}`);
  }
} finally {
  await hooks.close();
  await mem.close();
  rmSync(dir, { recursive: true, force: true });
}
