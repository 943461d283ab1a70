/**
 * LoCoMo retrieval benchmark (protocol: ../shared/data/README.md) through the public API.
 * Every turn is one memory, one namespace per conversation; questions of categories 1-4 with
 * evidence are queries; metric: evidence recall@k and hit@k. Prints one JSON line last.
 *
 *   npm run bench:locomo -- --data ../shared/data/locomo/locomo-dev.json
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { Command } from 'commander';
import { z } from 'zod';
import { Insula, type InsulaOptions } from '../src/index.js';

const Turn = z.object({ speaker: z.string(), dia_id: z.string(), text: z.string(), blip_caption: z.string().optional() });
const Sample = z.object({
  sample_id: z.string(),
  conversation: z.record(z.string(), z.unknown()),
  qa: z.array(z.object({ question: z.string(), evidence: z.array(z.string()).optional(), category: z.number() }).loose()),
});

const program = new Command()
  .requiredOption('--data <path>', 'LoCoMo JSON file')
  .option('--embedder <kind>', 'use-lite | glove', 'use-lite')
  .option('--dump <path>', 'write per-question results as JSON')
  .option('--ablate <part>', 'switch one part off: contiguity | seeds | vector | text | hub')
  .parse();
const args = program.opts<{ data: string; embedder: 'use-lite' | 'glove'; dump?: string; ablate?: string }>();

/** Ablations show what each part of the pipeline contributes. */
const ABLATIONS: Record<string, InsulaOptions> = {
  contiguity: { contiguity: { maxBoost: 1 } },
  seeds: { recallSeeds: 0 },
  vector: { scoring: { vectorWeight: 0 } },
  text: { scoring: { vectorWeight: 1 } },
  hub: { hub: false },
};
if (args.ablate && !ABLATIONS[args.ablate]) throw new Error(`--ablate: one of ${Object.keys(ABLATIONS).join(', ')}`);

const KS = [1, 5, 10, 20] as const;

/**
 * Fixed clock, as in bench/efficacy/low-confidence.ts: every turn is stored at one instant and every
 * question asked an hour later, so the ACT-R and forgetting-curve factors are the same for all
 * memories and the figures do not depend on how long ingestion and the earlier questions took.
 */
const STORED_AT = Date.UTC(2026, 0, 1);
const ASKED_AT = STORED_AT + 3_600_000;

/** "1:56 pm on 8 May, 2023" → epoch ms. */
function parseSessionDate(text: string): number {
  const m = /(\d{1,2}):(\d{2})\s*(am|pm)\s+on\s+(\d{1,2})\s+(\w+),?\s+(\d{4})/i.exec(text);
  if (!m) throw new Error(`unparsed session date: ${text}`);
  const [, hh, mm, ampm, day, month, year] = m;
  const hour = (Number(hh) % 12) + (ampm!.toLowerCase() === 'pm' ? 12 : 0);
  return Date.parse(`${day} ${month} ${year} ${String(hour).padStart(2, '0')}:${mm}:00 UTC`);
}

function evidenceIds(raw: readonly string[], valid: ReadonlySet<string>): string[] {
  return [...new Set(raw.flatMap((e) => e.split(/[;\s]+/)).filter((e) => valid.has(e)))];
}

const samples = z.array(Sample).parse(JSON.parse(readFileSync(args.data, 'utf8')));
const dir = mkdtempSync(join(tmpdir(), 'insula-locomo-'));
const mem = await Insula.open({ path: join(dir, 'db.kuzu'), embedder: { kind: args.embedder }, ...(args.ablate ? ABLATIONS[args.ablate] : {}) });

