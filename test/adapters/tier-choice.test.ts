import { describe, expect, it } from 'vitest';
import { chooseTier, successBound, TierChoiceParamsSchema, tierStrategy, tokenPrice, type TierChoiceInput } from '../../adapters/langgraph/lifeform/tier-choice.js';
import { InsulaValidationError, parse } from '../../src/memory/schema.js';

const costs = { eco: 30, default: 130, hyper: 600 };
const all = ['eco', 'default', 'hyper'] as const;
const input = (over: Partial<TierChoiceInput>): TierChoiceInput => ({ tiers: all, evidence: {}, costs, worth: 1, price: 0.001, optimism: 1, ...over });
/** Hub evidence as insula.state() shows it: rate (s + 0.5) / (n + 1) after s successes in n trials. */
const seen = (successes: number, trials: number) => ({ successRate: (successes + 0.5) / (trials + 1), trials });

describe('tier choice by expected value per token (pure)', () => {
  it('prices a token at tokenValue / (1 − hunger), bounded at hunger 1', () => {
    expect(tokenPrice(0, 0.001)).toBeCloseTo(0.001);
    expect(tokenPrice(0.5, 0.001)).toBeCloseTo(0.002);
    expect(tokenPrice(0.9, 0.001)).toBeCloseTo(0.01);
    expect(tokenPrice(1, 0.001)).toBeCloseTo(0.1);
    expect(Number.isFinite(tokenPrice(1, 0.001))).toBe(true);
  });

  it('bounds success optimistically: an untried tier at 1, a well-tried one near its rate, a left-behind one rising with the others’ evidence', () => {
    expect(successBound(undefined, 0, 1)).toBe(1);
    expect(successBound(seen(100, 200), 600, 1)).toBeGreaterThan(0.55);
    expect(successBound(seen(100, 200), 600, 1)).toBeLessThan(0.7);
    expect(successBound(seen(180, 200), 200, 0)).toBeCloseTo(180.5 / 201);
    expect(successBound(seen(180, 200), 200, 1)).toBe(1);
    // Three failures: written off at first, worth another look once the other tiers have 100 trials.
    const stale = seen(0, 3);
    expect(successBound(stale, 3, 1)).toBeLessThan(successBound(stale, 100, 1));
    expect(successBound(stale, 1e6, 1)).toBe(1);
  });

  it('tries an untried tier, keeps the cheap tier where it succeeds, and buys the strong tier where only it succeeds', () => {
    // Nothing known and no costs: the cheapest wins the tie.
    expect(chooseTier(input({ costs: {} })).tier).toBe('eco');
    // Costs known, eco proven, the others untried: eco (their success cannot beat 1 − eco's).
    expect(chooseTier(input({ evidence: { eco: seen(40, 40) } })).tier).toBe('eco');
    // Eco keeps failing, default untried: default is tried.
    expect(chooseTier(input({ evidence: { eco: seen(0, 10) } })).tier).toBe('default');
    // Eco and default fail, hyper succeeds: hyper, at 600 tokens, when a token is cheap.
    const hardKind = { eco: seen(0, 30), default: seen(1, 30), hyper: seen(29, 30) };
    const fed = chooseTier(input({ evidence: hardKind }));
    expect(fed.tier).toBe('hyper');
    expect(fed.scores.hyper).toBeCloseTo(successBound(hardKind.hyper, 90, 1) - 0.6);
    // The same evidence when hungry (price ×20): hyper's tokens cost more than its successes are worth.
    expect(chooseTier(input({ evidence: hardKind, price: tokenPrice(0.95, 0.001) })).tier).toBe('eco');
    // ... unless the task is worth more.
    expect(chooseTier(input({ evidence: hardKind, price: tokenPrice(0.95, 0.001), worth: 50 })).tier).toBe('hyper');
  });

  it('weighs success against tokens: default where its gain is worth its 100 extra tokens, eco where it is not', () => {
    const mediumKind = { eco: seen(50, 100), default: seen(85, 100), hyper: seen(95, 100) };
    expect(chooseTier(input({ evidence: mediumKind, worth: 2, optimism: 0 })).tier).toBe('default');
    expect(chooseTier(input({ evidence: mediumKind, worth: 2, optimism: 0, price: 0.01 })).tier).toBe('eco');
    // Greedy with a free token: the best rate, whatever it costs.
    expect(chooseTier(input({ evidence: mediumKind, optimism: 0, price: 0 })).tier).toBe('hyper');
  });

  it('chooses only among the tiers given (the affordable ones) and needs one', () => {
    const hardKind = { eco: seen(0, 30), default: seen(1, 30), hyper: seen(29, 30) };
    const r = chooseTier(input({ evidence: hardKind, tiers: ['eco', 'default'] }));
    expect(r.tier).toBe('eco');
    expect(Object.keys(r.scores)).toEqual(['eco', 'default']);
    expect(() => chooseTier(input({ tiers: [] }))).toThrow(/no tier/);
  });

  it('names the hub strategy per tier and validates its parameters', () => {
    expect(tierStrategy('hyper')).toBe('tier:hyper');
    expect(parse(TierChoiceParamsSchema, {}, 'tier choice')).toEqual({ tokenValue: 0.001, optimism: 1 });
    expect(() => parse(TierChoiceParamsSchema, { tokenValue: -1 }, 'tier choice')).toThrow(InsulaValidationError);
    expect(() => parse(TierChoiceParamsSchema, { tokenValue: -1 }, 'tier choice')).toThrow(/tokenValue/);
  });
});
