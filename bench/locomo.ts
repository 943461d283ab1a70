/**
 * LoCoMo retrieval benchmark (protocol: ../shared/data/README.md) through the public API.
 * Every turn is one memory, one namespace per conversation; questions of categories 1-4 with
 * evidence are queries; metric: evidence recall@k and hit@k. Prints one JSON line last.
 *
 *   npm run bench:locomo -- --data ../shared/data/locomo/locomo-dev.json
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { Command } from 'commander';
import { Insula, type InsulaOptions } from '../src/index.js';
import { ASKED_AT, ingestConversation, readLocomo } from './locomo-data.js';

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

const samples = readLocomo(args.data);
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
    const { namespace: ns, idToDia, questions: qas } = await ingestConversation(mem, sample);
    let conversationRecall10 = 0;
    const bar = new SingleBar({ format: `${ns} {bar} {value}/{total} questions`, stream: process.stderr }, Presets.shades_classic);
    bar.start(qas.length, 0);
    for (const qa of qas) {
      const evidence = qa.evidence;
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
