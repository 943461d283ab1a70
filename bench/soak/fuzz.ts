/**
 * Fuzzing soak: fast-check cases against every public entry point — remember / rememberMany,
 * recall / recallWithReport, forget, signal / metric / feedback, the host hooks, each MCP tool
 * through the SDK client, and the CLI in child processes — with hostile input: arbitrary Unicode,
 * control, zero-width and bidi characters, huge strings, NaN / ∞, deep and cyclic objects,
 * `__proto__` keys, Cypher-looking text.
 *
 * Every case is valid, invalid in one named field, missing a required field, carrying an unknown
 * key, or arbitrary ("chaos"). Properties: nothing crashes; a rejection is a validation error that
 * names the field (InsulaValidationError, an MCP isError result, a degraded hook result); a rejected
 * call changes nothing stored; valid text is stored verbatim (read back, again after a reopen) and
 * recall with the exact text finds it.
 *
 *   npm run soak:fuzz -- --cases 100000 [--seed 42] [--cli 60]
 *
 * The last line printed is one JSON object: cases per entry point, crashes, unexpected errors,
 * verbatim failures, seconds.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import fc from 'fast-check';
import { createGloveEmbedder } from '../../native/glove/embedder.js';
import { createHooks, type InsulaHooks } from '../../src/hooks/index.js';
import { SIGNAL_SOURCES } from '../../src/hub/signals/signal.js';
import { Insula } from '../../src/insula.js';
import { createMcpServer } from '../../src/mcp/server.js';
import type { RecallResult } from '../../src/memory/recall.js';
import { clipText, InsulaValidationError, MAX_CONTENT_CHARS, MAX_QUERY_CHARS, MAX_TIME_MS, MEMORY_TYPES, MIN_TIME_MS, toWellFormed } from '../../src/memory/schema.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

// ---- hostile values ------------------------------------------------------------------------------

/** A case's expectation: null = valid, a field name = invalid there (the error must name it), CHAOS = anything goes. */
export const CHAOS = '(chaos)';
export interface Case<T = Record<string, unknown>> {
  input: T;
  bad: string | null;
}

export const TRICKY = [
  "'}) MATCH (n) DETACH DELETE n //",
  '"}) MATCH (n) DETACH DELETE n //',
  "' OR 1=1 --",
  'RETURN 1; MATCH (m:Memory) DETACH DELETE m',
  "CALL DROP_FTS_INDEX('Memory', 'memory_content')",
  '$ns',
  '\\',
  "\\'",
  '\\"',
  '`',
  '{',
  '}',
  '/*',
  '//',
  ';',
  '\u0000',
  '\r\n',
  '\r',
  '\n',
  '\t',
  '\v',
  '\f',
  '\u2028',
  '\u2029',
  '\u0085',
  '\u200B',
  '\u200D',
  '\u2060',
  '\uFEFF',
  '\u202E',
  '\u2066',
  '\u2069',
  '\u061C',
  '```',
  '````',
  '~~~',
  '    ```',
  '</memory>',
  '</system>',
  'System:',
  'Assistant:',
  '<|im_start|>system',
  '<|im_end|>',
  '## Interoceptive state (insula)',
  '## Recalled memories (insula)',
  '__proto__',
  'constructor',
  '👩‍👩‍👧',
  '🏳️‍🌈',
  'e\u0301',
  'ﬁ',
  'İ',
  '\u{10FFFF}',
  '\uFFFF',
  '\uFFFD',
  'NaN',
  '-0',
  'null',
  '1e309',
];

/** Ordinary words, so that much of the fuzzed text is findable by both indexes. */
export const WORDS = ['deploy', 'meeting', 'database', 'coffee', 'morning', 'prefers', 'production', 'rollback', 'weather', 'garden', 'python', 'invoice', 'music', 'travel', 'friday', 'budget', 'server', 'kitchen', 'hello', 'world'];

const piece = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...TRICKY) },
  { weight: 4, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
  { weight: 2, arbitrary: fc.constantFrom(' ', '  ', '\n', '\t', '\r\n') },
);

const shortText = fc.array(piece, { maxLength: 14 }).map((p) => p.join(''));
/** Long runs of one piece, past the size limits (32,768 characters for content). */
const hugeText = fc
  .tuple(piece.filter((p) => p.length > 0), fc.integer({ min: 2000, max: 40_000 }))
  .map(([p, n]) => p.repeat(Math.ceil(n / p.length)).slice(0, n));

/** Any text: may hold lone surrogates, be empty, blank or huge. */
export const anyText = fc.oneof({ weight: 14, arbitrary: shortText }, { weight: 1, arbitrary: hugeText });

/** Text the store can hold (well-formed), of `min`..`max` characters. */
export function storedText(max: number, min = 1): fc.Arbitrary<string> {
  return anyText.map((s) => clipText(toWellFormed(s), max)).filter((s) => s.length >= min);
}

/** Text with a lone surrogate: UTF-8 cannot carry it, so fields written to the store reject it. */
const loneSurrogateText = fc.tuple(shortText, fc.constantFrom('\uD800', '\uDBFF', '\uDC00', '\uDFFF')).map(([t, s]) => `${toWellFormed(t)}${s}x`);

function deepObject(depth: number): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

function cyclic(): unknown {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
}

/** Values of the wrong type, deep or odd. */
const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, Number.NaN, Infinity, -Infinity, 0, -0, [], {}, new Date(Number.NaN), () => 1),
  fc.bigInt(),
  fc.object({ maxDepth: 2 }),
  fc.integer({ min: 40, max: 5000 }).map(deepObject),
  fc.constant(null).map(cyclic),
);

/** Arbitrary values, including the hostile ones above. */
const chaosValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.anything({ maxDepth: 3, withBigInt: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true, withTypedArray: true, withSparseArray: true }) },
  { weight: 2, arbitrary: junk },
  { weight: 2, arbitrary: anyText },
);

const notString = junk.filter((v) => typeof v !== 'string');

// ---- fields and cases ----------------------------------------------------------------------------

export interface Field {
  valid: fc.Arbitrary<unknown>;
  invalid: fc.Arbitrary<unknown>;
  /** Rejected when absent. */
  required?: boolean;
  /** Always present in valid cases, though the schema would take it absent (keeps destructive calls on scratch data). */
  always?: boolean;
}

/** A text field of `min`..`max` characters; `stored`: written to the store, so well-formed; `trimmed`: lengths count after trimming. */
function textField(max: number, opts: { min?: number; stored?: boolean; trimmed?: boolean; required?: boolean } = {}): Field {
  const min = opts.min ?? 0;
  const size = (s: string) => (opts.trimmed ? s.trim().length : s.length);
  const valid = (opts.stored ? storedText(max, min) : anyText.map((s) => clipText(s, max))).filter((s) => size(s) >= min && size(s) <= max);
  const invalid: fc.Arbitrary<unknown>[] = [notString, fc.constantFrom(max + 1, max + 5000).map((n) => 'x'.repeat(n))];
  if (min > 0) invalid.push(fc.constantFrom('', ' \t\n').filter((s) => size(s) < min));
  if (opts.stored) invalid.push(loneSurrogateText.filter((s) => s.length <= max));
  return { valid, invalid: fc.oneof(...invalid), required: opts.required };
}

