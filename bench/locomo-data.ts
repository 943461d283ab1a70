/**
 * LoCoMo as both retrieval benches read it (protocol: ../shared/data/README.md): every turn one
 * memory, one namespace per conversation, questions of categories 1-4 with evidence.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Insula } from '../src/index.js';

const Turn = z.object({ speaker: z.string(), dia_id: z.string(), text: z.string(), blip_caption: z.string().optional() });
const Sample = z.object({
  sample_id: z.string(),
  conversation: z.record(z.string(), z.unknown()),
  qa: z.array(z.object({ question: z.string(), evidence: z.array(z.string()).optional(), category: z.number() }).loose()),
});
export type LocomoSample = z.infer<typeof Sample>;

export function readLocomo(path: string): LocomoSample[] {
  return z.array(Sample).parse(JSON.parse(readFileSync(path, 'utf8')));
}

/**
 * Fixed clock: every turn is stored at one instant and every question asked an hour later, so the
 * ACT-R and forgetting-curve factors are the same for all memories and nothing depends on how long
 * ingestion and the previous questions took on the machine (with the wall clock, the seconds between
 * storing a turn and asking about it changed rankings from run to run).
 */
export const STORED_AT = Date.UTC(2026, 0, 1);
export const ASKED_AT = STORED_AT + 3_600_000;

/** "1:56 pm on 8 May, 2023" → epoch ms. */
function parseSessionDate(text: string): number {
  const m = /(\d{1,2}):(\d{2})\s*(am|pm)\s+on\s+(\d{1,2})\s+(\w+),?\s+(\d{4})/i.exec(text);
  if (!m) throw new Error(`unparsed session date: ${text}`);
  const [, hh, mm, ampm, day, month, year] = m;
  const hour = (Number(hh) % 12) + (ampm!.toLowerCase() === 'pm' ? 12 : 0);
  return Date.parse(`${day} ${month} ${year} ${String(hour).padStart(2, '0')}:${mm}:00 UTC`);
}

/** Malformed evidence ids ("D8:6; D9:17", "D:11:26", "D30:05"): split, keep the conversation's turn ids. */
function evidenceIds(raw: readonly string[], valid: ReadonlySet<string>): string[] {
  return [...new Set(raw.flatMap((e) => e.split(/[;\s]+/)).filter((e) => valid.has(e)))];
}

export interface LocomoQuestion {
  namespace: string;
  question: string;
  category: number;
  /** Dialogue turn ids holding the answer. */
  evidence: string[];
}

export interface IngestedConversation {
  namespace: string;
  /** memory id → dialogue turn id, in storage order. */
  idToDia: Map<string, string>;
  questions: LocomoQuestion[];
}

/** Stores one conversation, a session per batch, at the fixed clock. */
export async function ingestConversation(mem: Insula, sample: LocomoSample): Promise<IngestedConversation> {
  const namespace = sample.sample_id.replace(/[^A-Za-z0-9_.:@-]/g, '_');
  const idToDia = new Map<string, string>();
  const sessions = Object.keys(sample.conversation)
    .filter((k) => /^session_\d+$/.test(k))
    .sort((a, b) => Number(a.split('_')[1]) - Number(b.split('_')[1]));
  for (const key of sessions) {
    const turns = z.array(Turn).parse(sample.conversation[key]);
    const when = parseSessionDate(String(sample.conversation[`${key}_date_time`]));
    const stored = await mem.rememberMany(
      turns.map((t) => ({
        namespace,
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
  const questions: LocomoQuestion[] = [];
  for (const qa of sample.qa) {
    const evidence = evidenceIds(qa.evidence ?? [], valid);
    if (qa.category >= 1 && qa.category <= 4 && evidence.length > 0) questions.push({ namespace, question: qa.question, category: qa.category, evidence });
  }
  return { namespace, idToDia, questions };
}
