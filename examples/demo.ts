/**
 * `npm run demo`: a scripted three-session conversation stored in a temporary embedded store
 * with the default offline embedder, recalled with score explanations, then consolidated.
 * No network, no API key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import { Insula, type RecallResult } from '../src/index.js';

const DAY = 86_400_000;
const start = Date.parse('2026-03-02T09:00:00Z');

const sessions: Array<{ day: number; turns: Array<[speaker: string, text: string, importance?: number, valence?: number]> }> = [
  {
    day: 0,
    turns: [
      ['user', 'I am training for the Lisbon half marathon in May.', 0.8, 0.5],
      ['agent', 'Great goal. How many days a week can you run?'],
      ['user', 'Four days, but my left knee hurts after long runs.', 0.7, -0.4],
      ['agent', 'Then keep long runs under 15 km for now and add strength work for the knee.'],
    ],
  },
  {
    day: 9,
    turns: [
      ['user', 'The physio said the knee pain comes from weak hip muscles.', 0.8, -0.2],
      ['agent', 'Clamshells and side planks three times a week should help the hips.'],
      ['user', 'I prefer running in the early morning before work.', 0.5, 0.3],
      ['user', 'My sister Ana will run the race with me.', 0.6, 0.7],
    ],
  },
  {
    day: 30,
    turns: [
      ['user', 'I ran 18 km on Sunday and the knee felt fine!', 0.7, 0.9],
      ['agent', 'The hip work is paying off. Next step: a 20 km long run.'],
      ['user', 'I bought new shoes with more cushioning.', 0.4, 0.4],
    ],
  },
];

function explain(r: RecallResult): string {
  const e = r.explanation;
  const m = e.multipliers;
  const f = (x: number) => x.toFixed(2);
  return (
    `  ${f(r.score)}  ${r.content}\n` +
    `        relevance ${f(e.relevance)} (cosine ${f(e.cosine)}, bm25 ${f(e.bm25Normalised)})` +
    ` × activation ${f(m.activation)} × retention ${f(m.retention)} × association ${f(m.spread)}` +
    ` × contiguity ${f(m.contiguity)} × importance ${f(m.importance)} × wm ${f(m.workingMemory)}` +
    `  [${r.sources.join(', ')}]`
  );
}

const dir = mkdtempSync(join(tmpdir(), 'insula-demo-'));
const mem = await Insula.open({ path: join(dir, 'memory.kuzu') });
try {
  console.log(`insula demo — store ${dir}, embedder ${mem.embedder.name}\n`);
  for (const [i, s] of sessions.entries()) {
    const at = start + s.day * DAY;
    await mem.rememberMany(
      s.turns.map(([speaker, text, importance, valence]) => ({
        content: `${speaker}: ${text}`,
        session: `session-${i + 1}`,
        occurredAt: at,
        domain: 'running',
        ...(importance === undefined ? {} : { importance }),
        ...(valence === undefined ? {} : { valence }),
      })),
      at,
    );
    console.log(`stored session ${i + 1} (${s.turns.length} turns, day ${s.day})`);
  }
  await mem.addTriples([
    { subject: 'user', predicate: 'trains_for', object: 'Lisbon half marathon' },
    { subject: 'Ana', predicate: 'sister_of', object: 'user' },
    { subject: 'knee pain', predicate: 'caused_by', object: 'weak hip muscles' },
  ]);

  const now = start + 31 * DAY;
  for (const query of ['why does my knee hurt?', 'who is running the race with me?', 'when do I like to train?']) {
    console.log(`\nrecall: "${query}"`);
    const results = await mem.recall(query, { k: 3, now, session: 'session-4' });
    for (const r of results) console.log(explain(r));
  }
  await mem.flush();

  console.log('\nconsolidation ("sleep")');
  const bar = new SingleBar({ format: '  {phase} {bar} {value}/{total}', stream: process.stdout }, Presets.shades_classic);
  bar.start(1, 0, { phase: 'scan' });
  const [report] = await mem.consolidate({
    now: now + DAY,
    onProgress: (p) => {
      bar.setTotal(Math.max(1, p.total));
      bar.update(p.done, { phase: p.phase.padEnd(7) });
    },
  });
  bar.stop();
  console.log(
    `  scanned ${report!.scanned}, replayed ${report!.replayed}, links kept ${report!.linksDownscaled}, ` +
      `pruned ${report!.linksPruned}, forgotten ${report!.forgotten}, merged ${report!.merged}`,
  );
  const health = await mem.graphHealth();
  console.log(`  knowledge graph: ${health.entities} entities, ${health.triples} triples, ${health.components} components`);
} finally {
  await mem.close();
  rmSync(dir, { recursive: true, force: true });
}