function patternField(pattern: RegExp, valid: fc.Arbitrary<string>, opts: { required?: boolean; always?: boolean } = {}): Field {
  return { valid, invalid: fc.oneof(anyText.filter((s) => !pattern.test(s)), notString, fc.constant('x'.repeat(200))), ...opts };
}

function numberField(min: number, max: number, opts: { int?: boolean; required?: boolean } = {}): Field {
  const valid = opts.int ? fc.integer({ min, max }) : fc.oneof(fc.double({ min, max, noNaN: true, noDefaultInfinity: true }), fc.constantFrom(min, max));
  const outside: fc.Arbitrary<unknown>[] = [fc.constantFrom(Number.NaN, Infinity, -Infinity), junk.filter((v) => typeof v !== 'number'), fc.constant(String((min + max) / 2))];
  // fast-check counts -0 below 0; the schemas do not.
  if (Number.isFinite(min)) outside.push(fc.double({ max: min, maxExcluded: true, noNaN: true }).filter((x) => x < min));
  if (Number.isFinite(max)) outside.push(fc.double({ min: max, minExcluded: true, noNaN: true }));
  if (opts.int) outside.push(fc.constant(min + 0.5));
  return { valid, invalid: fc.oneof(...outside), required: opts.required };
}

function booleanField(required = false): Field {
  return { valid: fc.boolean(), invalid: fc.constantFrom('true', 1, 0, null, 'false', [], {}), required };
}

function enumField(values: readonly string[], required = false): Field {
  return { valid: fc.constantFrom(...values), invalid: fc.oneof(anyText.filter((s) => !values.includes(s)), notString), required };
}

/** Epoch milliseconds, Date or ISO text, years 0 to 9999; `json`: no Date objects (MCP arguments are JSON). */
function timeField(json = false): Field {
  const date = fc.date({ min: new Date(MIN_TIME_MS), max: new Date(MAX_TIME_MS), noInvalidDate: true });
  const valid: fc.Arbitrary<unknown>[] = [fc.double({ min: 0, max: MAX_TIME_MS, noNaN: true }), date.map((d) => d.toISOString())];
  if (!json) valid.push(date);
  return {
    valid: fc.oneof(...valid),
    invalid: fc.oneof(
      fc.constantFrom(Number.NaN, -1, Infinity, MAX_TIME_MS + 1, 8.64e15 + 1, 1e300, 2 ** 63, 'yesterday', '2024-13-45', '+010000-01-01T00:00:00.000Z', '', {}, true),
      ...(json ? [] : [fc.constantFrom(new Date(MAX_TIME_MS + 1), new Date(MIN_TIME_MS - 1), new Date(Number.NaN))]),
      anyText.filter((s) => Number.isNaN(Date.parse(s))),
    ),
  };
}

function arrayField(item: Field, max: number, opts: { min?: number; required?: boolean } = {}): Field {
  const min = opts.min ?? 0;
  const invalid: fc.Arbitrary<unknown>[] = [
    fc.tuple(fc.array(item.valid, { maxLength: Math.min(max - 1, 3) }), item.invalid, fc.nat(3)).map(([items, bad, at]) => {
      const out = [...items];
      out.splice(Math.min(at, out.length), 0, bad);
      return out;
    }),
    junk.filter((v) => !Array.isArray(v)),
  ];
  // One item repeated: past the limit without generating hundreds of values.
  if (Number.isFinite(max)) invalid.push(item.valid.map((v) => new Array<unknown>(max + 1).fill(v)));
  if (min > 0) invalid.push(fc.constant([]));
  return { valid: fc.array(item.valid, { minLength: min, maxLength: Math.min(max, 5) }), invalid: fc.oneof(...invalid), required: opts.required };
}

/** A nested strict object (a tool event, a history message). */
function objectField(fields: Record<string, Field>, required = false): Field {
  const cases = casesOf(fields, { chaos: false });
  return {
    valid: cases.filter((c) => c.bad === null).map((c) => c.input),
    invalid: cases.filter((c) => c.bad !== null).map((c) => c.input),
    required,
  };
}

/**
 * Cases for a strict object schema: valid, one field invalid, a required field missing, an
 * unknown key (`__proto__` among them), or arbitrary keys and values.
 */
export function casesOf(fields: Record<string, Field>, opts: { chaos?: boolean; protoKey?: boolean } = {}): fc.Arbitrary<Case> {
  const keys = Object.keys(fields);
  const required = keys.filter((k) => fields[k]!.required);
  const validInput = fc.record(Object.fromEntries(keys.map((k) => [k, fields[k]!.valid])), {
    requiredKeys: keys.filter((k) => fields[k]!.required || fields[k]!.always),
  }) as fc.Arbitrary<Record<string, unknown>>;
  const extraKey = fc
    .oneof(fc.constantFrom('__proto__', 'constructor', 'toString', 'colour', "'}) MATCH (n) DETACH DELETE n //"), fc.string({ minLength: 1, maxLength: 12 }))
    .filter((k) => !keys.includes(k) && (opts.protoKey !== false || k !== '__proto__'));
  const options: Array<fc.WeightedArbitrary<Case>> = [
    { weight: 6, arbitrary: validInput.map((input) => ({ input, bad: null })) },
    {
      weight: 5,
      arbitrary: fc.tuple(validInput, fc.constantFrom(...keys)).chain(([input, key]) => fields[key]!.invalid.map((value) => ({ input: { ...input, [key]: value }, bad: key }))),
    },
    // A computed key makes `__proto__` an own property, as JSON.parse does.
    { weight: 1, arbitrary: fc.tuple(validInput, extraKey, chaosValue).map(([input, key, value]) => ({ input: { ...input, [key]: value }, bad: key })) },
  ];
  if (required.length > 0) {
    options.push({
      weight: 1,
      arbitrary: fc.tuple(validInput, fc.constantFrom(...required)).map(([input, key]) => {
        const rest = { ...input };
        delete rest[key];
        return { input: rest, bad: key };
      }),
    });
  }
  if (opts.chaos !== false) {
    options.push({
      weight: 1,
      arbitrary: fc
        .oneof(fc.dictionary(fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 8 })), chaosValue, { maxKeys: 6 }), chaosValue)
        .map((input) => ({ input: input as Record<string, unknown>, bad: CHAOS })),
    });
  }
  return fc.oneof(...options);
}

// ---- the schemas' fields -------------------------------------------------------------------------

const NAMESPACE_RE = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;
const DOMAIN_RE = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$/;
const METRIC_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/** Namespaces the soak writes to and fingerprints; destructive calls only touch the scratch ones. */
export const NAMESPACES = ['default', 'fuzz-a', 'fuzz.b@c', 'fuzz:d'];
const SCRATCH = ['scratch-1', 'scratch-2'];

/** Stands for "an id stored earlier"; replaced with one before the call. */
const PICK = '\u0000stored-id';

/**
 * Odd but valid namespaces, a fixed few: every namespace keeps hub state and working memories in
 * the process, so a fresh one per case would grow the soak's memory without bound.
 */
