/**
 * Per-session working memory: a small buffer of capacity 7 ± 2 (Miller 1956) whose items lose
 * activation with time unless refreshed. Admitting into a full buffer displaces the item with the
 * lowest current activation. Plain JSON state + pure functions; times are ms since epoch.
 *
 * Activation is stored as (value, updatedAt) and decayed lazily: a(now) = a·2^(−(now − updatedAt)/h).
 */
import { z } from 'zod';

/** Miller (1956): "the magical number seven, plus or minus two". */
export const WM_DEFAULT_CAPACITY = 7;
export const WM_MIN_CAPACITY = 5;
export const WM_MAX_CAPACITY = 9;
/**
 * Half-life of an unrefreshed item. Unrehearsed human items fade within seconds (Peterson &
 * Peterson 1959); an agent's "rehearsal" happens per turn, so the default is scaled to turns.
 */
export const WM_DEFAULT_HALF_LIFE_MS = 5 * 60_000;
/** `decayAll` drops items whose activation has fallen below this. */
export const WM_DEFAULT_FORGET_FLOOR = 0.05;

export const WorkingMemoryParamsSchema = z.object({
  capacity: z
    .number()
    .int(`working memory capacity must be an integer from ${WM_MIN_CAPACITY} to ${WM_MAX_CAPACITY} (Miller's 7 ± 2)`)
    .min(WM_MIN_CAPACITY, `working memory capacity must be at least ${WM_MIN_CAPACITY} (Miller's 7 ± 2)`)
    .max(WM_MAX_CAPACITY, `working memory capacity must be at most ${WM_MAX_CAPACITY} (Miller's 7 ± 2)`)
    .default(WM_DEFAULT_CAPACITY),
  halfLifeMs: z.number().positive().default(WM_DEFAULT_HALF_LIFE_MS),
  forgetFloor: z.number().min(0).max(1).default(WM_DEFAULT_FORGET_FLOOR),
});
export type WorkingMemoryParams = z.infer<typeof WorkingMemoryParamsSchema>;
export type WorkingMemoryParamsInput = z.input<typeof WorkingMemoryParamsSchema>;

export interface WorkingMemoryItem<P = unknown> {
  id: string;
  /** Activation in [0, 1] as of `updatedAt`. */
  activation: number;
  updatedAt: number;
  payload?: P;
}

/** What a caller admits; activation defaults to 1 (just attended). */
export interface AdmitInput<P = unknown> {
  id: string;
  activation?: number;
  payload?: P;
}

export interface WorkingMemoryState<P = unknown> extends WorkingMemoryParams {
  items: WorkingMemoryItem<P>[];
}

export interface WorkingMemoryUpdate<P = unknown> {
  state: WorkingMemoryState<P>;
  /** Items that left working memory, with their activation as of the update. */
  displaced: WorkingMemoryItem<P>[];
}

/** An empty buffer. Throws a RangeError naming the 5..9 range if capacity is outside it. */
export function createWorkingMemory<P = unknown>(params?: WorkingMemoryParamsInput): WorkingMemoryState<P> {
  const parsed = WorkingMemoryParamsSchema.safeParse(params ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') ?? '';
    throw new RangeError(`${where ? `${where}: ` : ''}${issue?.message ?? 'invalid working memory parameters'}`);
  }
  return { ...parsed.data, items: [] };
}

/** Activation of `item` at `now`, decayed from its last update. */
export function currentActivation(item: WorkingMemoryItem<unknown>, now: number, halfLifeMs: number): number {
  const dt = Math.max(0, now - item.updatedAt);
  return item.activation * Math.pow(2, -dt / halfLifeMs);
}

function rebase<P>(item: WorkingMemoryItem<P>, now: number, halfLifeMs: number): WorkingMemoryItem<P> {
  return { ...item, activation: currentActivation(item, now, halfLifeMs), updatedAt: Math.max(item.updatedAt, now) };
}

/** Highest activation first; ties go to the most recently updated. */
function byActivationDesc<P>(a: WorkingMemoryItem<P>, b: WorkingMemoryItem<P>): number {
  return b.activation - a.activation || b.updatedAt - a.updatedAt;
}

function checkActivation(a: number): number {
  if (!(a >= 0 && a <= 1)) throw new RangeError(`activation must be in [0, 1], got ${a}`);
  return a;
}

/**
 * Brings an item into working memory at `now`. Re-admitting an id refreshes it (activation =
 * max(decayed, incoming)) and displaces nothing. A new item is always admitted (attention wins);
 * if the buffer overflows, the existing item with the lowest current activation is displaced.
 */
export function admit<P>(state: WorkingMemoryState<P>, input: AdmitInput<P>, now: number): WorkingMemoryUpdate<P> {
  const incoming = checkActivation(input.activation ?? 1);
  const items = state.items.map((it) => rebase(it, now, state.halfLifeMs));
  const existing = items.findIndex((it) => it.id === input.id);
  if (existing >= 0) {
    const old = items[existing]!;
    items[existing] = {
      ...old,
      activation: Math.max(old.activation, incoming),
      updatedAt: Math.max(old.updatedAt, now),
      ...(input.payload !== undefined ? { payload: input.payload } : {}),
    };
    return { state: { ...state, items }, displaced: [] };
  }
  const displaced: WorkingMemoryItem<P>[] = [];
  while (items.length >= state.capacity) {
    const weakest = [...items].sort(byActivationDesc).at(-1)!;
    items.splice(items.indexOf(weakest), 1);
    displaced.push(weakest);
  }
  const item: WorkingMemoryItem<P> = { id: input.id, activation: incoming, updatedAt: now };
  if (input.payload !== undefined) item.payload = input.payload;
  items.push(item);
  return { state: { ...state, items }, displaced };
}

/** Items with their activation at `now`, most active first. */
export function contents<P>(state: WorkingMemoryState<P>, now: number): WorkingMemoryItem<P>[] {
  return state.items.map((it) => rebase(it, now, state.halfLifeMs)).sort(byActivationDesc);
}

/** Applies decay up to `now`; items below the forget floor leave working memory. */
export function decayAll<P>(state: WorkingMemoryState<P>, now: number): WorkingMemoryUpdate<P> {
  const items = contents(state, now);
  const kept = items.filter((it) => it.activation >= state.forgetFloor);
  const displaced = items.filter((it) => it.activation < state.forgetFloor);
  return { state: { ...state, items: kept }, displaced };
}

/** Removes an item (e.g. when its memory is deleted). */
export function remove<P>(state: WorkingMemoryState<P>, id: string): WorkingMemoryState<P> {
  return { ...state, items: state.items.filter((it) => it.id !== id) };
}
