import { AIMessage, HumanMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { describe, expect, it } from 'vitest';
import {
  affords,
  automaticPolicy,
  beatIndex,
  cheaperTiers,
  effectivePolicy,
  heartbeat,
  hunger,
  initialMetabolism,
  MetabolismParamsSchema,
  spend,
  topUp,
  type MetabolismParams,
} from '../../adapters/langgraph/lifeform/metabolism.js';
import { readUsage, UsageMeter } from '../../adapters/langgraph/lifeform/usage.js';
import { InsulaValidationError, parse } from '../../src/memory/schema.js';

const config = (p: MetabolismParams = {}) => parse(MetabolismParamsSchema, p, 'metabolism');

describe('metabolism (pure)', () => {
  it('starts full and fed: hyper when the reserve covers the horizon', () => {
    const p = config({ capacity: 10_000, releasePerBeat: 100, horizonBeats: 10 });
    const s = initialMetabolism(p);
    expect(s.reserve).toBe(10_000);
    expect(s.expectedSpend).toBe(100);
    expect(hunger(s, p)).toBe(0);
    expect(s.policy).toBe('hyper');
    expect(initialMetabolism(config({ capacity: 10_000, initial: 0 })).policy).toBe('eco');
  });

  it('hunger is the share of the expected spend over the horizon the reserve cannot cover', () => {
    const p = config({ horizonBeats: 10 });
    expect(hunger({ reserve: 500, expectedSpend: 100 }, p)).toBeCloseTo(0.5);
    expect(hunger({ reserve: 250, expectedSpend: 100 }, p)).toBeCloseTo(0.75);
    expect(hunger({ reserve: 5000, expectedSpend: 100 }, p)).toBe(0);
    expect(hunger({ reserve: -10, expectedSpend: 100 }, p)).toBe(1);
    expect(hunger({ reserve: 0, expectedSpend: 0 }, p)).toBe(1);
    expect(hunger({ reserve: 1, expectedSpend: 0 }, p)).toBe(0);
    // Spend already above the expectation this beat counts at once.
    expect(hunger({ reserve: 500, expectedSpend: 100, spentSinceBeat: 200 }, p)).toBeCloseTo(0.75);
  });

  it('selects the policy with hysteresis', () => {
    const p = config({ ecoEnter: 0.7, ecoExit: 0.5, hyperEnter: 0.1, hyperExit: 0.25 });
    expect(automaticPolicy('default', 0.69, p)).toBe('default');
    expect(automaticPolicy('default', 0.7, p)).toBe('eco');
    // Inside the band the current policy holds.
    expect(automaticPolicy('eco', 0.6, p)).toBe('eco');
    expect(automaticPolicy('eco', 0.5, p)).toBe('default');
    expect(automaticPolicy('eco', 0.05, p)).toBe('hyper');
    expect(automaticPolicy('default', 0.1, p)).toBe('hyper');
    expect(automaticPolicy('hyper', 0.2, p)).toBe('hyper');
    expect(automaticPolicy('hyper', 0.25, p)).toBe('default');
    expect(automaticPolicy('hyper', 0.9, p)).toBe('eco');
  });

  it('rejects thresholds without a band, naming the field', () => {
    expect(() => config({ ecoEnter: 0.4, ecoExit: 0.5 })).toThrow(InsulaValidationError);
    expect(() => config({ ecoEnter: 0.4, ecoExit: 0.5 })).toThrow(/ecoEnter/);
    expect(() => config({ capacity: 10, initial: 20 })).toThrow(/initial/);
    expect(() => config({ releasePerBeat: -1 })).toThrow(/releasePerBeat/);
  });

  it('the operator override sits on top of the automatic policy', () => {
    expect(effectivePolicy({ policy: 'eco', override: 'force_hyper' })).toBe('hyper');
    expect(effectivePolicy({ policy: 'hyper', override: 'force_eco' })).toBe('eco');
    expect(effectivePolicy({ policy: 'eco', override: 'default' })).toBe('eco');
    expect(effectivePolicy({ policy: 'hyper', override: 'force_default' })).toBe('default');
    expect(cheaperTiers('hyper')).toEqual(['hyper', 'default', 'eco']);
    expect(cheaperTiers('eco')).toEqual(['eco']);
  });

  it('releases once per beat index, catches up on missed beats up to a cap, and stops at the capacity', () => {
    const p = config({ capacity: 1000, initial: 0, releasePerBeat: 100, maxCatchUpBeats: 3 });
    let s = initialMetabolism(p);
    const first = heartbeat(s, 50, p);
    expect(first.released).toBe(100);
    s = first.state;
    // The same beat again (a restart within the interval) releases nothing.
    const again = heartbeat(s, 50, p);
    expect(again.released).toBe(0);
    expect(again.state).toBe(s);
    expect(heartbeat(s, 49, p).released).toBe(0);
    // Ten missed beats release three.
    s = heartbeat(s, 60, p).state;
    expect(s.reserve).toBe(400);
    s = topUp(s, 550, p);
    expect(heartbeat(s, 61, p).released).toBe(50);
    expect(s.totals).toEqual({ initial: 0, spent: 0, released: 400, toppedUp: 550 });
    expect(beatIndex(12_345, 1000)).toBe(12);
  });

  it('spending overdraws, raises hunger and moves the policy to eco; the ledger identity holds', () => {
    const p = config({ capacity: 1000, releasePerBeat: 10, horizonBeats: 10, spendRate: 0.5 });
    let s = initialMetabolism(p);
    expect(s.policy).toBe('hyper');
    s = spend(s, 950, p);
    expect(s.reserve).toBe(50);
    expect(s.policy).toBe('eco');
    s = spend(s, 80, p);
    expect(s.reserve).toBe(-30);
    expect(affords(s, 0)).toBe(false);
    // The beat folds the spend into the expected spend per beat.
    const beat = heartbeat(s, 1, p);
    expect(beat.state.expectedSpend).toBeCloseTo(10 + 0.5 * (1030 - 10));
    expect(beat.state.spentSinceBeat).toBe(0);
    const t = beat.state.totals;
    expect(beat.state.reserve).toBeCloseTo(t.initial + t.released + t.toppedUp - t.spent);
    expect(() => spend(s, -5, p)).toThrow();
  });
});

describe('usage read from LangChain usage metadata', () => {
  it('sums usage_metadata of the AIMessages a model returns (fakeModel with usage)', async () => {
    const model = fakeModel()
      .respond(new AIMessage({ content: 'four', usage_metadata: { input_tokens: 12, output_tokens: 3, total_tokens: 15 } }))
      .respond(new AIMessage({ content: 'five', usage_metadata: { input_tokens: 20, output_tokens: 5, total_tokens: 25 } }));
    const meter = new UsageMeter();
    await model.invoke([new HumanMessage('2+2?')], { callbacks: [meter] });
    await model.invoke([new HumanMessage('2+3?')], { callbacks: [meter] });
    const r = meter.report();
    expect(r).toMatchObject({ inputTokens: 32, outputTokens: 8, totalTokens: 40, calls: 2, estimatedCalls: 0 });
    expect(Object.values(r.byModel)[0]).toMatchObject({ totalTokens: 40, calls: 2 });
  });

  it('estimates from text when a model reports no usage (FakeListChatModel), and says so', async () => {
    const model = new FakeListChatModel({ responses: ['x'.repeat(40)] });
    const meter = new UsageMeter();
    await model.invoke([new HumanMessage('y'.repeat(80))], { callbacks: [meter] });
    expect(meter.report()).toMatchObject({ inputTokens: 20, outputTokens: 10, totalTokens: 30, calls: 1, estimatedCalls: 1 });
  });

  it('reads a provider llmOutput.tokenUsage when messages carry no usage_metadata', () => {
    expect(readUsage({ generations: [[{ text: 'a' }]], llmOutput: { tokenUsage: { promptTokens: 7, completionTokens: 2, totalTokens: 9 } } })).toEqual({ inputTokens: 7, outputTokens: 2, totalTokens: 9 });
    expect(readUsage({ generations: [[{ text: 'a' }]], llmOutput: { estimatedTokenUsage: { promptTokens: 4, completionTokens: 1 } } })).toEqual({ inputTokens: 4, outputTokens: 1, totalTokens: 5 });
    expect(readUsage({ generations: [[{ text: 'a' }]] })).toBeNull();
  });
});