const ODD_NAMESPACES = fc.sample(fc.stringMatching(NAMESPACE_RE), { seed: 1, numRuns: 32 });
const namespace = patternField(
  NAMESPACE_RE,
  fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...NAMESPACES) }, { weight: 1, arbitrary: fc.constantFrom(...SCRATCH) }, { weight: 1, arbitrary: fc.constantFrom(...ODD_NAMESPACES) }),
);
const scratchNamespace = (required: boolean) => patternField(NAMESPACE_RE, fc.constantFrom(...SCRATCH), required ? { required } : { always: true });
const domain = patternField(DOMAIN_RE, fc.oneof(fc.constantFrom('general', 'deploy', 'ops', 'coding'), fc.stringMatching(DOMAIN_RE)));
const memoryId: Field = {
  valid: fc.oneof({ weight: 3, arbitrary: fc.constant(PICK) }, { weight: 1, arbitrary: fc.uuid() }, { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 128 }) }),
  invalid: fc.oneof(fc.constant(''), fc.constant('x'.repeat(129)), notString),
};
const session = textField(256, { min: 1, stored: true });

const content: Field = {
  valid: storedText(MAX_CONTENT_CHARS).filter((s) => s.trim().length > 0),
  invalid: fc.oneof(fc.constantFrom('', '   ', '\n\t\r\n', '\u3000'), fc.constant('x'.repeat(MAX_CONTENT_CHARS + 1)), loneSurrogateText, notString),
  required: true,
};

const metadata: Field = {
  valid: fc
    .dictionary(fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom(...TRICKY)), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 })
    .filter((m) => !Object.keys(m).includes('__proto__') && !JSON.stringify(m).includes('"__proto__"') && Buffer.byteLength(JSON.stringify(m)) <= 16_384),
  invalid: fc.oneof(
    fc.integer({ min: 33, max: 6000 }).map((d) => ({ deep: deepObject(d) })),
    fc.constant(null).map(() => JSON.parse('{"__proto__": {"polluted": true}}') as unknown),
    fc.constant(null).map(() => ({ nested: JSON.parse('{"a": {"__proto__": 1}}') as unknown })),
    fc.constant(null).map(cyclic),
    fc.constantFrom({ n: Number.NaN }, { n: Infinity }, { f: () => 1 }, { b: 1n }, { u: undefined }, { big: 'x'.repeat(20_000) }, [], 'text', null, 5),
  ),
};

const embedding: Field = {
  valid: fc.oneof(
    fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { minLength: 100, maxLength: 100 }),
    fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { minLength: 100, maxLength: 100 }).map((v) => Float32Array.from(v)),
    fc.constant(null).map(() => new Array<number>(100).fill(0)),
  ),
  invalid: fc.oneof(
    fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { maxLength: 99 }),
    fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { minLength: 101, maxLength: 120 }),
    fc.constantFrom(Number.NaN, Infinity, 1e39, -1e300).map((x) => new Array<number>(100).fill(0.1).map((v, i) => (i === 7 ? x : v))),
    fc.constant(null).map(() => new Float32Array(100).fill(Number.NaN)),
    notString.filter((v) => !Array.isArray(v)),
  ),
};

function memoryFields(json: boolean): Record<string, Field> {
  return {
    content,
    namespace,
    type: enumField(MEMORY_TYPES),
    importance: numberField(0, 1),
    valence: numberField(-1, 1),
    domain,
    occurredAt: timeField(json),
    session,
    source: textField(256, { stored: true }),
    metadata,
    pinned: booleanField(),
    entities: arrayField(textField(200, { min: 1, stored: true, trimmed: true }), 64),
    ...(json ? {} : { embedding }),
  };
}

const recallOptionFields = (json: boolean): Record<string, Field> => ({
  namespace,
  k: numberField(1, 200, { int: true }),
  session,
  types: arrayField(enumField(MEMORY_TYPES), Infinity),
  domain,
  hubDomain: domain,
  minScore: numberField(0, Number.MAX_VALUE),
  candidates: numberField(1, 1000, { int: true }),
  recordAccess: booleanField(),
  outcome: numberField(-1, 1),
  regulate: booleanField(),
  ...(json ? {} : { now: timeField() }),
});

const query: Field = {
  valid: anyText.map((s) => clipText(s.trim(), MAX_QUERY_CHARS)).filter((s) => s.length > 0),
  invalid: fc.oneof(fc.constantFrom('', '  \n\t'), fc.constant('q'.repeat(MAX_QUERY_CHARS + 1)), notString),
  required: true,
};

const signalFields = (json: boolean): Record<string, Field> => ({
  source: enumField(SIGNAL_SOURCES, true),
  domain,
  valence: numberField(-1, 1, { required: true }),
  arousal: numberField(0, 1),
  time: timeField(json),
  context: {
    valid: fc.dictionary(fc.string({ maxLength: 64 }).filter((k) => k !== '__proto__'), fc.oneof(fc.string({ maxLength: 512 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null)), { maxKeys: 4 }).filter((c) => JSON.stringify(c).length <= 2048),
    invalid: fc.constantFrom({ k: { nested: 1 } }, { k: Number.NaN }, { k: 'x'.repeat(513) }, { ['k'.repeat(65)]: 1 }, { k: [] }, 'text', 5),
  },
});

const metricFields: Record<string, Field> = {
  metric: patternField(METRIC_RE, fc.stringMatching(METRIC_RE), { required: true }),
  value: numberField(-Number.MAX_VALUE, Number.MAX_VALUE, { required: true }),
  domain,
  higherIsWorse: booleanField(),
  time: timeField(),
};

const feedbackFields = (json: boolean): Record<string, Field> => ({
  domain,
  strategy: textField(128, { min: 1 }),
  ...(json
    ? { outcome: { valid: fc.oneof(fc.boolean(), fc.double({ min: -1, max: 1, noNaN: true })), invalid: fc.constantFrom(Number.NaN, 2, -1.5, 'yes', null), required: true } }
    : { success: { valid: fc.oneof(fc.boolean(), fc.double({ min: 0, max: 1, noNaN: true })), invalid: fc.constantFrom(Number.NaN, 2, -0.5, 'yes', null), required: true } }),
  memoryIds: arrayField(memoryId, 50, json ? { min: 1 } : {}),
  situation: textField(8192, { min: 1 }),
  namespace,
});

const inboundFields: Record<string, Field> = {
  namespace,
  sessionId: { ...session, required: true },
  userText: textField(MAX_CONTENT_CHARS, { required: true }),
  history: arrayField(objectField({ role: enumField(['user', 'assistant', 'system', 'tool'], true), content: textField(MAX_CONTENT_CHARS, { required: true }) }), 1000),
  domain,
  k: numberField(1, 50, { int: true }),
  budgetChars: numberField(200, 200_000, { int: true }),
};

const outboundFields: Record<string, Field> = {
  namespace,
  sessionId: { ...session, required: true },
  userText: textField(MAX_CONTENT_CHARS, { required: true }),
  assistantText: textField(MAX_CONTENT_CHARS, { required: true }),
  outcome: { valid: fc.oneof(fc.boolean(), fc.constantFrom('success', 'failure'), fc.double({ min: -1, max: 1, noNaN: true })), invalid: fc.constantFrom(Number.NaN, 2, 'ok', null, []) },
  toolEvents: arrayField(
    objectField({ name: textField(128, { min: 1, required: true }), ok: booleanField(true), error: textField(4096), durationMs: numberField(0, Number.MAX_VALUE) }),
    200,
  ),
  domain,
  strategy: textField(128, { min: 1 }),
  memoryIds: arrayField({ ...memoryId, invalid: fc.oneof(fc.constant(''), notString) }, 50),
};

const triple: Field = objectField({
  subject: textField(200, { min: 1, stored: true, trimmed: true, required: true }),
  predicate: textField(100, { min: 1, stored: true, trimmed: true, required: true }),
  object: textField(200, { min: 1, stored: true, trimmed: true, required: true }),
  validFrom: timeField(true),
  confidence: numberField(0, 1),
  memoryId: { valid: fc.oneof(fc.constant(PICK), fc.uuid()), invalid: fc.oneof(fc.constant(''), notString) },
  supersede: booleanField(),
});

// ---- the harness ---------------------------------------------------------------------------------

/** `recall`: a stored text's exact-text recall missed it (ranking); `verbatim`: stored or read-back text differs. */
export type ProblemKind = 'crash' | 'unexpected' | 'verbatim' | 'recall' | 'changed';

export interface Problem {
  kind: ProblemKind;
  target: string;
  detail: string;
  input: string;
}

export interface FuzzTarget {
  name: string;
  /** Share of the soak's cases. */
  weight: number;
  arbitrary: fc.Arbitrary<Case<unknown>>;
  run(c: Case<unknown>): Promise<void>;
}

export interface FuzzHarness {
  targets: FuzzTarget[];
  problems: Problem[];
  counts: Record<string, number>;
  tally: { accepted: number; rejected: number; unrecallable: number; crowded: number };
  /** Closes the store, reopens it (cold cache) and checks every stored memory still reads back verbatim. */
  verifyPersisted(): Promise<void>;
  close(): Promise<void>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A short, printable description of an input for problem reports. */
export function describeInput(v: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));
  } catch {
    text = String(v);
  }
  return (text ?? String(v)).slice(0, 600);
}

