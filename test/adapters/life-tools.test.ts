import { AIMessage, ToolMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { tool } from '@langchain/core/tools';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ageFascicle,
  apoptosisCandidates,
  ApoptosisParamsSchema,
  compositeTool,
  newFascicleStats,
  recordUse,
  recordValue,
  recurringSequences,
} from '../../adapters/langgraph/lifeform/life-tools.js';
import { Lifeform, type CompiledFascicle } from '../../adapters/langgraph/lifeform/lifeform.js';
import type { FascicleSpec } from '../../adapters/langgraph/spec.js';
import { useTestInsula } from '../helpers.js';

const p = ApoptosisParamsSchema.parse({ protectBeats: 3, window: 2, minUseRate: 0.05, minValue: 0.3, useRate: 0.1, valueRate: 0.5 });

/** A fascicle that calls no model: what it costs and answers is beside the point here. */
const echo: CompiledFascicle = { invoke: async ({ events }) => ({ events, output: events.at(-1)?.content ?? '' }) };

/** Three real tools whose outputs chain: search gives a url (as JSON), fetch reads it, summarize shortens. */
function researchTools() {
  const calls: string[] = [];
  const search = tool(async ({ query }) => (calls.push(`search:${query}`), JSON.stringify({ url: `https://docs.example/${query.replace(/\s+/g, '-')}` })), {
    name: 'search',
    description: 'Finds the page about a topic.',
    schema: z.object({ query: z.string() }),
  });
  const fetch = tool(async ({ url }) => (calls.push(`fetch:${url}`), `Page ${url}: the deploy uses blue-green releases and a canary stage.`), {
    name: 'fetch',
    description: 'Reads a page.',
    schema: z.object({ url: z.string() }),
  });
  const summarize = tool(async ({ text }) => (calls.push('summarize'), text.split(': ')[1]!.split(' and ')[0]!), {
    name: 'summarize',
    description: 'Shortens a text.',
    schema: z.object({ text: z.string() }),
  });
  return { calls, search, fetch, summarize };
}

describe('apoptosis (pure)', () => {
  it('prunes only past protection and after a whole window of low use and low value', () => {
    let idle = newFascicleStats();
    let useful = newFascicleStats();
    for (let beat = 0; beat < 2; beat++) {
      idle = ageFascicle(idle, p);
      useful = ageFascicle(recordValue(recordUse(useful, 10), 1, p), p);
    }
    // Low for two beats, but still protected (age 2 < 3).
    expect(idle.lowBeats).toBe(2);
    expect(apoptosisCandidates(new Map([['idle', idle], ['useful', useful]]), new Set(), p)).toEqual([]);
    idle = ageFascicle(idle, p);
    useful = ageFascicle(recordValue(recordUse(useful, 10), 1, p), p);
    const stats = new Map([['idle', idle], ['useful', useful]]);
    expect(apoptosisCandidates(stats, new Set(), p)).toEqual(['idle']);
    expect(apoptosisCandidates(stats, new Set(['idle']), p)).toEqual([]);
    expect(useful).toMatchObject({ uses: 3, tokens: 30, value: 1, outcomes: 3, lowBeats: 0 });
  });

  it('a valuable fascicle is kept however rarely used; a used one is kept whatever its value', () => {
    let rare = recordValue(newFascicleStats(), 0.9, p);
    let busy = recordValue(newFascicleStats(), 0, p);
    for (let beat = 0; beat < 10; beat++) {
      rare = ageFascicle(rare, p);
      busy = ageFascicle(recordUse(busy, 1), p);
    }
    expect(rare.lowBeats).toBe(0);
    expect(busy.useRate).toBeGreaterThan(0.05);
    expect(busy.lowBeats).toBe(0);
    // The value EWMA moves toward new outcomes.
    expect(recordValue(rare, 0.1, p).value).toBeCloseTo(0.5);
  });
});

