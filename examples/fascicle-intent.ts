/**
 * The seed's example fascicle, "user intent analysis and task decomposition", on LangGraph with
 * scripted fake chat models: a Router analyses the request and splits it into sub-tasks, two
 * ToolAugmented neurons work them in parallel (retrieval with a search tool, computation with a
 * budget tool), a Transformer merges their results into a draft, and a StructuredOutput neuron
 * returns the plan as typed data. Each neuron recalls from insula (a preference stored earlier) and
 * its outcome reaches the hub as feedback for the strategy named after it. Prints the observable events as they stream, then the result.
 *
 *   npx tsx examples/fascicle-intent.ts          (INSULA_EMBEDDER=glove for the small model)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { tool } from '@langchain/core/tools';
import { FakeToolCallingModel } from 'langchain';
import { z } from 'zod';
import {
  createRouterNeuron,
  createStructuredOutputNeuron,
  createToolAugmentedNeuron,
  createTransformerNeuron,
  fascicle,
  type FascicleOutput,
} from '../adapters/langgraph/index.js';
import { Insula } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'insula-example-'));
const mem = await Insula.open({ path: join(dir, 'memory.kuzu'), embedder: { kind: process.env['INSULA_EMBEDDER'] === 'glove' ? 'glove' : 'use-lite' } });
await mem.remember({ namespace: 'traveller', content: 'The traveller is vegetarian and prefers walking tours to bus tours.', type: 'semantic' });
const insula = { client: mem, namespace: 'traveller', domain: 'travel' };

const places = [
  { name: 'Forbidden City', kind: 'sight', cost: 60 },
  { name: 'Temple of Heaven', kind: 'sight', cost: 35 },
  { name: 'Mutianyu Great Wall', kind: 'sight', cost: 140 },
  { name: 'King\u2019s Joy (vegetarian)', kind: 'restaurant', cost: 400 },
  { name: 'Peking duck house', kind: 'restaurant', cost: 300 },
];
const searchPlaces = tool(async ({ kind, vegetarian }) => places.filter((p) => p.kind === kind && (!vegetarian || kind !== 'restaurant' || p.name.includes('vegetarian'))), {
  name: 'search_places',
  description: 'Places in Beijing of a kind (sight or restaurant).',
  schema: z.object({ kind: z.enum(['sight', 'restaurant']), vegetarian: z.boolean().default(false) }),
});
const splitBudget = tool(async ({ total, days, fixed }) => ({ perDay: Math.floor((total - fixed) / days), fixed }), {
  name: 'split_budget',
  description: 'Splits a budget over days after fixed costs.',
  schema: z.object({ total: z.number(), days: z.number().int().min(1), fixed: z.number().min(0) }),
});

const intent = createRouterNeuron({
  name: 'intent',
  model: new FakeListChatModel({
    responses: [
      JSON.stringify({
        routes: [
          { neuron: 'retrieval', events: [{ role: 'task', content: 'Find sights and vegetarian restaurants in Beijing.' }] },
          { neuron: 'computation', events: [{ role: 'task', content: 'Split 3000 CNY over 3 days after 235 CNY of entry tickets.' }] },
        ],
      }),
    ],
  }),
  memory: 'You analyse a travel request: its intent, entities and constraints.',
  targets: { retrieval: 'looks up places (sights, restaurants)', computation: 'computes budgets and schedules' },
  insula,
});
const retrieval = createToolAugmentedNeuron({
  name: 'retrieval',
  model: new FakeToolCallingModel({
    toolCalls: [
      [{ name: 'search_places', args: { kind: 'sight' }, id: 'r1' }, { name: 'search_places', args: { kind: 'restaurant', vegetarian: true }, id: 'r2' }],
      [{ name: 'register_output', args: { sights: ['Forbidden City', 'Temple of Heaven', 'Mutianyu Great Wall'], restaurants: ['King\u2019s Joy (vegetarian)'] }, id: 'r3' }],
    ],
  }),
  memory: 'You find places with the search tool.',
  tools: [searchPlaces],
  output: z.object({ sights: z.array(z.string()), restaurants: z.array(z.string()) }),
  insula,
});
const computation = createToolAugmentedNeuron({
  name: 'computation',
  model: new FakeToolCallingModel({
    toolCalls: [[{ name: 'split_budget', args: { total: 3000, days: 3, fixed: 235 }, id: 'c1' }], [{ name: 'register_output', args: { perDay: 921, tickets: 235 }, id: 'c2' }]],
  }),
  memory: 'You compute budgets with the budget tool.',
  tools: [splitBudget],
  output: z.object({ perDay: z.number(), tickets: z.number() }),
  insula,
});
const aggregation = createTransformerNeuron({
  name: 'aggregation',
  model: new FakeListChatModel({
    responses: [
      JSON.stringify({
        events: [
          {
            role: 'draft',
            content: 'Day 1: Forbidden City on foot, dinner at King\u2019s Joy. Day 2: Mutianyu Great Wall. Day 3: Temple of Heaven walk. About 921 CNY a day after tickets.',
          },
        ],
      }),
    ],
  }),
  memory: 'Merge the branches\u2019 results into one draft plan that meets every constraint.',
  insula,
});
const Plan = z.object({ days: z.array(z.object({ day: z.number().int(), plan: z.string() })).min(1), budgetPerDay: z.number(), vegetarian: z.boolean() });
const exit = createStructuredOutputNeuron({
  name: 'plan',
  model: new FakeListChatModel({
    responses: [
      JSON.stringify({
        days: [
          { day: 1, plan: 'Forbidden City walking tour; dinner at King\u2019s Joy' },
          { day: 2, plan: 'Mutianyu Great Wall' },
          { day: 3, plan: 'Temple of Heaven walk' },
        ],
        budgetPerDay: 921,
        vegetarian: true,
      }),
    ],
  }),
  memory: 'Format the draft as the final plan.',
  schema: Plan,
  insula,
});

const intentFascicle = fascicle('intent-analysis')
  .stage('intent', intent)
  .stage('retrieval', retrieval)
  .stage('computation', computation)
  .stage('aggregation', aggregation)
  .stage('plan', exit)
  .edge('retrieval', 'aggregation')
  .edge('computation', 'aggregation')
  .pipeline('aggregation', 'plan')
  .compile();

try {
  let result: FascicleOutput | null = null;
  for await (const chunk of intentFascicle.stream({ events: [{ role: 'user', content: 'Plan a 3-day trip to Beijing for me, 3000 CNY in all.' }] })) {
    if (chunk.type === 'output') result = chunk.output;
    else {
      const e = chunk.event;
      console.log(`[${e.type}] ${e.stage}: ${e.message}${e.metadata && e.type === 'info' ? ` ${JSON.stringify(e.metadata)}` : ''}`);
    }
  }
  const plan = Plan.parse(result!.output);
  console.log('\nstructured result:');
  for (const d of plan.days) console.log(`  day ${d.day}: ${d.plan}`);
  console.log(`  budget per day: ${plan.budgetPerDay} CNY; vegetarian: ${plan.vegetarian}`);
  const strategies = (await mem.state('traveller')).domains['travel']?.strategies ?? {};
  console.log(`\nhub strategies (travel): ${Object.entries(strategies).map(([name, s]) => `${name} ${s.successRate.toFixed(2)}/${s.trials}`).join(', ')}`);
} finally {
  await mem.close();
  rmSync(dir, { recursive: true, force: true });
}