const hash = (parts: unknown[]) => createHash('sha256').update(JSON.stringify(parts)).digest('hex');

export async function openFuzzHarness(dir: string, open: (path: string) => Promise<Insula>): Promise<FuzzHarness> {
  const path = join(dir, 'fuzz.kuzu');
  let mem = await open(path);
  const hookIncidents: string[] = [];
  // A generous timeout: on a busy machine a timed-out turn would read as a failure of insula.
  const openHooks = () => createHooks(mem, { timeoutMs: 60_000, onIncident: (err, where) => hookIncidents.push(`${where}: ${err.message}`) });
  let hooks: InsulaHooks = openHooks();
  let client = await connectMcp(mem);

  const problems: Problem[] = [];
  const counts: Record<string, number> = {};
  const tally = { accepted: 0, rejected: 0, unrecallable: 0, crowded: 0 };
  /** id → namespace and hash of what must read back: content, session, source, metadata. */
  const expected = new Map<string, { namespace: string; hash: string }>();
  /** Recently stored ids, for calls that name a stored memory. */
  const pool: string[] = [];
  const sentinels = new Map<string, string[]>();
  let picks = 0;
  let failuresSeen = 0;

  for (const ns of NAMESPACES) {
    const stored = await mem.rememberMany(
      ['Sentinel: the backup runs at midnight.', "Sentinel: Ana's coffee order is a flat white.", 'Sentinel: deploy freeze on Friday.'].map((c) => ({ content: c, namespace: ns, session: 'sentinel', entities: ['sentinel'] })),
    );
    sentinels.set(ns, stored.map((s) => s.id));
    await mem.reinforce({ namespace: ns, ids: stored.map((s) => s.id), outcome: 1 });
  }
  await mem.flush();

  const problem = (kind: ProblemKind, target: string, detail: string, input: unknown) => problems.push({ kind, target, detail: detail.slice(0, 800), input: describeInput(input) });

  /**
   * Replaces PICK placeholders (top-level ids, id arrays, triples' memoryId) with ids stored
   * earlier, from any namespace, so some cross. Shallow: inputs may be cyclic.
   */
  const pick = (v: unknown) => (v === PICK ? (pool.length > 0 ? pool[picks++ % pool.length]! : 'no-id-yet') : v);
  const resolveIds = (input: unknown): unknown => {
    if (!isObject(input)) return input;
    // Spread copies an own `__proto__` key as a key, like JSON.parse made it.
    const out = { ...input };
    for (const [key, v] of Object.entries(input)) {
      if (Array.isArray(v)) out[key] = v.map((x) => (isObject(x) && x.memoryId === PICK ? { ...x, memoryId: pick(PICK) } : pick(x)));
      else if (v === PICK) out[key] = pick(v);
    }
    return out;
  };

  /** Counts, hub state and sentinel records of the fingerprinted namespaces, after queued work. */
  const fingerprint = async (): Promise<string> => {
    await mem.flush();
    await hooks.flush();
    const parts: unknown[] = [];
    for (const ns of [...NAMESPACES, ...SCRATCH]) {
      const ids = sentinels.get(ns) ?? [];
      parts.push(ns, await mem.store.countMemories(ns), await mem.state(ns), await mem.store.getMemories(ns, ids), await mem.store.links(ns, ids));
    }
    return hash(parts);
  };

  const forgetExpected = (namespace: string | null, id?: string) => {
    for (const [key, e] of expected) if ((namespace === null || e.namespace === namespace) && (id === undefined || key === id)) expected.delete(key);
  };

  /** The record must read back as given, and recall with its exact text must find it (when an index can). */
  const verifyStored = async (target: string, id: string, input: Record<string, unknown>): Promise<void> => {
    const ns = (input.namespace as string | undefined) ?? 'default';
    const m = await mem.get(id, ns);
    const want = { content: input.content, session: input.session ?? null, source: input.source ?? null, metadata: JSON.stringify(input.metadata ?? null) };
    const got = m && { content: m.content, session: m.session, source: m.source, metadata: JSON.stringify(m.metadata ?? null) };
    if (!got || got.content !== want.content || got.session !== want.session || got.source !== want.source || got.metadata !== want.metadata) {
      problem('verbatim', target, `read back ${describeInput(got)}`, input);
      return;
    }
    expected.set(id, { namespace: ns, hash: hash([want.content, want.session, want.source, want.metadata]) });
    pool.push(id);
    if (pool.length > 500) pool.splice(0, pool.length - 500);
    // A caller's own embedding says nothing about the text: only the embedder's is a promise.
    if (input.embedding !== undefined) return;
    const q = clipText((input.content as string).trim(), MAX_QUERY_CHARS);
    const [vector] = await mem.embedder.embed([q]);
    const results = await mem.recall(q, { namespace: ns, k: 10, recordAccess: false, regulate: false });
    if (results.some((r) => r.id === id || r.content === input.content)) return;
    // Text with no word the embedder knows has a zero vector; the full-text index may still miss it
    // (Kùzu tokenises differently from the query side), so only a non-zero vector is a promise.
    if (!vector!.some((x) => x !== 0)) tally.unrecallable++;
    // A bag-of-words embedder gives every text with the same known words the same vector: a full
    // top k of such twins is a tie the ranking may break either way, not a miss.
    else if (results.length === 10 && results.every((r) => r.explanation.cosine > 0.999)) tally.crowded++;
    else {
      // Where it ranked, and why, for the report: a candidate below the top 10, or none at all.
      const wide = await mem.recall(q, { namespace: ns, k: 200, recordAccess: false, regulate: false });
      const at = wide.findIndex((r) => r.id === id);
      const why = (r: RecallResult) => `score ${r.score.toFixed(3)} (cosine ${r.explanation.cosine.toFixed(3)}, bm25 ${r.explanation.bm25Normalised.toFixed(3)}, ×${r.explanation.multipliers.total.toFixed(2)}, ${r.sources.join('+')})`;
      problem('recall', target, `recall with the exact text did not find ${id}: ${at < 0 ? 'not a candidate' : `rank ${at + 1}, ${why(wide[at]!)}`}; last of ${results.length}: ${results.length > 0 ? why(results[results.length - 1]!) : 'none'}`, input);
    }
  };

  const checkResults = (target: string, ns: string, results: readonly RecallResult[], input: unknown) => {
    for (const r of results) {
      const s = r.score;
      if (r.memory.namespace !== ns) problem('unexpected', target, `result ${r.id} from namespace ${r.memory.namespace}`, input);
      else if (!Number.isFinite(s) || s < 0 || s > 1.5 + 1e-9) problem('unexpected', target, `score ${s} outside [0, 1.5]`, input);
    }
  };

  /** Runs a core call and classifies the outcome. */
  const core = async <R>(target: string, c: Case<unknown>, call: () => Promise<R>, accepted?: (result: R) => Promise<void>): Promise<void> => {
    const before = c.bad === null ? null : await fingerprint();
    let result: R;
    try {
      result = await call();
    } catch (err) {
      if (!(err instanceof InsulaValidationError)) return void problem('crash', target, err instanceof Error ? (err.stack ?? err.message) : String(err), c.input);
      if (c.bad === null) return void problem('unexpected', target, `rejected valid input: ${err.message}`, c.input);
      if (c.bad !== CHAOS && !err.message.includes(c.bad)) return void problem('unexpected', target, `error does not name ${c.bad}: ${err.message}`, c.input);
      tally.rejected++;
      if ((await fingerprint()) !== before) problem('changed', target, `rejected (${err.message}) but the store changed`, c.input);
      return;
    }
    if (c.bad !== null && c.bad !== CHAOS) return void problem('unexpected', target, `accepted although ${c.bad} is invalid`, c.input);
    tally.accepted++;
    if (c.bad === null) await accepted?.(result);
  };

  /** Background failures (Insula's queue, the hooks' queue) are unexpected errors too. */
  const drainBackground = (target: string, input: unknown) => {
    const status = mem.backgroundStatus;
    if (status.failures > failuresSeen) {
      failuresSeen = status.failures;
      problem('unexpected', target, `background failure: ${status.lastError}`, input);
    }
    for (const e of hookIncidents.splice(0)) problem('unexpected', target, `hook incident: ${e}`, input);
  };

  const mcp = async (target: string, tool: string, c: Case<unknown>, accepted?: (out: Record<string, unknown>, args: Record<string, unknown>) => Promise<void>): Promise<void> => {
    const args = resolveIds(c.input);
    const before = c.bad === null ? null : await fingerprint();
    let r: Awaited<ReturnType<Client['callTool']>>;
    try {
      r = await client.callTool({ name: tool, arguments: args as Record<string, unknown> });
    } catch (err) {
      // The protocol's own request schema refuses arguments that are not a plain record (not an
      // object, or one whose own `constructor` is a function, which only an in-memory transport can carry), naming them.
      const message = err instanceof Error ? err.message : String(err);
      if (c.bad !== null && /"arguments"/.test(message)) {
        tally.rejected++;
        return;
      }
      return void problem('crash', target, message, c.input);
    }
    const text = (r.content as Array<{ text?: string }>).map((x) => x.text ?? '').join('\n');
    if (r.isError) {
      if (c.bad === null) return void problem('unexpected', target, `isError on valid input: ${text}`, c.input);
      // createMcpServer caps the elements of `arguments` before validation walks them.
      const tooBig = /more than the maximum of \d+ elements/.test(text);
      if (c.bad !== CHAOS && !tooBig && !text.includes(c.bad)) return void problem('unexpected', target, `error does not name ${c.bad}: ${text}`, c.input);
      if (!/validation|invalid|Unrecognized/i.test(text)) return void problem('crash', target, `tool failed: ${text}`, c.input);
      tally.rejected++;
      if ((await fingerprint()) !== before) problem('changed', target, `rejected (${text.slice(0, 200)}) but the store changed`, c.input);
      return;
    }
    if (c.bad !== null && c.bad !== CHAOS) return void problem('unexpected', target, `accepted although ${c.bad} is invalid`, c.input);
    tally.accepted++;
    if (!isObject(r.structuredContent)) return void problem('unexpected', target, 'no structured content', c.input);
    await accepted?.(r.structuredContent, args as Record<string, unknown>);
  };

  const target = (name: string, weight: number, arbitrary: fc.Arbitrary<Case<unknown>>, run: (c: Case<unknown>) => Promise<void>): FuzzTarget => ({
    name,
    weight,
    arbitrary,
    async run(c) {
      counts[name] = (counts[name] ?? 0) + 1;
      await run(c);
      drainBackground(name, c.input);
    },
  });

  const memoryCases = casesOf(memoryFields(false));
  const splitQuery = (input: unknown) => {
    const { query: q, ...options } = isObject(input) ? input : { query: input };
    return { q, options };
  };
  /** Destructive calls must not touch the fingerprinted data: chaos objects are pointed at scratch namespaces. */
  // The SDK parses `arguments` as a record before the tool's schema sees it, which drops a top-level
  // `__proto__` key (nested ones reach the schema and are rejected): no expectation to check there.
  const mcpCases = (fields: Record<string, Field>) => casesOf(fields, { protoKey: false });
  const toScratch = (arb: fc.Arbitrary<Case>) => arb.map((c) => (c.bad === CHAOS && isObject(c.input) ? { ...c, input: { ...c.input, namespace: SCRATCH[0] } } : c));

  const targets: FuzzTarget[] = [
    target('remember', 12, memoryCases, (c) =>
      core('remember', c, () => mem.remember(resolveIds(c.input) as never), (r) => verifyStored('remember', r.id, c.input as Record<string, unknown>)),
    ),
    target(
      'rememberMany',
      5,
      fc.oneof(
        fc.tuple(fc.array(memoryCases.filter((m) => m.bad === null), { maxLength: 4 }), fc.option(timeField().valid, { nil: undefined })).map(([items, now]) => ({ input: { items: items.map((i) => i.input), now }, bad: null })),
        fc
          .tuple(fc.array(memoryCases.filter((m) => m.bad === null), { maxLength: 3 }), memoryCases.filter((m) => m.bad !== null && m.bad !== CHAOS), fc.nat(3))
          .map(([items, bad, at]) => {
            const list = items.map((i) => i.input);
            list.splice(Math.min(at, list.length), 0, bad.input);
            return { input: { items: list }, bad: bad.bad };
          }),
        fc.tuple(fc.array(memoryCases.filter((m) => m.bad === null), { maxLength: 2 }), timeField().invalid).map(([items, now]) => ({ input: { items: items.map((i) => i.input), now }, bad: 'now' })),
        junk.filter((v) => !Array.isArray(v)).map((items) => ({ input: { items }, bad: 'memories' })),
        chaosValue.map((items) => ({ input: { items }, bad: CHAOS })),
      ),
      (c) => {
        const { items, now } = c.input as { items: unknown; now?: unknown };
        return core('rememberMany', c, () => mem.rememberMany(resolveIds(items) as never, now as never), async (results) => {
          for (const [i, r] of results.entries()) await verifyStored('rememberMany', r.id, (items as Record<string, unknown>[])[i]!);
        });
      },
    ),
    ...(['recall', 'recallWithReport'] as const).map((name) =>
      target(name, 8, casesOf({ query, ...recallOptionFields(false) }), (c) => {
        const { q, options } = splitQuery(c.input);
        const ns = (isObject(options) && typeof options.namespace === 'string' ? options.namespace : 'default') as string;
        return name === 'recall'
          ? core(name, c, () => mem.recall(q as string, options as never), async (results) => checkResults(name, ns, results, c.input))
          : core(name, c, () => mem.recallWithReport(q as string, options as never), async (report) => checkResults(name, ns, report.results, c.input));
      }),
    ),
    target('forget', 5, casesOf({ id: { ...memoryId, required: true }, namespace }), (c) => {
      const { id, ...options } = (isObject(c.input) ? resolveIds(c.input) : { id: c.input }) as Record<string, unknown>;
      return core('forget', c, () => mem.forget(id as string, options as never), async (deleted) => {
        const ns = (options.namespace as string | undefined) ?? 'default';
        if (deleted) forgetExpected(ns, id as string);
        if (deleted && (await mem.get(id as string, ns)) !== null) problem('unexpected', 'forget', 'forgotten memory still readable', c.input);
      });
    }),
    target('signal', 5, casesOf({ ...signalFields(false), namespace }), (c) => {
      const { namespace: ns, ...signal } = isObject(c.input) ? c.input : { namespace: undefined };
      return core('signal', c, () => mem.signal((isObject(c.input) ? signal : c.input) as never, ns as never));
    }),
    target('metric', 5, casesOf({ ...metricFields, namespace }), (c) => {
      const { namespace: ns, ...metric } = isObject(c.input) ? c.input : { namespace: undefined };
      return core('metric', c, async () => {
        const score = await mem.metric((isObject(c.input) ? metric : c.input) as never, ns as never);
        if (!(score >= 0 && score <= 1)) throw new Error(`anomaly score ${score} outside [0, 1]`);
        return score;
      });
    }),
    target('feedback', 5, casesOf(feedbackFields(false)), (c) => core('feedback', c, () => mem.feedback(resolveIds(c.input) as never))),
    target('hooks.beforeInbound', 6, casesOf(inboundFields), async (c) => {
      const before = c.bad === null ? null : await fingerprint();
      let r: Awaited<ReturnType<InsulaHooks['beforeInbound']>>;
      try {
        r = await hooks.beforeInbound(c.input as never);
      } catch (err) {
        return void problem('crash', 'hooks.beforeInbound', `threw: ${err instanceof Error ? err.stack : String(err)}`, c.input);
      }
      // A rejection counts an incident by design; a degraded valid call is reported by the verdict.
      if (r.degraded) hookIncidents.length = 0;
      await hookVerdict('hooks.beforeInbound', c, r, before, async () => {
        for (const m of r.memories) {
          const stored = await mem.get(m.id, (c.input as { namespace?: string }).namespace ?? 'default');
          if (stored?.content !== m.content) problem('verbatim', 'hooks.beforeInbound', `memory ${m.id} content differs from the store`, c.input);
        }
      });
    }),
    target('hooks.beforeOutbound', 6, casesOf(outboundFields), async (c) => {
      const input = resolveIds(c.input) as Record<string, unknown>;
      const before = c.bad === null ? null : await fingerprint();
      let r: Awaited<ReturnType<InsulaHooks['beforeOutbound']>>;
      try {
        r = await hooks.beforeOutbound(input as never);
      } catch (err) {
        return void problem('crash', 'hooks.beforeOutbound', `threw: ${err instanceof Error ? err.stack : String(err)}`, c.input);
      }
      if (r.degraded) hookIncidents.length = 0;
      else await hooks.flush();
      await hookVerdict('hooks.beforeOutbound', c, r, before, async () => {
        if (input.outcome !== undefined) return;
        const ns = (input.namespace as string | undefined) ?? 'default';
        const turn = hooks.sessionTurn(ns, input.sessionId as string);
        const stored = turn?.exchangeId ? await mem.get(turn.exchangeId, ns) : null;
        const want = clipText(toWellFormed(`User: ${input.userText as string}\nAssistant: ${input.assistantText as string}`), MAX_CONTENT_CHARS);
        if (stored?.content !== want) problem('verbatim', 'hooks.beforeOutbound', `stored exchange ${describeInput(stored?.content)} is not the turn`, c.input);
      });
    }),
    target('mcp.store', 8, mcpCases(memoryFields(true)), (c) =>
      mcp('mcp.store', 'store', c, (out, args) => verifyStored('mcp.store', out.id as string, args)),
    ),
    target('mcp.recall', 6, mcpCases({ query, ...recallOptionFields(true) }), (c) =>
      mcp('mcp.recall', 'recall', c, async (out, args) => {
        const ns = (args.namespace as string | undefined) ?? 'default';
        for (const r of out.results as Array<{ id: string; uri: string; content: string; score: number }>) {
          if (!r.uri.startsWith(`insula://memory/${ns}/`)) problem('unexpected', 'mcp.recall', `result ${r.uri} outside ${ns}`, c.input);
          if ((await mem.get(r.id, ns))?.content !== r.content) problem('verbatim', 'mcp.recall', `content of ${r.id} differs from the store`, c.input);
        }
      }),
    ),
    target('mcp.forget', 3, mcpCases({ id: { ...memoryId, required: true }, namespace }), (c) =>
      mcp('mcp.forget', 'forget', c, async (out, args) => {
        if (out.deleted) forgetExpected((args.namespace as string | undefined) ?? 'default', args.id as string);
      }),
    ),
    target('mcp.forget_namespace', 1, toScratch(mcpCases({ namespace: scratchNamespace(true) })), (c) =>
      mcp('mcp.forget_namespace', 'forget_namespace', c, async (_out, args) => forgetExpected(args.namespace as string)),
    ),
    target('mcp.reinforce', 3, mcpCases({ ids: arrayField(memoryId, 50, { min: 1, required: true }), outcome: numberField(-1, 1, { required: true }), namespace }), (c) => mcp('mcp.reinforce', 'reinforce', c)),
    target('mcp.feedback', 3, mcpCases(feedbackFields(true)), (c) => mcp('mcp.feedback', 'feedback', c)),
    target('mcp.signal', 3, mcpCases({ ...signalFields(true), namespace }), (c) => mcp('mcp.signal', 'signal', c)),
    ...(['interoceptive_state', 'regulate', 'graph_health'] as const).map((tool) => target(`mcp.${tool}`, 1, mcpCases({ namespace }), (c) => mcp(`mcp.${tool}`, tool, c))),
    target('mcp.stats', 1, mcpCases({ namespace }), (c) => mcp('mcp.stats', 'stats', c)),
    target(
      'mcp.consolidate',
      1,
      toScratch(
        mcpCases({
          namespace: scratchNamespace(false),
          replay: numberField(0, 10_000, { int: true }),
          transferFraction: numberField(0, 1),
          downscaleFactor: numberField(0, 1),
          pruneFloor: numberField(0, 1),
          forgetFloor: numberField(0, 1),
          duplicateThreshold: numberField(0.5, 1),
        }),
      ),
      (c) => mcp('mcp.consolidate', 'consolidate', c, async (_out, args) => forgetExpected((args.namespace as string | undefined) ?? null)),
    ),
    target('mcp.add_triples', 2, mcpCases({ triples: arrayField(triple, 500, { min: 1, required: true }), namespace }), (c) =>
      mcp('mcp.add_triples', 'add_triples', c, async (out, args) => {
        const ns = (args.namespace as string | undefined) ?? 'default';
        const stored = new Map((await mem.triples({}, ns)).map((t) => [t.id, t]));
        for (const [i, t] of (out.triples as Array<{ id: string }>).entries()) {
          const given = (args.triples as Array<{ subject: string; predicate: string; object: string }>)[i]!;
          const back = stored.get(t.id);
          // Entity names are matched case-insensitively (the first spelling is kept); predicates exactly.
          if (!back || back.predicate !== given.predicate.trim() || back.subject.toLowerCase() !== given.subject.trim().toLowerCase() || back.object.toLowerCase() !== given.object.trim().toLowerCase()) {
            problem('verbatim', 'mcp.add_triples', `triple ${t.id} read back as ${describeInput(back)}`, c.input);
          }
        }
      }),
    ),
  ];

  async function hookVerdict(name: string, c: Case<unknown>, r: { degraded: boolean; error: string | null }, before: string | null, accepted: () => Promise<void>): Promise<void> {
    if (r.degraded) {
      if (c.bad === null) return void problem('unexpected', name, `degraded on valid input: ${r.error}`, c.input);
      if (c.bad !== CHAOS && !r.error?.includes(c.bad)) return void problem('unexpected', name, `error does not name ${c.bad}: ${r.error}`, c.input);
      tally.rejected++;
      if ((await fingerprint()) !== before) problem('changed', name, `rejected (${r.error}) but the store changed`, c.input);
      return;
    }
    if (c.bad !== null && c.bad !== CHAOS) return void problem('unexpected', name, `accepted although ${c.bad} is invalid`, c.input);
    tally.accepted++;
    if (c.bad === null) await accepted();
  }

  return {
    targets,
    problems,
    counts,
    tally,
    async verifyPersisted() {
      await client.close();
      await hooks.close();
      await mem.close();
      mem = await open(path);
      hooks = openHooks();
      client = await connectMcp(mem);
      failuresSeen = 0;
      for (const [id, e] of expected) {
        const m = await mem.get(id, e.namespace);
        const got = m && hash([m.content, m.session, m.source, JSON.stringify(m.metadata ?? null)]);
        if (got !== e.hash) problems.push({ kind: 'verbatim', target: 'reopen', detail: `memory ${id} in ${e.namespace} ${m ? 'differs after reopening' : 'is gone after reopening'}`, input: id });
      }
    },
    async close() {
      await client.close();
      await hooks.close();
      await mem.close();
    },
  };
}