describe('composite tools', () => {
  it('finds the tool sequences that recur across tasks, counted once per task, longest with the same support', () => {
    const traces = [
      ['search', 'fetch', 'summarize'],
      ['search', 'fetch', 'summarize', 'search', 'fetch'],
      ['lookup', 'search', 'fetch', 'summarize'],
      ['search', 'fetch'],
      ['fetch', 'search'],
    ];
    const found = recurringSequences(traces, { minSupport: 3, maxLength: 3 });
    expect(found).toEqual([
      { tools: ['search', 'fetch'], support: 4 },
      { tools: ['search', 'fetch', 'summarize'], support: 3 },
    ]);
    expect(recurringSequences(traces, { minSupport: 6 })).toEqual([]);
    expect(() => recurringSequences(traces, { minLength: 4, maxLength: 2 })).toThrow(/minLength/);
  });

  it('offers a sequence as one LangChain tool that runs it in order, each tool taking the previous output', async () => {
    const { calls, search, fetch, summarize } = researchTools();
    const composite = compositeTool(['search', 'fetch', 'summarize'], [search, fetch, summarize]);
    expect(composite.name).toBe('then_search__fetch__summarize');
    expect(composite.description).toMatch(/search → fetch → summarize/);
    const out = await composite.invoke({ query: 'deploy guide' });
    expect(out).toBe('the deploy uses blue-green releases');
    expect(calls).toEqual(['search:deploy guide', 'fetch:https://docs.example/deploy-guide', 'summarize']);
    // As a model's tool call it answers with a ToolMessage, like any tool.
    const message = await composite.invoke({ name: composite.name, args: { query: 'x' }, id: 'call_1', type: 'tool_call' });
    expect(message).toBeInstanceOf(ToolMessage);
    // Its arguments are the first tool's, validated.
    await expect(composite.invoke({ nope: 1 } as never)).rejects.toThrow();
    expect(() => compositeTool(['search', 'missing'], [search])).toThrow(/missing/);
    expect(() => compositeTool(['search'], [search])).toThrow(/two tools/);
  });
});

