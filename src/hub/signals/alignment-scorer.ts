/**
 * Alignment with the host's drives, read from a SOUL-style markdown document: every list item is a
 * drive; an item phrased as a prohibition ("avoid …", "never …", "don't …") is a negative drive.
 * A text touches a drive when it shares one of its keywords; the strength blends the keyword hits
 * and the embedding similarity. A text that touches no drive is neutral (0), not misaligned.
 */
import { dot } from '../../memory/scoring.js';

export interface Drive {
  text: string;
  /** +1 for something to pursue, −1 for something to avoid. */
  sign: 1 | -1;
  keywords: string[];
  embedding: Float32Array | null;
}

export interface AlignmentReport {
  /** −1 (against the drives) .. 1 (serves them); 0 when no drive is touched. */
  alignment: number;
  /** Drives the text touched, strongest first. */
  touched: Array<{ drive: string; sign: 1 | -1; strength: number }>;
}

const NEGATION = /^(avoid|never|don'?t|do not|no|stop|refuse|not)\b/i;
const STOPWORDS = new Set(
  'about above after again against also always because been before being below between both could does doing down during each every from further have having here into itself just more most much must only other ought over same should some such than that their them then there these they this those through under until very what when where which while whom will with would your yours yourself want wants make sure keep stay'.split(' '),
);

export function stem(word: string): string {
  return word.replace(/(ing|ed|es|s|ly)$/, '');
}

export function keywordsOf(text: string): string[] {
  const words = text.toLowerCase().match(/\p{L}[\p{L}\p{N}'-]*/gu) ?? [];
  return [...new Set(words.filter((w) => w.length >= 4 && !STOPWORDS.has(w) && !NEGATION.test(w)).map(stem))];
}

/** Parses the drives of a SOUL document (markdown list items; headings only give context). */
export function parseDrives(markdown: string): Array<Omit<Drive, 'embedding'>> {
  const drives: Array<Omit<Drive, 'embedding'>> = [];
  for (const line of markdown.split(/\r?\n/)) {
    const item = /^\s*(?:[-*+]|\d+[.)])\s+(.+)$/.exec(line)?.[1]?.replace(/[*_`]/g, '').trim();
    if (!item) continue;
    const keywords = keywordsOf(item);
    if (keywords.length > 0) drives.push({ text: item, sign: NEGATION.test(item) ? -1 : 1, keywords });
  }
  return drives;
}

export interface AlignmentParams {
  /** Cosine below which an embedding match counts for nothing (unrelated sentences sit near it). */
  similarityFloor: number;
  /** Weight of the keyword evidence against the embedding evidence. */
  keywordWeight: number;
}

export const DEFAULT_ALIGNMENT: AlignmentParams = { similarityFloor: 0.45, keywordWeight: 0.5 };

export function scoreAlignment(text: string, embedding: Float32Array | null, drives: readonly Drive[], p: AlignmentParams = DEFAULT_ALIGNMENT): AlignmentReport {
  const words = new Set(keywordsOf(text));
  const touched: AlignmentReport['touched'] = [];
  for (const d of drives) {
    const hits = d.keywords.filter((k) => words.has(k)).length;
    // A drive counts only when the text names it: embeddings grade the match, they do not create one.
    if (hits === 0) continue;
    const keyword = Math.min(1, hits / Math.min(2, d.keywords.length));
    const cosine = embedding && d.embedding ? dot(embedding, d.embedding) : 0;
    const semantic = Math.max(0, (cosine - p.similarityFloor) / (1 - p.similarityFloor));
    const strength = p.keywordWeight * keyword + (1 - p.keywordWeight) * semantic;
    if (strength > 0) touched.push({ drive: d.text, sign: d.sign, strength });
  }
  touched.sort((a, b) => b.strength - a.strength);
  if (touched.length === 0) return { alignment: 0, touched };
  // Strength-weighted mean of signed strengths: strong touches dominate faint incidental ones.
  const net = touched.reduce((s, t) => s + t.sign * t.strength ** 2, 0) / touched.reduce((s, t) => s + t.strength, 0);
  return { alignment: Math.max(-1, Math.min(1, net)), touched };
}
