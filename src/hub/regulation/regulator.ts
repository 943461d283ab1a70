/**
 * Regulation layer: turns the integrated state into actions. Thresholds are relative to each
 * quantity's own baseline or uncertainty (confidence against its running mean and spread, success
 * rates against their binomial error), so they hold whatever the host's units and volumes are.
 */
import { z } from 'zod';
import { armRate, type ArmState } from '../signals/behaviour-feedback.js';
import { baselineValence, recentValence } from '../signals/emotional-accumulator.js';
import type { Baseline, DomainState } from '../integration/domain-state.js';
import type { RegulationAction } from './actions.js';
import type { GenerationParams, NeuromodulatorState } from './neuromodulators.js';

export const RegulationParamsSchema = z
  .object({
    /** Observations before the adaptive confidence threshold is trusted; before that `coldConfidence` is the threshold. */
    coldStart: z.number().int().min(1).default(20),
    coldConfidence: z.number().min(0).max(1).default(0.25),
    /** A recall is low-confidence below mean − lowConfidenceSd · sd of the domain's confidences. */
    lowConfidenceSd: z.number().min(0).default(0.75),
    /**
     * Skill routing is in dissonance below mean − dissonanceSd · sd of the domain's routing
     * confidences. Wider than lowConfidenceSd: each dissonant turn is logged as training data, so
     * it should be the unusual turn (≈ 2% of in-distribution turns at 2 sd), not one in four.
     */
    dissonanceSd: z.number().min(0).default(2),
    /** z-score by which a strategy must trail the best alternative to be called failing. */
    shiftZ: z.number().min(0).default(1.5),
    /** Sources deviating together that make a systemic alert (critical at one more). */
    systemicSources: z.number().int().min(2).default(2),
    /** Deviation level (0..1) at which a source counts as deviating. */
    deviation: z.number().min(0).max(1).default(0.5),
    /**
     * Widening of a low-confidence second pass (multiplied by the recall depth). 1: the recall depth
     * alone; doubling the pool did not help the low-confidence LoCoMo dev questions (docs/hub.md).
     */
    widen: z.number().min(1).max(10).default(1),
    /** Weight of episode support in a low-confidence second pass (see RetrievalAdjustmentSchema). */
    episodeSupport: z.number().min(0).max(1).default(0.2),
  })
  .strict();
export type RegulationParams = z.output<typeof RegulationParamsSchema>;

export function isLowConfidence(d: DomainState, confidence: number, p: RegulationParams): boolean {
  return isLowAgainst(d.confidence, confidence, p.coldConfidence, p.lowConfidenceSd, p);
}

/** Below the baseline's mean − sds · sd once it has coldStart observations, below `cold` before. */
export function isLowAgainst(b: Baseline, value: number, cold: number, sds: number, p: RegulationParams): boolean {
  if (b.count < p.coldStart) return value < cold;
  return value < b.mean - sds * Math.sqrt(b.variance);
}

/**
 * Is a routing confidence low for the domain? Before the domain has its own baseline, the cold
 * threshold is coldConfidence of the way from chance (1 / choices) to certainty, because a top
 * probability's floor depends on how many adapters compete.
 */
export function isLowRouting(d: DomainState, confidence: number, choices: number, p: RegulationParams): boolean {
  const chance = 1 / Math.max(1, choices);
  return isLowAgainst(d.routing, confidence, chance + (1 - chance) * p.coldConfidence, p.dissonanceSd, p);
}

/** Effective-sample standard error of a windowed rate. */
function stderr(a: ArmState): number {
  const r = armRate(a);
  return Math.sqrt((r * (1 - r)) / (a.trials + 1));
}

/**
 * The strategy to move to: the best windowed rate plus an optimism bonus for thin evidence, so an
 * alternative that has barely been tried is worth a look after a failure (as in UCB).
 */
export function bestAlternative(arms: ReadonlyMap<string, ArmState>, excluding: string | null): { name: string; rate: number } | null {
  let best: { name: string; rate: number; value: number } | null = null;
  for (const [name, a] of arms) {
    if (name === excluding || (excluding !== null && family(name) !== family(excluding))) continue;
    const value = armRate(a) + Math.sqrt(0.5 / (a.trials + 1));
    if (!best || value > best.value) best = { name, rate: armRate(a), value };
  }
  return best && { name: best.name, rate: best.rate };
}

/** Strategies compete within their family: `tool:grep` against other tools, plain names against plain names. */
function family(strategy: string): string {
  const colon = strategy.indexOf(':');
  return colon < 0 ? '' : strategy.slice(0, colon);
}

/** Strategies currently failing: trailing the best alternative by more than shiftZ standard errors, or freshly dropped. */
export function failingStrategies(d: DomainState, p: RegulationParams): Array<Extract<RegulationAction, { kind: 'behaviour-shift' }>> {
  const shifts: Array<Extract<RegulationAction, { kind: 'behaviour-shift' }>> = [];
  for (const [name, a] of d.arms) {
    if (a.streak >= 0) continue; // only what is failing now
    const rate = armRate(a);
    let bestOther: { name: string; a: ArmState } | null = null;
    for (const [other, b] of d.arms) {
      if (other !== name && family(other) === family(name) && (!bestOther || armRate(b) > armRate(bestOther.a))) bestOther = { name: other, a: b };
    }
    const trailing = bestOther !== null && armRate(bestOther.a) - rate > p.shiftZ * Math.hypot(stderr(a), stderr(bestOther.a));
    const alternative = bestAlternative(d.arms, name);
    // A detected drop counts while it is fresh and something else looks better.
    const dropped = a.rateBeforeChange !== null && a.refMean < a.rateBeforeChange && a.refCount <= RECENT_CHANGE && alternative !== null && alternative.rate > rate;
    if (!trailing && !dropped) continue;
    const because = dropped
      ? `its success rate fell from ${pct(a.rateBeforeChange!)} to ${pct(rate)} (change detected)`
      : `it succeeds ${pct(rate)} of the time against ${pct(armRate(bestOther!.a))} for ${bestOther!.name}`;
    shifts.push({
      kind: 'behaviour-shift',
      domain: '',
      failing: name,
      failingRate: rate,
      alternative: alternative?.name ?? null,
      alternativeRate: alternative?.rate ?? null,
      reason: `stop repeating "${name}": ${because}`,
    });
  }
  return shifts;
}