describe('life tools in a Lifeform', () => {
  const ctx = useTestInsula();
  const opened: Lifeform[] = [];
  afterEach(async () => {
    for (const life of opened.splice(0)) await life.close();
  });

  const models = () => {
    const m = fakeModel().respond(new AIMessage('unused'));
    return { eco: m, default: m, hyper: m };
  };

  it('prunes a fascicle whose use and value stay low, records it, and keeps it pruned across a restart', async () => {
    let now = 50_000_000;
    const options = {
      insula: ctx.mem,
      namespace: 'plastic',
      models: models(),
      intervalMs: 1000,
      clock: () => now,
      reflection: false as const,
      consolidation: false as const,
      apoptosis: { protectBeats: 3, window: 2, minUseRate: 0.05, minValue: 0.3 },
    };
    const life = await Lifeform.open({ ...options, fascicles: { answer: echo, idle: echo, weak: echo } });
    opened.push(life);
    life.addFascicle('keeper', echo, { protected: true });
    await life.serve({ events: 'one try', fascicle: 'weak', evaluate: () => 0 });
    const pruned: string[][] = [];
    for (let beat = 0; beat < 12; beat++) {
      await life.serve({ events: `task ${beat}`, fascicle: 'answer', evaluate: () => 1 });
      now += 1000;
      pruned.push((await life.beat()).pruned);
    }
    expect(pruned.flat()).toEqual(['idle', 'weak']);
    // idle: protected for 3 beats, then low for the 2-beat window.
    expect(pruned.findIndex((p) => p.includes('idle'))).toBe(2);
    const status = life.status();
    expect(status.fascicles.filter((f) => f.status === 'active').map((f) => f.name).sort()).toEqual(['answer', 'keeper']);
    expect(status.fascicles.filter((f) => f.status === 'pruned').map((f) => f.name)).toEqual(['idle', 'weak']);
    expect(life.journal().filter((j) => j.kind === 'prune').map((j) => j.detail)).toEqual([expect.stringMatching(/^idle: 0 uses/), expect.stringMatching(/^weak: 1 uses.*value 0\.00/)]);
    await expect(life.serve({ events: 'x', fascicle: 'idle' })).rejects.toThrow(/no fascicle named idle/);
    await life.close();

    const again = await Lifeform.open({ ...options, fascicles: { answer: echo, idle: echo } });
    opened.push(again);
    expect(again.status().fascicles.find((f) => f.name === 'idle')!.status).toBe('pruned');
    expect(again.addFascicle('weak', echo)).toBe(false);
    expect(again.addFascicle('weak', echo, { revive: true })).toBe(true);
    expect((await again.serve({ events: 'back', fascicle: 'weak' })).status).toBe('served');
    expect(again.journal().at(-1)).toMatchObject({ kind: 'revive' });
  });

  it('instantiates a spec per tier: a neuron on the `tier` model runs on the cheap model when eco', async () => {
    const eco = fakeModel().respond(new AIMessage('cheap answer'));
    const hyper = fakeModel().respond(new AIMessage('deep answer'));
    const life = await Lifeform.open({ insula: ctx.mem, namespace: 'tiers', models: { eco, default: hyper, hyper }, reflection: false, consolidation: false });
    opened.push(life);
    life.addFascicle({ name: 'plain', neurons: [{ type: 'tool-augmented', name: 'worker', model: 'tier', insula: false }] });
    life.setPolicy({ strategy: 'force_eco' });
    const cheap = await life.serve({ events: 'question' });
    expect(cheap.status === 'served' && [cheap.policy, cheap.output]).toEqual(['eco', 'cheap answer']);
    life.setPolicy({ strategy: 'force_hyper' });
    const deep = await life.serve({ events: 'question' });
    expect(deep.status === 'served' && [deep.policy, deep.output]).toEqual(['hyper', 'deep answer']);
    expect([eco.callCount, hyper.callCount]).toEqual([1, 1]);
  });

  it('adds a fascicle from a declarative spec, traces its tool calls, and offers the recurring sequence as a composite tool', async () => {
    const { calls, search, fetch, summarize } = researchTools();
    // One model for every tier (the spec's `tier` key): per task it searches, fetches, then answers.
    const model = fakeModel();
    for (let task = 0; task < 3; task++) {
      model
        .respondWithTools([{ name: 'search', args: { query: `topic ${task}` } }])
        .respondWithTools([{ name: 'fetch', args: { url: `https://docs.example/topic-${task}` } }])
        .respond(new AIMessage({ content: `answer ${task}`, usage_metadata: { input_tokens: 30, output_tokens: 3, total_tokens: 33 } }));
    }
    const life = await Lifeform.open({
      insula: ctx.mem,
      namespace: 'tools',
      models: { eco: model, default: model, hyper: model },
      registry: { tools: { search, fetch, summarize } },
      reflection: false,
      consolidation: false,
    });
    opened.push(life);
    const spec: FascicleSpec = { name: 'research', neurons: [{ type: 'tool-augmented', name: 'worker', model: 'tier', tools: ['search', 'fetch'], insula: false }] };
    expect(life.addFascicle(spec)).toBe(true);
    expect(() => life.addFascicle({ name: 'broken', neurons: [{ type: 'transformer', name: 't', model: 'gpt' }] })).toThrow(/neurons\.0\.model: unknown model "gpt"/);
    for (let task = 0; task < 3; task++) {
      const r = await life.serve({ events: [{ role: 'user', content: `find the deploy guide ${task}` }] });
      expect(r.status === 'served' && r.output).toBe(`answer ${task}`);
      expect(r.status === 'served' && r.tools).toEqual(['search', 'fetch']);
    }
    // Tool-call rounds of the fake model report no usage and are estimated; the final answers report 33 each.
    expect(life.ledger().filter((e) => e.kind === 'spend' && e.fascicle === 'research').length).toBeGreaterThan(0);
    expect(life.traces()).toEqual([['search', 'fetch'], ['search', 'fetch'], ['search', 'fetch']]);
    const offers = life.compositeTools([search, fetch, summarize]);
    expect(offers.map((o) => [o.tools, o.support])).toEqual([[['search', 'fetch'], 3]]);
    calls.length = 0;
    expect(await offers[0]!.tool.invoke({ query: 'canary' })).toMatch(/^Page https:\/\/docs.example\/canary: /);
    expect(calls).toEqual(['search:canary', 'fetch:https://docs.example/canary']);
    expect(life.journal().at(-1)).toMatchObject({ kind: 'composite', detail: expect.stringContaining('then_search__fetch') });
    // The trace survives in the persisted state.
    await life.close();
    const reopened = await Lifeform.open({ insula: ctx.mem, namespace: 'tools', models: { eco: model, default: model, hyper: model }, reflection: false, consolidation: false });
    opened.push(reopened);
    expect(reopened.traces()).toHaveLength(3);
  });
});
