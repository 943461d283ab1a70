/**
 * Per-domain interoceptive state (integration layer): what each signal source last said about a
 * domain, in documented units, updated O(1) per signal.
 */
import { accumulateValence, initialEmotion, recentValence, valenceTrend, type EmotionParams, type EmotionState } from '../signals/emotional-accumulator.js';
import { armRate, initialArm, type ArmState } from '../signals/behaviour-feedback.js';

/** Exponentially weighted mean and variance: the adaptive baseline of a 0..1 or −1..1 score. */
export interface Baseline {
  mean: number;
  variance: number;
  count: number;
}

export function initialBaseline(): Baseline {
  return { mean: 0, variance: 0, count: 0 };
}

/** In place; alpha is floored at 1/count so the first observations weigh as a plain mean (no cold-start bias). */
export function updateBaseline(b: Baseline, x: number, alpha: number): void {
  b.count++;
  const a = Math.max(alpha, 1 / b.count);
  const delta = x - b.mean;
  b.mean += a * delta;
  b.variance = (1 - a) * (b.variance + a * delta * delta);
}

export interface RoutingObservation {
  confidence: number;
  adapter: string | null;
  choices: number;
  /** Judged low against the domain's routing baseline as it was before this routing. */
  low: boolean;
}

export interface DomainState {
  emotion: EmotionState;
  /** Latest anomaly level 0..1, decaying by `anomalyDecay` per signal in the domain. */
  anomaly: number;
  /** Strategy / action → windowed success record. */
  arms: Map<string, ArmState>;
  /** Domain-wide discounted success record (all strategies). */
  overall: ArmState;
  alignment: Baseline;
  confidence: Baseline;
  /** Confidence of the most recent recall in this domain. */
  lastConfidence: number | null;
  /** Skill-routing confidence (the router's top probability) in this domain. */
  routing: Baseline;
  /** The most recent routing: its confidence, the adapter picked, how many competed, and whether it was low. */
  lastRouting: RoutingObservation | null;
  lastUpdate: number;
  /** Domain event counter: how many signals it has seen. */
  events: number;
}

export function createDomainState(now: number): DomainState {
  return {
    emotion: initialEmotion(),
    anomaly: 0,
    arms: new Map(),
    overall: initialArm(),
    alignment: initialBaseline(),
    confidence: initialBaseline(),
    lastConfidence: null,
    routing: initialBaseline(),
    lastRouting: null,
    lastUpdate: now,
    events: 0,
  };
}

export function feelValence(d: DomainState, valence: number, arousal: number, p: EmotionParams): void {
  // Aroused signals move the accumulator more than faint ones (weight 0.5..1.5).
  accumulateValence(d.emotion, valence, 0.5 + arousal, p);
}

/** The documented view of a domain (units in docs/hub.md). */
export interface DomainView {
  /** Recent valence, −1..1, recency-weighted (≈ last 5 signals). */
  valence: number;
  /** Recent minus baseline valence (≈ last 50 signals): > 0 improving, < 0 worsening. */
  valenceTrend: number;
  /** Anomaly level 0..1 from the domain's baseline trackers. */
  anomaly: number;
  /** Windowed success rate over all strategies, 0..1 (0.5 = no evidence). */
  successRate: number;
  /** Effective number of outcomes behind successRate (discounted by the window). */
  outcomes: number;
  /** Per strategy: windowed success rate and effective number of trials in the window. */
  strategies: Record<string, { successRate: number; trials: number; changes: number }>;
  /** Mean alignment with the drives, −1..1 (0 = neutral or no drives). */
  alignment: number;
  /** Mean recall confidence 0..1, and the latest one (null before any recall). */
  confidence: number;
  lastConfidence: number | null;
  lastUpdate: number;
}

export function viewDomain(d: DomainState): DomainView {
  const strategies: DomainView['strategies'] = {};
  for (const [name, a] of d.arms) strategies[name] = { successRate: armRate(a), trials: a.trials, changes: a.changes };
  return {
    valence: recentValence(d.emotion),
    valenceTrend: valenceTrend(d.emotion),
    anomaly: d.anomaly,
    successRate: armRate(d.overall),
    outcomes: d.overall.trials,
    strategies,
    alignment: d.alignment.count > 0 ? d.alignment.mean : 0,
    confidence: d.confidence.count > 0 ? d.confidence.mean : 0,
    lastConfidence: d.lastConfidence,
    lastUpdate: d.lastUpdate,
  };
}
