/**
 * Efficacy scenario 3: low-confidence recall on the LoCoMo dev questions (protocol:
 * ../shared/data/README.md; every turn is one memory, one namespace per conversation, questions of
 * categories 1-4 with evidence are queries).
 *  - with hub: `recallWithReport`; when the hub judges the first pass's confidence low against the
 *    domain's adaptive baseline, it applies its retrieval adjustment (a second pass with episode
 *    support, docs/hub.md);
 *  - without hub: the same instance and question with `regulate: false` (no somatic multipliers, no
 *    confidence check, no adjustment).
 * The baseline depends on the order questions arrive in, so a seed shuffles that order and starts
 * from a fresh hub state (a copy of a database ingested once with `hub: false`, so no hub state is
 * stored in it). Metric: evidence recall@10 over all questions and over the low-confidence ones
 * (those where the with-hub arm applied an adjustment), for both arms.
 *
 * Unlike bench/locomo.ts, which asks each conversation's questions right after ingesting it (so
 * conv-26 is asked with only itself in the store), every question here is asked with all five
 * conversations in the store, one namespace each; recall@10 is lower than bench:locomo's for that.
 */
import { cpSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Insula } from '../../src/index.js';
import { seededRandom } from '../../src/random.js';
import { ASKED_AT, ingestConversation, readLocomo, type LocomoQuestion } from '../locomo-data.js';

/** The conversations ingested once; each seed opens a copy. */
export interface LowConfidenceCorpus {
  questions: LocomoQuestion[];
  /** memory id → dialogue turn id. */
  idToDia: Map<string, string>;
  /** namespace → its memory ids. */
  ids: Map<string, string[]>;
  embedder: 'use-lite' | 'glove';
  /** Folder holding the closed, ingested database. */
  dir: string;
  ingestSeconds: number;
  dispose(): void;
}

export interface LowConfidenceResult {
  questions: number;
  lowConfidence: number;
  recall10WithHub: number;
  recall10WithoutHub: number;
  /** recall@10 on the low-confidence questions (NaN when there were none). */
  lowRecall10WithHub: number;
  lowRecall10WithoutHub: number;
  seconds: number;
}

const DB_FILE = 'db.kuzu';

export async function prepareLowConfidence(dataPath: string, embedder: 'use-lite' | 'glove' = 'use-lite'): Promise<LowConfidenceCorpus> {
  const samples = readLocomo(dataPath);
  const dir = mkdtempSync(join(tmpdir(), 'insula-lowconf-'));
  const started = Date.now();
  const idToDia = new Map<string, string>();
  const ids = new Map<string, string[]>();
  const questions: LocomoQuestion[] = [];
  try {
    // hub: false, so the database holds no hub state and every seed starts from a fresh hub.
    const mem = await Insula.open({ path: join(dir, DB_FILE), embedder: { kind: embedder }, hub: false });
    try {
      for (const sample of samples) {
        const conversation = await ingestConversation(mem, sample);
        for (const [id, dia] of conversation.idToDia) idToDia.set(id, dia);
        ids.set(conversation.namespace, [...conversation.idToDia.keys()]);
        questions.push(...conversation.questions);
      }
    } finally {
      // Closing flushes the background queue and the database (Kùzu checkpoints on close).
      await mem.close();
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const wal = join(dir, `${DB_FILE}.wal`);
  if (existsSync(wal) && statSync(wal).size > 0) console.error(`low-confidence: ${wal} is not empty after close; it is copied with the database`);
  return { questions, idToDia, ids, embedder, dir, ingestSeconds: (Date.now() - started) / 1000, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

function shuffled<T>(xs: readonly T[], r: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function recallAt(k: number, ranked: readonly string[], evidence: readonly string[]): number {
  const top = new Set(ranked.slice(0, k));
  return evidence.filter((e) => top.has(e)).length / evidence.length;
}

export async function runLowConfidence(corpus: LowConfidenceCorpus, seed: number): Promise<LowConfidenceResult> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), `insula-lowconf-seed${seed}-`));
  // A per-seed copy of the closed database (the .wal too, if there is one).
  cpSync(corpus.dir, dir, { recursive: true });
  const mem = await Insula.open({ path: join(dir, DB_FILE), embedder: { kind: corpus.embedder } }).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  const sums = { withHub: 0, withoutHub: 0, lowWithHub: 0, lowWithoutHub: 0 };
  let low = 0;
  try {
    // Warm the store's cache with every record and embedding, as it is after ingesting in-process.
    // Otherwise a memory's first rescoring uses its float32 embedding from Kùzu and later ones the
    // cache's int8 copy, so scores could depend on which questions came before (the order a seed sets).
    for (const [namespace, memoryIds] of corpus.ids) {
      await mem.store.getMemories(namespace, memoryIds);
      await mem.store.getEmbeddings(namespace, memoryIds);
    }
    const dia = (ids: readonly { id: string }[]) => ids.map((r) => corpus.idToDia.get(r.id) ?? '?');
    for (const q of shuffled(corpus.questions, seededRandom(seed))) {
      const report = await mem.recallWithReport(q.question, { namespace: q.namespace, k: 20, recordAccess: false, now: ASKED_AT });
      const plain = await mem.recall(q.question, { namespace: q.namespace, k: 20, recordAccess: false, regulate: false, now: ASKED_AT });
      const withHub = recallAt(10, dia(report.results), q.evidence);
      const withoutHub = recallAt(10, dia(plain), q.evidence);
      sums.withHub += withHub;
      sums.withoutHub += withoutHub;
      if (report.adjustment) {
        low++;
        sums.lowWithHub += withHub;
        sums.lowWithoutHub += withoutHub;
      }
    }
  } finally {
    await mem.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const n = corpus.questions.length;
  return {
    questions: n,
    lowConfidence: low,
    recall10WithHub: sums.withHub / n,
    recall10WithoutHub: sums.withoutHub / n,
    lowRecall10WithHub: low > 0 ? sums.lowWithHub / low : Number.NaN,
    lowRecall10WithoutHub: low > 0 ? sums.lowWithoutHub / low : Number.NaN,
    seconds: (Date.now() - started) / 1000,
  };
}
