/**
 * Efficacy scenario 1: piecewise-stationary strategy choice. Each domain has three strategies
 * whose Bernoulli success rates are redrawn at unknown times. Every step, the agent picks one
 * strategy per domain and learns whether it worked.
 *  - without hub: greedy on all-time success rates, fixed exploration (the hub's resting rate);
 *  - with hub: the same greedy agent on the hub's windowed rates, following its behaviour shifts
 *    and its neuromodulated exploration rate;
 *  - sliding-window UCB (Garivier & Moulines 2011) with the window tuned from the horizon and the
 *    true number of changes (information the other agents do not get).
 * Metric: cumulative regret (best rate − chosen rate, summed).
 */
import { InteroceptiveHub } from '../../src/hub/hub.js';
import { seededRandom } from '../../src/random.js';

export interface StrategyChoiceOptions {
  steps: number;
  domains: number;
  strategies: number;
  changes: number;
}

export interface World {
  /** rates[domain][segment][strategy] and the step each segment starts at. */
  rates: number[][][];
  starts: number[][];
}

export function makeWorld(o: StrategyChoiceOptions, r: () => number): World {
  const rates: number[][][] = [];
  const starts: number[][] = [];
  for (let d = 0; d < o.domains; d++) {
    const points = [0, ...Array.from({ length: o.changes }, () => Math.floor(r() * o.steps)).sort((a, b) => a - b)];
    starts.push(points);
    rates.push(points.map(() => Array.from({ length: o.strategies }, () => 0.1 + 0.8 * r())));
  }
  return { rates, starts };
}

export function ratesAt(w: World, d: number, t: number): number[] {
  const starts = w.starts[d]!;
  let seg = 0;
  while (seg + 1 < starts.length && starts[seg + 1]! <= t) seg++;
  return w.rates[d]![seg]!;
}

interface Agent {
  choose(domain: number, t: number): number;
  learn(domain: number, strategy: number, success: boolean): void;
}

function argmax(xs: readonly number[], r: () => number): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]! || (xs[i] === xs[best] && r() < 0.5)) best = i;
  return best;
}

function allTimeGreedy(o: StrategyChoiceOptions, exploration: number, r: () => number): Agent {
  const wins = Array.from({ length: o.domains }, () => new Array<number>(o.strategies).fill(0));
  const tries = Array.from({ length: o.domains }, () => new Array<number>(o.strategies).fill(0));
  return {
    choose(d) {
      const untried = tries[d]!.findIndex((n) => n === 0);
      if (untried >= 0) return untried;
      if (r() < exploration) return Math.floor(r() * o.strategies);
      return argmax(wins[d]!.map((w, i) => w / tries[d]![i]!), r);
    },
    learn(d, s, ok) {
      tries[d]![s]!++;
      if (ok) wins[d]![s]!++;
    },
  };
}

function hubAgent(o: StrategyChoiceOptions, r: () => number): Agent {
  const hub = new InteroceptiveHub();
  const ns = 'agent';
  const names = Array.from({ length: o.strategies }, (_, i) => `s${i}`);
  const tried = Array.from({ length: o.domains }, () => new Set<number>());
  return {
    choose(d) {
      const domain = `d${d}`;
      const untried = names.findIndex((_, i) => !tried[d]!.has(i));
      if (untried >= 0) return untried;
      const view = hub.state(ns).domains[domain]!;
      const greedy = argmax(names.map((n) => view.strategies[n]?.successRate ?? 0.5), r);
      if (r() < hub.generation(ns).exploration) {
        // Explore where the evidence is thinnest.
        return argmax(names.map((n, i) => (i === greedy ? -Infinity : -(view.strategies[n]?.trials ?? 0))), r);
      }
      // Stop repeating a strategy the hub says is failing; take its recommended alternative.
      const shift = hub.regulate(ns).find((a) => a.kind === 'behaviour-shift' && a.domain === domain && a.failing === names[greedy]);
      return shift?.kind === 'behaviour-shift' && shift.alternative ? names.indexOf(shift.alternative) : greedy;
    },
    learn(d, s, ok) {
      tried[d]!.add(s);
      hub.feedback(ns, { domain: `d${d}`, strategy: names[s]!, success: ok });
    },
  };
}

function slidingWindowUcb(o: StrategyChoiceOptions, r: () => number): Agent {
  const window = Math.round(2 * Math.sqrt((o.steps * Math.log(o.steps)) / (o.changes + 1)));
  const history = Array.from({ length: o.domains }, () => [] as Array<[number, boolean]>);
  return {
    choose(d, t) {
      const recent = history[d]!.slice(-window);
      const n = new Array<number>(o.strategies).fill(0);
      const w = new Array<number>(o.strategies).fill(0);
      for (const [s, ok] of recent) {
        n[s]!++;
        if (ok) w[s]!++;
      }
      const unseen = n.findIndex((x) => x === 0);
      if (unseen >= 0) return unseen;
      const horizon = Math.log(Math.min(t + 1, window));
      return argmax(n.map((ni, i) => w[i]! / ni + Math.sqrt((0.6 * horizon) / ni)), r);
    },
    learn(d, s, ok) {
      history[d]!.push([s, ok]);
      if (history[d]!.length > 4 * window) history[d]!.splice(0, history[d]!.length - window);
    },
  };
}

export function runStrategyChoice(seed: number, o: StrategyChoiceOptions): { withHub: number; withoutHub: number; swUcb: number } {
  const world = makeWorld(o, seededRandom(seed));
  const hubParams = new InteroceptiveHub().params.neuromodulators;
  const agents = {
    withHub: hubAgent(o, seededRandom(seed + 1)),
    withoutHub: allTimeGreedy(o, hubParams.exploration, seededRandom(seed + 1)),
    swUcb: slidingWindowUcb(o, seededRandom(seed + 1)),
  };
  const regret = { withHub: 0, withoutHub: 0, swUcb: 0 };
  for (const [name, agent] of Object.entries(agents) as Array<[keyof typeof agents, Agent]>) {
    const outcomes = seededRandom(seed + 2); // the same luck for every agent
    for (let t = 0; t < o.steps; t++) {
      for (let d = 0; d < o.domains; d++) {
        const rates = ratesAt(world, d, t);
        const s = agent.choose(d, t);
        regret[name] += Math.max(...rates) - rates[s]!;
        agent.learn(d, s, outcomes() < rates[s]!);
      }
    }
  }
  return regret;
}
