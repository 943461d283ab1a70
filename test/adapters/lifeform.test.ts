import { AIMessage, HumanMessage, type BaseMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import { afterEach, describe, expect, it } from 'vitest';
import { Lifeform, type FascicleFactory, type LifeformOptions } from '../../adapters/langgraph/lifeform/lifeform.js';
import type { NeuronEvent } from '../../adapters/langgraph/neurons/events.js';
import { namespaceMetaKey } from '../../src/memory/store.js';
import { useTestInsula } from '../helpers.js';

/** LangChain's fakeModel answering every call with `reply`, reporting `tokens` in usage_metadata. */
function tierModel(tokens: number, reply: (input: string) => string = (input) => `done: ${input.slice(0, 40)}`, calls = 300) {
  const model = fakeModel();
  for (let i = 0; i < calls; i++) {
    model.respond((messages: BaseMessage[]) =>
      new AIMessage({ content: reply(messages.map((m) => m.text).join('\n')), usage_metadata: { input_tokens: tokens - 5, output_tokens: 5, total_tokens: tokens } }),
    );
  }
  return model;
}

const State = Annotation.Root({
  events: Annotation<NeuronEvent[]>({ reducer: (_a, b) => b, default: () => [] }),
  output: Annotation<unknown>({ reducer: (_a, b) => b, default: () => null }),
});

/** One neuron answering with its tier's model; the output says which tier answered. */
const answer: FascicleFactory = ({ policy, model }) =>
  new StateGraph(State)
    .addNode('answer', async (s: typeof State.State) => {
      const reply = await model.invoke([new HumanMessage(s.events.map((e) => e.content).join('\n'))]);
      return { output: `${policy}:${reply.text}`, events: [...s.events, { role: 'assistant', content: reply.text }] };
    })
    .addEdge(START, 'answer')
    .addEdge('answer', END)
    .compile();

function models() {
  return { eco: tierModel(10), default: tierModel(100), hyper: tierModel(400) };
}

describe('Lifeform', () => {
  const ctx = useTestInsula();
  const opened: Lifeform[] = [];
  // Runs before the store closes (after-hooks run in reverse): a lifeform writes to the store until closed.
  afterEach(async () => {
    for (const life of opened.splice(0)) await life.close();
  });

  const track = (life: Lifeform) => (opened.push(life), life);
  const open = async (over: Partial<LifeformOptions> = {}) =>
    track(await Lifeform.open({
      insula: ctx.mem,
      namespace: 'life',
      models: models(),
      fascicles: { answer },
      intervalMs: 1000,
      reflection: false,
      consolidation: false,
      ...over,
    }));

  it('serves a task with the policy tier, debits the tokens the model reported, and keeps the ledger identity', async () => {
    let now = 5_000_000;
    // The hunger band alone chooses here (tier choice by value has its own test below).
    const life = await open({ clock: () => now, tierChoice: false, metabolism: { capacity: 10_000, releasePerBeat: 100, horizonBeats: 10 } });
    expect(life.status().policy).toBe('hyper');
    const r = await life.serve({ events: 'what is 2+2?', evaluate: (out) => (String(out).includes('2+2') ? 1 : 0) });
    expect(r.status).toBe('served');
    if (r.status !== 'served') return;
    expect(r.policy).toBe('hyper');
    expect(r.output).toMatch(/^hyper:done: what is 2\+2\?/);
    expect(r.tokens).toBe(400);
    expect(r.usage.estimatedCalls).toBe(0);
    expect(r.value).toBe(1);
    now += 10;
    const s = life.status();
    expect(s.reserve).toBe(9600);
    expect(s.totals.spent).toBe(400);
    const spends = life.ledger().filter((e) => e.kind === 'spend');
    expect(spends).toEqual([{ at: 5_000_000, amount: 400, kind: 'spend', model: 'FakeBuiltModel', fascicle: 'answer', memo: 'hyper tier' }]);
    expect(s.reserve).toBe(s.totals.initial + s.totals.released + s.totals.toppedUp - s.totals.spent);
    // The outcome reached the hub as behaviour feedback for the fascicle.
    const hub = await ctx.mem.state('life');
    expect(hub.domains.lifeform!.strategies['fascicle:answer']!.trials).toBeGreaterThan(0);
  });

  it('gets hungry as it spends, switches to the eco fascicle variant, and the hub feels the hunger', async () => {
    let now = 7_000_000;
    const life = await open({ clock: () => now, metabolism: { capacity: 1500, releasePerBeat: 10, horizonBeats: 10 } });
    const tiers: string[] = [];
    let last = await life.beat();
    for (let i = 0; i < 20 && life.status().policy !== 'eco'; i++) {
      const r = await life.serve({ events: `task ${i}` });
      if (r.status === 'served') tiers.push(r.policy);
      now += 1000;
      last = await life.beat();
    }
    expect(tiers[0]).toBe('hyper');
    expect(life.status().policy).toBe('eco');
    expect(life.journal().some((j) => j.kind === 'policy' && j.detail.includes('→ eco'))).toBe(true);
    const eco = await life.serve({ events: 'now hungry' });
    expect(eco.status === 'served' && eco.output).toMatch(/^eco:/);
    // Each beat's hunger reaches the hub as a host signal in the metabolism domain.
    expect(last.hunger).toBeGreaterThan(0.4);
    let hub = await ctx.mem.state('life');
    expect(hub.domains.metabolism!.anomaly).toBeCloseTo(last.hunger, 5);
    expect(hub.domains.metabolism!.valence).toBeLessThan(0);
    const signal = ctx.mem.hub!.recentSignals('life').filter((x) => x.domain === 'metabolism').at(-1)!;
    expect(signal).toMatchObject({ source: 'host', valence: -last.hunger, arousal: last.hunger });
    expect(signal.context).toMatchObject({ metric: 'hunger', policy: 'eco', lifeform: 'lifeform' });
    expect(hub.deviating).not.toContain('host');

    // Starving: the reserve spent to nothing; hunger 1 makes the host source deviate and regulation alert.
    life.setPolicy({ strategy: 'force_hyper' });
    while (life.status().reserve > 0) await life.serve({ events: 'expensive' });
    now += 1000;
    last = await life.beat();
    expect(last.hunger).toBeGreaterThan(0.95);
    hub = await ctx.mem.state('life');
    const starving = hub.domains.metabolism!.anomaly;
    expect(starving).toBeGreaterThan(0.95);
    expect(hub.deviating).toContain('host');
    const actions = await ctx.mem.regulate('life');
    expect(actions.some((a) => a.kind === 'alert' && a.domain === 'metabolism')).toBe(true);
    // The hub persists it: a reopened store still shows the hunger.
    await life.close();
    const reopened = await ctx.reopen();
    expect((await reopened.state('life')).domains.metabolism!.anomaly).toBeCloseTo(starving, 5);
  });

  it('lets the operator force a tier and top up, as in the seed §6.3.2', async () => {
    const now = 9_000_000;
    const life = await open({ clock: () => now, metabolism: { capacity: 1000, initial: 20, releasePerBeat: 10, horizonBeats: 10 } });
    expect(life.status().policy).toBe('eco');
    expect(life.setPolicy({ strategy: 'force_hyper', reason: 'high-priority task' })).toBe('hyper');
    const forced = await life.serve({ events: 'urgent' });
    expect(forced.status === 'served' && forced.policy).toBe('hyper');
    expect(life.setPolicy({ strategy: 'default' })).toBe('eco');
    life.topUp({ amount: 5000, currency: 'tokens', memo: 'Operator top-up' });
    expect(life.status().reserve).toBe(20 - 400 + 5000);
    expect(life.status().policy).toBe('hyper');
    expect(life.ledger().at(-1)).toMatchObject({ kind: 'topup', amount: 5000, memo: 'Operator top-up' });
    expect(() => life.setPolicy({ strategy: 'force_turbo' as 'default' })).toThrow(/strategy/);
    expect(() => life.topUp({ amount: -5 })).toThrow(/amount/);
  });

  it('steps down to a tier it can afford, and starves a task without calling a model when nothing is affordable', async () => {
    const now = 11_000_000;
    const m = models();
    const life = await open({ clock: () => now, models: m, metabolism: { capacity: 10_000, initial: 960, releasePerBeat: 10, horizonBeats: 1 } });
    // Learn the hyper and eco costs (400, 10); default's is still unknown.
    for (const strategy of ['force_hyper', 'force_eco'] as const) {
      life.setPolicy({ strategy });
      await life.serve({ events: 'warm-up' });
    }
    life.setPolicy({ strategy: 'force_hyper' });
    await life.serve({ events: 'spend 400' });
    // 150 left: hyper (400) is out of reach, default (unknown) is not.
    expect(life.status().reserve).toBe(150);
    const stepped = await life.serve({ events: 'step down' });
    expect(stepped.status === 'served' && stepped.policy).toBe('default');
    // 50 left: default's 100 is too much, eco's 10 fits; then spend down to nothing.
    const eco = await life.serve({ events: 'eco' });
    expect(eco.status === 'served' && eco.policy).toBe('eco');
    life.setPolicy({ strategy: 'force_eco' });
    while (life.status().reserve > 0) await life.serve({ events: 'drain' });
    const calls = m.eco.callCount + m.default.callCount + m.hyper.callCount;
    const starved = await life.serve({ events: 'nothing left' });
    expect(starved.status).toBe('starved');
    expect(m.eco.callCount + m.default.callCount + m.hyper.callCount).toBe(calls);
    expect(life.status().starved).toBe(1);
  });

  it('uses per-tier fascicle variants, falling back to the next cheaper one', async () => {
    const now = 12_000_000;
    const simple = answer({ policy: 'eco', model: tierModel(5) });
    const deep = answer({ policy: 'hyper', model: tierModel(900) });
    const life = await open({ clock: () => now, fascicles: { answer: { eco: simple, hyper: deep } } });
    life.setPolicy({ strategy: 'force_hyper' });
    expect((await life.serve({ events: 'a' })).status === 'served' && life.ledger().at(-1)!.amount).toBe(900);
    life.setPolicy({ strategy: 'force_eco' });
    expect((await life.serve({ events: 'b' })).status === 'served' && life.ledger().at(-1)!.amount).toBe(5);
  });

  it('estimates spend from text for models that report no usage', async () => {
    const now = 13_000_000;
    const list = new FakeListChatModel({ responses: ['y'.repeat(400)] });
    const life = await open({ clock: () => now, models: { eco: list, default: list, hyper: list } });
    const r = await life.serve({ events: 'x'.repeat(400) });
    expect(r.status === 'served' && r.usage.estimatedCalls).toBe(1);
    // 400 characters in, 400 out, four characters a token.
    expect(r.status === 'served' && r.tokens).toBe(200);
  });

  it('beats on its own: releases per interval, never overlaps, and stop() waits for the beat in flight', async () => {
    // Reflection is the slow part of a beat here: its model takes 100 ms, more than the 40 ms interval.
    let active = 0;
    let most = 0;
    let reflections = 0;
    const slow = new FakeListChatModel({
      responses: ['Lesson: keep tasks short.'],
      sleep: 100,
      callbacks: [
        {
          handleChatModelStart: () => void (most = Math.max(most, ++active)),
          handleLLMEnd: () => void (active--, reflections++),
        },
      ],
    });
    const life = await open({
      intervalMs: 40,
      models: { eco: slow, default: slow, hyper: slow },
      // Tasks are served by a fascicle that calls no model, so every model call is a beat's reflection.
      fascicles: { answer: { default: { invoke: async ({ events }) => ({ events, output: 'served' }) } } },
      reflection: { minEvents: 1 },
      metabolism: { capacity: 1_000_000, initial: 500_000, releasePerBeat: 100 },
    });
    const feeder = setInterval(() => void life.serve({ events: 'a task' }), 15);
    life.start();
    life.start();
    expect(life.isRunning).toBe(true);
    await new Promise((r) => setTimeout(r, 700));
    clearInterval(feeder);
    await life.stop();
    expect(active).toBe(0);
    expect(most).toBe(1);
    expect(reflections).toBeGreaterThanOrEqual(2);
    const released = life.ledger().filter((e) => e.kind === 'release');
    expect(released.length).toBeGreaterThanOrEqual(2);
    // One release per beat index.
    expect(new Set(released.map((e) => e.memo)).size).toBe(released.length);
    const after = life.ledger().length;
    await new Promise((r) => setTimeout(r, 200));
    expect(life.ledger().length).toBe(after);
    expect(life.isRunning).toBe(false);
  });

  it('chooses the tier per domain by expected value per token learned in the hub: hyper where eco fails, eco where it succeeds, eco again when hungry, and after a restart', async () => {
    let now = 60_000_000;
    // Eco and default get the hard kind wrong every time; hyper gets everything right. Tokens 10 / 100 / 400.
    const answerWell = (hard: boolean) => (input: string) => (hard && input.includes('hard') ? 'wrong' : 'right');
    const tiered = () => ({ eco: tierModel(10, answerWell(true)), default: tierModel(100, answerWell(true)), hyper: tierModel(400, answerWell(false)) });
    const options = { clock: () => now, models: tiered(), metabolism: { capacity: 100_000, releasePerBeat: 1000 } };
    const life = await open(options);
    const evaluate = (out: unknown) => (String(out).endsWith(':right') ? 1 : 0);
    const served: Record<string, string[]> = { 'kind-hard': [], 'kind-easy': [] };
    for (let i = 0; i < 16; i++) {
      for (const domain of ['kind-hard', 'kind-easy'] as const) {
        // A hard task is worth 4 successes of an easy one: it may buy 4× the tokens.
        const r = await life.serve({ events: `${domain === 'kind-hard' ? 'hard' : 'easy'} task ${i}`, domain, worth: domain === 'kind-hard' ? 4 : 1, evaluate });
        expect(r.status).toBe('served');
        if (r.status === 'served') served[domain]!.push(r.policy);
      }
      now += 1000;
      await life.beat();
    }
    expect(life.status().hunger).toBe(0);
    // Each tier is tried where it may pay; then the hard kind is served at hyper (the failing tiers
    // are re-tried now and then, as their optimism bound grows with the evidence), the easy one at eco.
    const count = (tiers: string[], tier: string) => tiers.filter((t) => t === tier).length;
    expect(count(served['kind-hard']!.slice(-8), 'hyper')).toBeGreaterThanOrEqual(6);
    expect(count(served['kind-hard']!, 'eco')).toBeLessThanOrEqual(4);
    expect(count(served['kind-hard']!, 'default')).toBeLessThanOrEqual(4);
    expect(served['kind-easy']!.slice(-12)).toEqual(Array(12).fill('eco'));
    // The evidence is the hub's: tier outcomes as behaviour feedback in each task's domain.
    const hub = await ctx.mem.state('life');
    expect(hub.domains['kind-hard']!.strategies['tier:eco']!.successRate).toBeLessThan(0.2);
    expect(hub.domains['kind-hard']!.strategies['tier:hyper']!.successRate).toBeGreaterThan(0.8);
    expect(hub.domains['kind-easy']!.strategies['tier:eco']!.successRate).toBeGreaterThan(0.8);
    // Untold, the domain is detected from the text (the hooks' detectDomain).
    const untold = await life.serve({ events: 'deploy the service to kubernetes', evaluate });
    if (untold.status !== 'served') throw new Error('the untold task was not served');
    expect(untold.domain).toBe('ops');
    expect((await ctx.mem.state('life')).domains.ops!.strategies[`tier:${untold.policy}`]!.trials).toBeGreaterThan(0);

    // A hungry lifeform over the same hub evidence finds hyper's tokens too dear: the hard kind goes to eco.
    const hungry = track(await Lifeform.open({ insula: ctx.mem, namespace: 'life', name: 'hungry', models: tiered(), fascicles: { answer }, intervalMs: 1000, clock: () => now, reflection: false, consolidation: false, metabolism: { capacity: 100_000, initial: 2000, releasePerBeat: 1000 } }));
    for (const tier of ['eco', 'default', 'hyper'] as const) {
      // Teach it the tiers' costs (forced tiers, unevaluated: no outcome reaches the hub).
      hungry.setPolicy({ strategy: `force_${tier}` });
      await hungry.serve({ events: 'warm-up' });
    }
    hungry.setPolicy({ strategy: 'default' });
    expect(hungry.status().hunger).toBeGreaterThan(0.85);
    const starvedOfTokens = await hungry.serve({ events: 'hard task, hungry', domain: 'kind-hard', worth: 4, evaluate });
    expect(starvedOfTokens.status === 'served' && starvedOfTokens.policy).toBe('eco');
    // The operator's override still pins the tier.
    hungry.setPolicy({ strategy: 'force_hyper' });
    const forced = await hungry.serve({ events: 'hard task, forced', domain: 'kind-hard', worth: 4, evaluate });
    expect(forced.status === 'served' && forced.policy).toBe('hyper');
    await hungry.close();
    // With nothing affordable no model is called: the task is starved.
    const broke = track(await Lifeform.open({ insula: ctx.mem, namespace: 'life', name: 'broke', models: tiered(), fascicles: { answer }, intervalMs: 1000, clock: () => now, reflection: false, consolidation: false, metabolism: { capacity: 100_000, initial: 0, releasePerBeat: 1000 } }));
    expect(await broke.serve({ events: 'hard task, broke', domain: 'kind-hard', worth: 4, evaluate })).toMatchObject({ status: 'starved', reason: expect.stringMatching(/at any tier/) });
    expect(broke.status().totals.spent).toBe(0);
    await broke.close();

    // Both the hub's evidence and the lifeform's costs survive a restart: the first hard task after it goes to hyper.
    await life.close();
    const mem = await ctx.reopen();
    expect((await mem.state('life')).domains['kind-hard']!.strategies['tier:hyper']!.trials).toBeGreaterThan(4);
    const again = track(await Lifeform.open({ insula: mem, namespace: 'life', models: tiered(), fascicles: { answer }, intervalMs: 1000, clock: () => now, reflection: false, consolidation: false, metabolism: { capacity: 100_000, releasePerBeat: 1000 } }));
    const hard = await again.serve({ events: 'hard task after restart', domain: 'kind-hard', worth: 4, evaluate });
    expect(hard.status === 'served' && hard.policy).toBe('hyper');
    const easy = await again.serve({ events: 'easy task after restart', domain: 'kind-easy', evaluate });
    expect(easy.status === 'served' && easy.policy).toBe('eco');
    await again.close();
  }, 60_000);

  it('resumes after a restart: budget, ledger, override and stats survive, and the same beat is not released twice', async () => {
    const now = 20_000_000;
    const first = await open({ clock: () => now, metabolism: { capacity: 5000, initial: 1000, releasePerBeat: 100 } });
    await first.beat();
    await first.serve({ events: 'before restart', evaluate: () => 0.8 });
    first.setPolicy({ strategy: 'force_eco', reason: 'save tokens' });
    await first.close();
    const before = first.status();
    const ledger = first.ledger();

    const mem = await ctx.reopen();
    const second = track(await Lifeform.open({ insula: mem, namespace: 'life', models: models(), fascicles: { answer }, intervalMs: 1000, clock: () => now, reflection: false, consolidation: false, metabolism: { capacity: 5000, initial: 1000, releasePerBeat: 100 } }));
    const after = second.status();
    expect(after.reserve).toBe(before.reserve);
    expect(after.override).toBe('force_eco');
    expect(after.policy).toBe('eco');
    expect(after.totals).toEqual(before.totals);
    expect(second.ledger()).toEqual(ledger);
    expect(after.fascicles.find((f) => f.name === 'answer')!.stats!.value).toBeCloseTo(0.8);
    const again = await second.beat();
    expect(again.fresh).toBe(false);
    expect(again.released).toBe(0);
    expect(second.status().reserve).toBe(before.reserve);
    await second.close();
  });

  it('reflects over recent tasks when fed, storing the insight as a memory; not when hungry', async () => {
    let now = 30_000_000;
    const reflections = tierModel(50, () => 'Easy tasks were served well; the hyper tier spent tokens where eco would do.');
    const m = { eco: reflections, default: reflections, hyper: reflections };
    const life = await open({ clock: () => now, models: m, reflection: { minEvents: 2 }, metabolism: { capacity: 100_000, releasePerBeat: 100 } });
    await life.serve({ events: 'deploy the billing service', evaluate: () => 1 });
    await life.serve({ events: 'rotate the api keys', evaluate: () => 0 });
    now += 1000;
    const beat = await life.beat();
    expect(beat.reflected).toBe(true);
    const found = await ctx.mem.recall('what did the lifeform learn about tiers and tokens', { namespace: 'life', k: 3 });
    const insight = found.find((r) => r.memory.source === 'lifeform:lifeform:reflection');
    expect(insight?.memory.content).toMatch(/hyper tier spent tokens/);
    expect(insight?.memory.type).toBe('semantic');
    expect(life.ledger().filter((e) => e.fascicle === 'reflection')).toHaveLength(1);
    // Nothing new: no second reflection.
    now += 1000;
    expect((await life.beat()).reflected).toBe(false);

    const hungry = track(await Lifeform.open({ insula: ctx.mem, namespace: 'life', name: 'hungry', models: m, fascicles: { answer }, intervalMs: 1000, clock: () => now, consolidation: false, reflection: { minEvents: 1, maxHunger: 0.5 }, metabolism: { capacity: 1000, initial: 60, releasePerBeat: 10, horizonBeats: 10 } }));
    await hungry.serve({ events: 'something' });
    now += 1000;
    const b = await hungry.beat();
    expect(b.hunger).toBeGreaterThan(0.5);
    expect(b.reflected).toBe(false);
  });

  it('consolidates when due and contains heartbeat failures step by step', async () => {
    let now = 40_000_000;
    const errors: string[] = [];
    const broken = fakeModel().alwaysThrow(new Error('model unavailable'));
    const life = await open({
      clock: () => now,
      models: { eco: broken, default: broken, hyper: broken },
      reflection: { minEvents: 1 },
      consolidation: { everyBeats: 3 },
      onError: (e, where) => errors.push(`${where}: ${e.message}`),
    });
    await ctx.mem.remember({ namespace: 'life', content: 'The cache is warmed at dawn.' });
    await expect(life.serve({ events: 'fails' })).rejects.toThrow(/model unavailable/);
    const first = await life.beat();
    expect(first.consolidated).toBe(true);
    expect(first.error).toBeNull();
    expect(life.journal().some((j) => j.kind === 'consolidation')).toBe(true);
    // A task served by a fascicle without a model makes a reflection due; the reflection model fails.
    life.addFascicle('echo', { eco: { invoke: async ({ events }) => ({ events, output: 'echo' }) } });
    await life.serve({ events: 'ok', fascicle: 'echo' });
    now += 1000;
    const failed = await life.beat();
    expect(failed.fresh).toBe(true);
    expect(failed.error).toMatch(/reflection: model unavailable/);
    expect(failed.consolidated).toBe(false);
    expect(life.status().heartbeat.failures).toBe(1);
    expect(errors).toContain('heartbeat reflection: model unavailable');
    now += 2000;
    // The reflection fails again, and consolidation, now due, still runs.
    const later = await life.beat();
    expect(later.error).toMatch(/reflection/);
    expect(later.consolidated).toBe(true);
    expect(life.status().heartbeat.failures).toBe(2);
  });

  it('refuses a damaged persisted state, naming the field, instead of resetting the budget', async () => {
    await ctx.mem.store.setMeta(namespaceMetaKey('life', 'lifeform:lifeform'), JSON.stringify({ version: 1, metabolism: { reserve: 'plenty' } }));
    await expect(open()).rejects.toThrow(/lifeform state of lifeform: .*metabolism/);
  });

  it('rejects bad options and tasks naming the field', async () => {
    await expect(open({ intervalMs: 1 })).rejects.toThrow(/intervalMs/);
    await expect(open({ serveWith: 'missing' })).rejects.toThrow(/serveWith/);
    await expect(open({ models: { eco: tierModel(1) } as never })).rejects.toThrow(/models/);
    await expect(open({ tierChoice: { tokenValue: -1 } })).rejects.toThrow(/tierChoice\.tokenValue/);
    const life = await open();
    await expect(life.serve({ events: 'x', fascicle: 'nope' })).rejects.toThrow(/fascicle/);
    await expect(life.serve({ events: [] })).rejects.toThrow(/events/);
    await expect(life.serve({ events: 'x', worth: 0 })).rejects.toThrow(/worth/);
    await expect(life.serve({ events: 'x', domain: 'no spaces allowed' })).rejects.toThrow(/domain/);
  });
});