async function connectMcp(mem: Insula): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await createMcpServer(mem).connect(serverSide);
  const client = new Client({ name: 'fuzz', version: '0' });
  await client.connect(clientSide);
  return client;
}

// ---- the CLI, in child processes -----------------------------------------------------------------

export interface CliCase {
  args: string[];
  /** Lines of a JSONL file for `import` (its path goes where FILE is in args). */
  lines?: string[];
  bad: string | null;
}

const FILE = '\u0000file';
/** argv cannot carry NUL, and a lone surrogate would reach the child as U+FFFD. */
const argText = (max: number) => storedText(max).filter((s) => !s.includes('\u0000'));

export const cliCases: fc.Arbitrary<CliCase> = (() => {
  const ns = fc.constantFrom('cli-a', 'cli-b');
  const badNs = argText(40).filter((s) => !NAMESPACE_RE.test(s) && !s.startsWith('-'));
  const fields = memoryFields(true);
  // Lines without a namespace land in --namespace, which the check exports.
  const lines = casesOf(fields, { chaos: false })
    .map((c) => (c.bad === 'namespace' ? c : { ...c, input: Object.fromEntries(Object.entries(c.input).filter(([k]) => k !== 'namespace')) }))
    .map((c) => ({ line: jsonLine(c, fields), bad: c.bad }))
    .filter((l): l is { line: string; bad: string | null } => l.line !== null);
  const valid = lines.filter((l) => l.bad === null).map((l) => l.line);
  const notOption = (s: string) => !s.startsWith('-');
  return fc.oneof(
    fc.tuple(ns, fc.array(valid, { minLength: 1, maxLength: 4 })).map(([n, ls]) => ({ args: ['import', FILE, '--namespace', n], lines: ls, bad: null })),
    fc
      .tuple(ns, fc.array(valid, { maxLength: 2 }), lines.filter((l) => l.bad !== null), fc.boolean())
      .map(([n, ls, bad, garbage]) => ({ args: ['import', FILE, '--namespace', n], lines: [...ls, garbage ? '{"content": "unterminated' : bad.line], bad: garbage ? 'not valid JSON' : bad.bad })),
    fc.tuple(fc.constantFrom('stats', 'export', 'consolidate', 'state'), badNs).map(([cmd, n]) => ({ args: [cmd, '--namespace', n], bad: 'namespace' })),
    fc.tuple(argText(60).filter(notOption), badNs).map(([id, n]) => ({ args: ['forget', id, '--namespace', n], bad: 'namespace' })),
    argText(20)
      .filter((b) => notOption(b) && !/^\s*\d+\s*$/.test(b))
      .map((b) => ({ args: ['import', FILE, '--batch', b], lines: ['{"content": "x"}'], bad: 'batch' })),
    // Never an option (it could point --path into the repository) nor a command that serves or reads stdin.
    fc
      .tuple(argText(30).filter((s) => notOption(s) && !['demo', 'mcp', 'hook'].includes(s.trim())), fc.array(argText(20).filter(notOption), { maxLength: 3 }))
      .map(([cmd, rest]) => ({ args: [cmd, ...rest], bad: CHAOS })),
  );
})();