export interface RegulationInput {
  domains: ReadonlyMap<string, DomainState>;
  neuromodulators: NeuromodulatorState;
  generation: GenerationParams;
  /** Deviation level per source (0..1) and the domain that raised it last. */
  deviations: ReadonlyMap<string, { level: number; domain: string }>;
  /** Gut valence of the domain's latest situation, from the somatic markers. */
  gut: ReadonlyMap<string, number>;
}

export function regulate(input: RegulationInput, p: RegulationParams): RegulationAction[] {
  const actions: RegulationAction[] = [];
  const g = input.generation;
  const levels = input.neuromodulators.levels;
  actions.push({
    kind: 'generation',
    ...g,
    reason: `dopamine ${levels.dopamine.toFixed(2)}, noradrenaline ${levels.noradrenaline.toFixed(2)}, serotonin ${levels.serotonin.toFixed(2)}, cortisol ${levels.cortisol.toFixed(2)}`,
  });

  const deviating = [...input.deviations].filter(([, d]) => d.level >= p.deviation);
  if (deviating.length >= p.systemicSources) {
    actions.push({
      kind: 'alert',
      severity: deviating.length > p.systemicSources ? 'critical' : 'warning',
      domain: null,
      sources: deviating.map(([s]) => s),
      message: `${deviating.length} signal sources deviate together: ${deviating.map(([s, d]) => `${s} (${d.domain})`).join(', ')}`,
      reason: 'systemic deviation across sources, not a single metric',
    });
  }

  for (const [domain, d] of input.domains) {
    const low = d.lastConfidence !== null && isLowConfidence(d, d.lastConfidence, p);
    if (low) {
      actions.push({
        kind: 'retrieval-adjustment',
        domain,
        widen: Math.round(p.widen * g.recallDepth * 100) / 100,
        lowerThreshold: true,
        episodeSupport: p.episodeSupport,
        reason:
          d.confidence.count < p.coldStart
            ? `recall confidence ${d.lastConfidence!.toFixed(2)} is below ${p.coldConfidence} (too few recalls in this domain for its own baseline yet)`
            : `recall confidence ${d.lastConfidence!.toFixed(2)} is below this domain's usual ${d.confidence.mean.toFixed(2)}`,
      });
      const gut = input.gut.get(domain) ?? 0;
      if (gut < -0.3 || levels.cortisol > 0.6) {
        actions.push({
          kind: 'pause-and-ask',
          domain,
          question: `I am not confident about what I remember for ${domain}; can you confirm the relevant facts?`,
          reason: gut < -0.3 ? `low recall confidence in a situation that went badly before (gut ${gut.toFixed(2)})` : `low recall confidence under sustained stress (cortisol ${levels.cortisol.toFixed(2)})`,
        });
      }
    }
    if (d.lastRouting?.low) {
      const r = d.lastRouting;
      actions.push({
        kind: 'learn',
        domain,
        adapter: r.adapter,
        confidence: r.confidence,
        reason:
          // The baseline already holds this routing, which was judged against the one before.
          d.routing.count <= p.coldStart
            ? `skill routing is unsure (confidence ${r.confidence.toFixed(2)} among ${r.choices} adapters, too few routings in this domain for its own baseline yet): collect QA pairs for ${domain}`
            : `skill routing confidence ${r.confidence.toFixed(2)} is below this domain's usual ${d.routing.mean.toFixed(2)}: collect QA pairs for ${domain}`,
      });
    }
    for (const shift of failingStrategies(d, p)) actions.push({ ...shift, domain });
    if (d.anomaly >= 0.9) {
      actions.push({ kind: 'alert', severity: 'info', domain, sources: ['anomaly'], message: `${domain} deviates from its baseline (anomaly ${d.anomaly.toFixed(2)})`, reason: 'anomaly tracker' });
    }
    if (d.alignment.count >= 5 && d.alignment.mean < -0.2) {
      actions.push({
        kind: 'drive-update',
        domain,
        suggestion: `What happens in ${domain} keeps running against the stated drives; revise the drives or the way ${domain} is handled.`,
        reason: `mean alignment ${d.alignment.mean.toFixed(2)} over ${d.alignment.count} memories`,
      });
    } else if (d.emotion.count >= 10 && recentValence(d.emotion) < -0.4 && baselineValence(d.emotion) < -0.2) {
      actions.push({
        kind: 'drive-update',
        domain,
        suggestion: `${domain} has felt bad for a long stretch; add or reword a drive about what to do differently in ${domain}.`,
        reason: `valence ${recentValence(d.emotion).toFixed(2)} recently and ${baselineValence(d.emotion).toFixed(2)} at baseline`,
      });
    }
  }
  return actions;
}

/** Trials after a detected change during which the change itself is news. */
const RECENT_CHANGE = 10;

const pct = (x: number) => `${Math.round(x * 100)}%`;
