import { describe, expect, it } from 'vitest';
import {
  WM_DEFAULT_CAPACITY,
  type WorkingMemoryState,
  admit,
  contents,
  createWorkingMemory,
  currentActivation,
  decayAll,
  remove,
} from '../../src/memory/models/working-memory.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 1);

function fill(n: number, state = createWorkingMemory()): WorkingMemoryState {
  let s = state;
  for (let i = 0; i < n; i++) s = admit(s, { id: `m${i}` }, T0 + i * MIN).state;
  return s;
}

describe('working memory (Miller 1956: 7 ± 2)', () => {
  it('defaults to 7 and only accepts capacities 5..9, with a clear error', () => {
    expect(WM_DEFAULT_CAPACITY).toBe(7);
    expect(createWorkingMemory().capacity).toBe(7);
    expect(createWorkingMemory({ capacity: 5 }).capacity).toBe(5);
    expect(createWorkingMemory({ capacity: 9 }).capacity).toBe(9);
    expect(() => createWorkingMemory({ capacity: 4 })).toThrow(/capacity.*at least 5.*7 ± 2/);
    expect(() => createWorkingMemory({ capacity: 10 })).toThrow(/capacity.*at most 9.*7 ± 2/);
    expect(() => createWorkingMemory({ capacity: 7.5 })).toThrow(RangeError);
  });

  it('holds at most `capacity` items; the least active one is displaced', () => {
    const s = fill(7);
    const { state, displaced } = admit(s, { id: 'new' }, T0 + 10 * MIN);
    expect(state.items).toHaveLength(7);
    expect(displaced.map((d) => d.id)).toEqual(['m0']); // admitted first, decayed most
    expect(state.items.some((i) => i.id === 'new')).toBe(true);
  });

  it('displaces by activation, not by age', () => {
    let s = createWorkingMemory({ capacity: 5 });
    for (let i = 0; i < 5; i++) s = admit(s, { id: `m${i}`, activation: i === 3 ? 0.2 : 1 }, T0 + i).state;
    const { displaced } = admit(s, { id: 'x' }, T0 + 10);
    expect(displaced.map((d) => d.id)).toEqual(['m3']);
  });

  it('re-admitting an existing id refreshes it and displaces nothing', () => {
    const s = fill(7);
    const { state, displaced } = admit(s, { id: 'm0', payload: { note: 'again' } }, T0 + 10 * MIN);
    expect(displaced).toEqual([]);
    expect(state.items).toHaveLength(7);
    const top = contents(state, T0 + 10 * MIN)[0]!;
    expect(top.id).toBe('m0');
    expect(top.activation).toBeCloseTo(1, 12);
    expect(top.payload).toEqual({ note: 'again' });
  });

  it('contents are sorted by current activation (most recent first when equal input)', () => {
    const s = fill(5);
    const ids = contents(s, T0 + 6 * MIN).map((i) => i.id);
    expect(ids).toEqual(['m4', 'm3', 'm2', 'm1', 'm0']);
  });

  it('activation halves every half-life; decayAll drops items below the floor', () => {
    let s = createWorkingMemory({ halfLifeMs: 10 * MIN, forgetFloor: 0.2 });
    s = admit(s, { id: 'a' }, T0).state;
    expect(currentActivation(s.items[0]!, T0 + 10 * MIN, s.halfLifeMs)).toBeCloseTo(0.5, 12);
    expect(currentActivation(s.items[0]!, T0 + 20 * MIN, s.halfLifeMs)).toBeCloseTo(0.25, 12);
    s = admit(s, { id: 'b' }, T0 + 25 * MIN).state;
    const { state, displaced } = decayAll(s, T0 + 30 * MIN); // a: 2^-3 = 0.125, b: 2^-0.5
    expect(displaced.map((d) => d.id)).toEqual(['a']);
    expect(state.items.map((i) => i.id)).toEqual(['b']);
    expect(state.items[0]!.activation).toBeCloseTo(Math.SQRT1_2, 12);
  });

  it('is plain JSON and supports removal', () => {
    const s = fill(3);
    const back = JSON.parse(JSON.stringify(s)) as WorkingMemoryState;
    expect(contents(back, T0 + 5 * MIN)).toEqual(contents(s, T0 + 5 * MIN));
    expect(remove(s, 'm1').items.map((i) => i.id)).toEqual(['m0', 'm2']);
    expect(() => admit(s, { id: 'z', activation: 2 }, T0)).toThrow(RangeError);
  });
});