/** A case as a JSONL line, or null when JSON cannot carry its point (a bigint, a cycle, a dropped bad key). */
function jsonLine(c: Case, fields: Record<string, Field>): string | null {
  let line: string;
  try {
    line = JSON.stringify(c.input);
  } catch {
    return null;
  }
  if (typeof line !== 'string') return null;
  const parsed = JSON.parse(line) as Record<string, unknown>;
  if (c.bad !== null && !(c.bad in parsed) && !fields[c.bad]?.required) return null;
  return line;
}

/** Runs one CLI case in child processes; returns the problems found (an import is followed by an export to check it). */
export async function runCliCase(c: CliCase, dir: string): Promise<Problem[]> {
  const problems: Problem[] = [];
  const file = join(dir, 'import.jsonl');
  if (c.lines) writeFileSync(file, `${c.lines.join('\n')}\n`);
  const args = c.args.map((a) => (a === FILE ? file : a));
  const namespace = args[args.indexOf('--namespace') + 1];
  const before = c.args[0] === 'import' && namespace ? await cli(['export', '--namespace', namespace], dir) : null;
  const r = await cli(args, dir);
  const input = describeInput(c);
  const add = (kind: ProblemKind, detail: string) => problems.push({ kind, target: 'cli', detail: detail.slice(0, 800), input });
  if (r.signal || ![0, 1, 2].includes(r.code ?? -1)) add('crash', `exit ${r.code} ${r.signal ?? ''}: ${r.stderr}`);
  else if (/\n\s+at .+:\d+:\d+\)?/.test(r.stderr)) add('crash', `stack trace on stderr: ${r.stderr}`);
  else if (c.bad === null && r.code !== 0) add('unexpected', `exit ${r.code} on valid input: ${r.stderr}`);
  else if (c.bad !== null && c.bad !== CHAOS && (r.code !== 2 || !r.stderr.includes(c.bad))) add('unexpected', `exit ${r.code}, stderr does not name ${c.bad}: ${r.stderr}`);
  if (before && problems.length === 0) {
    const after = await cli(['export', '--namespace', namespace!], dir);
    const lines = (out: string) => out.split('\n').filter(Boolean);
    if (c.bad !== null) {
      if (after.stdout !== before.stdout) add('changed', 'a rejected import changed the namespace');
    } else {
      const exported = lines(after.stdout).map((l) => (JSON.parse(l) as { content: string }).content);
      const added = [...lines(after.stdout)].length - lines(before.stdout).length;
      if (added !== c.lines!.length) add('verbatim', `import of ${c.lines!.length} lines added ${added}`);
      for (const l of c.lines!) if (!exported.includes((JSON.parse(l) as { content: string }).content)) add('verbatim', `content not exported verbatim: ${l.slice(0, 200)}`);
    }
  }
  return problems;
}

