/**
 * Behaviour feedback: how often each action/strategy succeeds in a domain, over a window (not all
 * time), plus a two-sided CUSUM change detector so a strategy that stopped working is noticed in a
 * few trials instead of after its all-time mean has been dragged down.
 *
 * The window is a discount factor (1 − 1/window), which is O(1) state. The detector's reference is
 * the mean since the last change; drift and threshold are in units of that mean's Bernoulli
 * standard deviation, so they adapt to the arm's own baseline.
 */
import { z } from 'zod';

export const FeedbackParamsSchema = z
  .object({
    /** Effective window, in trials of this strategy. */
    window: z.number().min(2).default(200),
    /** CUSUM drift and threshold, in standard deviations of the arm's outcome. */
    drift: z.number().min(0).default(0.75),
    threshold: z.number().gt(0).default(5),
    /** Trials since the last change before a new change can be declared. */
    minTrials: z.number().int().min(1).default(8),
  })
  .strict();
export type FeedbackParams = z.output<typeof FeedbackParamsSchema>;

export interface ArmState {
  /** Discounted successes and trials. */
  successes: number;
  trials: number;
  /** Mean and count since the last detected change: the CUSUM reference. */
  refMean: number;
  refCount: number;
  cusumUp: number;
  cusumDown: number;
  /** Outcomes summed since each CUSUM last sat at zero: the estimate after a change. */
  upRun: { sum: number; count: number };
  downRun: { sum: number; count: number };
  /** Signed run of equal outcomes: +n successes or −n failures in a row. */
  streak: number;
  total: number;
  changes: number;
  /** Windowed rate just before the last change, or null. */
  rateBeforeChange: number | null;
}

export function initialArm(): ArmState {
  return { successes: 0, trials: 0, refMean: 0, refCount: 0, cusumUp: 0, cusumDown: 0, upRun: { sum: 0, count: 0 }, downRun: { sum: 0, count: 0 }, streak: 0, total: 0, changes: 0, rateBeforeChange: null };
}

/** Windowed success rate with a uniform prior (0.5 before any trial). */
export function armRate(a: ArmState): number {
  return (a.successes + 0.5) / (a.trials + 1);
}

export interface FeedbackUpdate {
  arm: ArmState;
  /** A change in this strategy's success rate was detected at this trial. */
  changed: boolean;
  /** Outcome minus what the arm expected before it (reward prediction error). */
  predictionError: number;
}

/** `success` is 0..1 (1 = the action worked). */
export function recordOutcome(a: ArmState, success: number, p: FeedbackParams): FeedbackUpdate {
  const expected = armRate(a);
  const keep = 1 - 1 / p.window;
  const successes = a.successes * keep + success;
  const trials = a.trials * keep + 1;
  const streak = success >= 0.5 ? Math.max(0, a.streak) + 1 : Math.min(0, a.streak) - 1;

  const sd = Math.sqrt(Math.max(a.refMean * (1 - a.refMean), 0.05));
  let cusumUp = 0;
  let cusumDown = 0;
  if (a.refCount > 0) {
    cusumUp = Math.max(0, a.cusumUp + (success - a.refMean) / sd - p.drift);
    cusumDown = Math.max(0, a.cusumDown + (a.refMean - success) / sd - p.drift);
  }
  const run = (cusum: number, r: { sum: number; count: number }) => (cusum > 0 ? { sum: r.sum + success, count: r.count + 1 } : { sum: 0, count: 0 });
  const upRun = run(cusumUp, a.upRun);
  const downRun = run(cusumDown, a.downRun);
  const predictionError = success - expected;

  if (a.refCount >= p.minTrials && Math.max(cusumUp, cusumDown) > p.threshold) {
    // Re-baseline on the outcomes since the detector started climbing: the new regime only.
    const since = cusumUp >= cusumDown ? upRun : downRun;
    const mean = since.sum / since.count;
    return {
      changed: true,
      predictionError,
      arm: {
        successes: since.sum,
        trials: since.count,
        refMean: mean,
        refCount: since.count,
        cusumUp: 0,
        cusumDown: 0,
        upRun: { sum: 0, count: 0 },
        downRun: { sum: 0, count: 0 },
        streak,
        total: a.total + 1,
        changes: a.changes + 1,
        rateBeforeChange: a.refMean,
      },
    };
  }
  const refCount = a.refCount + 1;
  return {
    changed: false,
    predictionError,
    arm: {
      successes,
      trials,
      refMean: a.refMean + (success - a.refMean) / refCount,
      refCount,
      cusumUp,
      cusumDown,
      upRun,
      downRun,
      streak,
      total: a.total + 1,
      changes: a.changes,
      rateBeforeChange: a.rateBeforeChange,
    },
  };
}
