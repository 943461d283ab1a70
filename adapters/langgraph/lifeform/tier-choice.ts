/**
 * Tier choice by expected value per token: for each task, the tier that maximises
 *
 *   worth × P(success | domain, tier) − price × expectedTokens(tier)
 *
 * where P comes from the hub's per-domain behaviour feedback for the strategy `tier:<tier>` (with
 * an optimism bonus for thin evidence, so an untried tier gets tried and one dropped on a bad run
 * is tried again as evidence accumulates elsewhere), and the price of a token
 * rises with hunger: tokenValue / (1 − hunger). Fed, a token is cheap and a stronger tier is
 * bought wherever it adds enough success; hungry, only large gains are worth their tokens. Pure
 * functions; the lifeform reads the evidence and does the I/O.
 */
import { z } from 'zod';
import { POLICIES, type Policy } from './metabolism.js';

export const TierChoiceParamsSchema = z
  .object({
    /**
     * What a token is worth when fed (hunger 0), in units of a task's `worth` (1 by default): the
     * exchange rate between success and tokens. 0.001 = a thousand tokens buy one success.
     */
    tokenValue: z.number().min(0).max(1).default(0.001),
    /** Weight of the bonus for thin evidence (successBound); 0 = greedy. */
    optimism: z.number().min(0).max(10).default(1),
  })
  .strict();
export type TierChoiceParams = z.input<typeof TierChoiceParamsSchema>;
export type TierChoiceConfig = z.output<typeof TierChoiceParamsSchema>;

/** The hub's view of one tier in a domain (`insula.state(ns).domains[d].strategies['tier:<tier>']`). */
export interface TierEvidence {
  successRate: number;
  /** Effective (window-discounted) number of outcomes. */
  trials: number;
}

/** The hub strategy name a tier's outcomes are recorded under. */
export function tierStrategy(tier: Policy): string {
  return `tier:${tier}`;
}

/** Price never exceeds this multiple of tokenValue, so scores stay finite at hunger 1. */
const MAX_PRICE_FACTOR = 100;

/** Value of a token at this hunger: tokenValue / (1 − hunger), at most 100 × tokenValue. */
export function tokenPrice(hunger: number, tokenValue: number): number {
  return tokenValue / Math.max(1 - hunger, 1 / MAX_PRICE_FACTOR);
}

/**
 * Optimistic success probability, at most 1: the windowed rate plus
 * optimism × sqrt((1 + ln(1 + allTrials)) / (2 (trials + 1))). With no other evidence this is the
 * hub's own bonus for an alternative, sqrt(0.5 / (trials + 1)), so an untried tier (0.5 + 0.71)
 * is worth one try wherever it is affordable. The logarithm of the trials of all tiers (UCB1's)
 * makes a tier left behind after a bad run — or after the hub's change detector re-based it on a
 * few outcomes — worth another try as the others accumulate evidence, instead of never again.
 */
export function successBound(evidence: TierEvidence | undefined, allTrials: number, optimism: number): number {
  const rate = evidence?.successRate ?? 0.5;
  const trials = evidence?.trials ?? 0;
  return Math.min(1, rate + optimism * Math.sqrt((1 + Math.log1p(allTrials)) / (2 * (trials + 1))));
}

export interface TierChoiceInput {
  /** Tiers that may serve (the affordable ones); at least one. */
  tiers: readonly Policy[];
  evidence: Partial<Record<Policy, TierEvidence>>;
  /** Expected tokens per tier; an unknown cost counts as 0 (the first use learns it). */
  costs: Partial<Record<Policy, number>>;
  /** What a success on this task is worth. */
  worth: number;
  /** Value of a token now (tokenPrice). */
  price: number;
  optimism: number;
}

export interface TierChoice {
  tier: Policy;
  /** Score of each candidate tier: worth × success bound − price × expected tokens. */
  scores: Partial<Record<Policy, number>>;
}

/** The candidate with the highest score; ties go to the cheaper tier. */
export function chooseTier(input: TierChoiceInput): TierChoice {
  if (input.tiers.length === 0) throw new Error('chooseTier: no tier to choose from');
  const scores: Partial<Record<Policy, number>> = {};
  const allTrials = POLICIES.reduce((n, tier) => n + (input.evidence[tier]?.trials ?? 0), 0);
  let best: Policy | null = null;
  for (const tier of POLICIES) {
    if (!input.tiers.includes(tier)) continue;
    const score = input.worth * successBound(input.evidence[tier], allTrials, input.optimism) - input.price * (input.costs[tier] ?? 0);
    scores[tier] = score;
    if (best === null || score > scores[best]!) best = tier;
  }
  return { tier: best!, scores };
}