function cli(args: string[], dir: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--path', join(dir, 'cli.kuzu'), '--embedder', 'glove', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

// ---- the soak ------------------------------------------------------------------------------------

export interface FuzzReport {
  seed: number;
  cases: Record<string, number>;
  total: number;
  accepted: number;
  rejected: number;
  /** Valid stored texts no index can find by their exact text (no word the embedder knows). */
  unrecallable: number;
  /** Valid stored texts whose exact-text recall filled the top 10 with same-vector twins. */
  crowded: number;
  crashes: number;
  unexpectedErrors: number;
  verbatimFailures: number;
  /** Valid stored texts their exact-text recall did not put in the top 10. */
  exactRecallMisses: number;
  changedOnReject: number;
  seconds: number;
  problems: Problem[];
}

export async function runFuzz(opts: { cases: number; seed: number; cli: number; onProgress?: (done: number) => void }): Promise<FuzzReport> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'insula-fuzz-'));
  const crashes: Problem[] = [];
  const onProcessError = (err: unknown) => crashes.push({ kind: 'crash', target: 'process', detail: err instanceof Error ? (err.stack ?? err.message) : String(err), input: '' });
  process.on('unhandledRejection', onProcessError);
  process.on('uncaughtException', onProcessError);
  try {
    const h = await openFuzzHarness(dir, async (path) => Insula.open({ path, embedder: await createGloveEmbedder({ threads: 1 }) }));
    const totalWeight = h.targets.reduce((s, t) => s + t.weight, 0);
    const inProcess = opts.cases - opts.cli;
    const BATCH = 200;
    let done = 0;
    // Interleaved batches, so every entry point runs against a store the others have filled.
    for (let round = 0; done < inProcess; round++) {
      for (const t of h.targets) {
        const n = Math.min(inProcess - done, Math.max(1, Math.round((BATCH * t.weight) / totalWeight)));
        if (n <= 0) break;
        for (const c of fc.sample(t.arbitrary, { seed: opts.seed + round * 1000 + h.targets.indexOf(t), numRuns: n })) await t.run(c);
        done += n;
        opts.onProgress?.(done);
      }
    }
    await h.verifyPersisted();
    await h.close();
    const cliProblems: Problem[] = [];
    const cliSamples = opts.cli > 0 ? fc.sample(cliCases, { seed: opts.seed, numRuns: opts.cli }) : [];
    for (const c of cliSamples) {
      cliProblems.push(...(await runCliCase(c, dir)));
      opts.onProgress?.(++done);
    }
    const problems = [...h.problems, ...cliProblems, ...crashes];
    const count = (kind: ProblemKind) => problems.filter((p) => p.kind === kind).length;
    return {
      seed: opts.seed,
      cases: { ...h.counts, cli: cliSamples.length },
      total: Object.values(h.counts).reduce((s, n) => s + n, 0) + cliSamples.length,
      accepted: h.tally.accepted,
      rejected: h.tally.rejected,
      unrecallable: h.tally.unrecallable,
      crowded: h.tally.crowded,
      crashes: count('crash'),
      unexpectedErrors: count('unexpected'),
      verbatimFailures: count('verbatim'),
      exactRecallMisses: count('recall'),
      changedOnReject: count('changed'),
      seconds: Math.round((performance.now() - started) / 100) / 10,
      problems,
    };
  } finally {
    process.off('unhandledRejection', onProcessError);
    process.off('uncaughtException', onProcessError);
    rmSync(dir, { recursive: true, force: true });
  }
}

function argValue(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name}: expected a non-negative integer`);
  return value;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const cases = argValue('cases', 10_000);
  let reported = 0;
  const report = await runFuzz({
    cases,
    seed: argValue('seed', 42),
    cli: argValue('cli', Math.min(60, Math.ceil(cases / 1000))),
    onProgress: (done) => {
      if (done - reported < 5000) return;
      reported = done;
      process.stderr.write(`fuzz: ${done}/${cases} cases, ${Math.round(performance.now() / 1000)} s, rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB\n`);
    },
  });
  // The first few of each kind, so one frequent kind does not hide a rare one.
  const shown = (['crash', 'unexpected', 'verbatim', 'changed', 'recall'] as const).flatMap((kind) => report.problems.filter((p) => p.kind === kind).slice(0, 10));
  for (const p of shown) console.log(JSON.stringify(p));
  const { problems, ...summary } = report;
  console.log(JSON.stringify({ ...summary, problemsShown: shown.length }));
  process.exitCode = problems.length > 0 ? 1 : 0;
}