const sums = { recall: KS.map(() => 0), hit: KS.map(() => 0) };
let questions = 0;
/** recall@10 per conversation: the same code and parameters must hold on every one. */
const perConversation: Record<string, number> = {};
const dump: unknown[] = [];
const lowConfidence = { count: 0, adjusted: 0, plain: 0 };
const started = Date.now();
try {
  for (const sample of samples) {
    const ns = sample.sample_id.replace(/[^A-Za-z0-9_.:@-]/g, '_');
    const idToDia = new Map<string, string>();
    const sessions = Object.keys(sample.conversation)
      .filter((k) => /^session_\d+$/.test(k))
      .sort((a, b) => Number(a.split('_')[1]) - Number(b.split('_')[1]));
    for (const key of sessions) {
      const turns = z.array(Turn).parse(sample.conversation[key]);
      const when = parseSessionDate(String(sample.conversation[`${key}_date_time`]));
      const stored = await mem.rememberMany(
        turns.map((t) => ({
          namespace: ns,
          content: `${t.speaker}: ${t.text}${t.blip_caption ? ` [shares a photo: ${t.blip_caption}]` : ''}`,
          session: key,
          occurredAt: when,
          metadata: { diaId: t.dia_id },
        })),
        STORED_AT,
      );
      stored.forEach((s, i) => idToDia.set(s.id, turns[i]!.dia_id));
    }
    const valid = new Set(idToDia.values());
    const qas = sample.qa.filter((q) => q.category >= 1 && q.category <= 4 && evidenceIds(q.evidence ?? [], valid).length > 0);
    let conversationRecall10 = 0;
    const bar = new SingleBar({ format: `${ns} {bar} {value}/{total} questions`, stream: process.stderr }, Presets.shades_classic);
    bar.start(qas.length, 0);
    for (const qa of qas) {
      const evidence = evidenceIds(qa.evidence ?? [], valid);
      const report = await mem.recallWithReport(qa.question, { namespace: ns, k: 20, recordAccess: false, now: ASKED_AT });
      const ranked = report.results.map((r) => idToDia.get(r.id)!);
      if (report.adjustment) {
        // Efficacy scenario 3: the same question without the hub's retrieval adjustment.
        const plain = await mem.recall(qa.question, { namespace: ns, k: 20, recordAccess: false, regulate: false, now: ASKED_AT });
        const recall10 = (ids: string[]) => evidence.filter((e) => new Set(ids.slice(0, 10)).has(e)).length / evidence.length;
        lowConfidence.count++;
        lowConfidence.adjusted += recall10(ranked);
        lowConfidence.plain += recall10(plain.map((r) => idToDia.get(r.id)!));
      }
      KS.forEach((k, i) => {
        const top = new Set(ranked.slice(0, k));
        const found = evidence.filter((e) => top.has(e)).length;
        sums.recall[i]! += found / evidence.length;
        sums.hit[i]! += found > 0 ? 1 : 0;
        if (k === 10) conversationRecall10 += found / evidence.length;
      });
      if (args.dump) dump.push({ ns, question: qa.question, category: qa.category, evidence, ranked });
      questions++;
      bar.increment();
    }
    bar.stop();
    perConversation[ns] = Math.round((conversationRecall10 / qas.length) * 1000) / 1000;
  }
} finally {
  await mem.close();
  rmSync(dir, { recursive: true, force: true });
}
if (args.dump) writeFileSync(args.dump, JSON.stringify(dump));
const round = (x: number) => Math.round(x * 1000) / 1000;
const figures: Record<string, unknown> = { questions, embedder: args.embedder, ...(args.ablate ? { ablated: args.ablate } : {}) };
KS.forEach((k, i) => (figures[`recall@${k}`] = round(sums.recall[i]! / questions)));
figures['hit@5'] = round(sums.hit[1]! / questions);
figures['seconds'] = round((Date.now() - started) / 1000);
figures['recall@10_by_conversation'] = perConversation;
if (lowConfidence.count > 0) {
  figures['low_confidence_questions'] = lowConfidence.count;
  figures['low_confidence_recall@10_adjusted'] = round(lowConfidence.adjusted / lowConfidence.count);
  figures['low_confidence_recall@10_without_adjustment'] = round(lowConfidence.plain / lowConfidence.count);
}
console.log(JSON.stringify(figures));
