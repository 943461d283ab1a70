/**
 * SentencePiece unigram tokenizer for the Universal Sentence Encoder lite vocabulary
 * (`[piece, logProbability]` pairs). It reproduces the ids of the tokenizer that ships with the
 * TF.js Universal Sentence Encoder, since those are the ids the model is used with there:
 *
 * - NFKC-normalise, prefix '▁' and turn every U+0020 space into '▁' (other whitespace is left
 *   alone, as the reference does); an empty string yields no tokens.
 * - Viterbi over code points for the highest total piece score. A position where no piece starts
 *   yields the unknown piece (id 0, score 0, one symbol); consecutive unknowns collapse into one.
 * - The reference's arithmetic quirks are kept because they change ids with this vocabulary: a
 *   `null` score counts as 0 (seven pieces containing ':' have one; ':30' even scores +30), a
 *   running total of exactly 0 counts as "nothing yet" so the next candidate replaces it, and
 *   ties go to the candidate starting later.
 *
 * Pure: no I/O, the vocabulary comes in as an array.
 */

export type Vocabulary = ReadonlyArray<readonly [piece: string, score: number | null]>;

export const SEPARATOR = '\u2581';
export const UNKNOWN_ID = 0;
/** The first ids are unk, <s>, </s> and user-defined symbols; they never match text. */
const RESERVED_IDS = 6;

interface TrieNode {
  children: Map<string, TrieNode>;
  id: number;
  score: number;
}

const newNode = (): TrieNode => ({ children: new Map(), id: -1, score: 0 });

export class UseTokenizer {
  private readonly root = newNode();
  /** Longest piece in code points: bounds how far one token can reach. */
  private readonly maxPieceLength: number;
  /** True when no piece has '▁' past its first symbol, so every '▁' is a forced token boundary. */
  private readonly separatorIsBoundary: boolean;

  constructor(vocabulary: Vocabulary) {
    let maxLength = 1;
    let straddles = false;
    for (let id = RESERVED_IDS; id < vocabulary.length; id++) {
      const [piece, score] = vocabulary[id]!;
      const symbols = Array.from(piece);
      if (symbols.length === 0) continue;
      let node = this.root;
      for (const symbol of symbols) {
        let child = node.children.get(symbol);
        if (!child) node.children.set(symbol, (child = newNode()));
        node = child;
      }
      // A duplicated piece keeps its last id and score, as inserting into the reference trie does.
      node.id = id;
      node.score = score ?? 0; // the reference adds `null` as 0
      maxLength = Math.max(maxLength, symbols.length);
      if (symbols.indexOf(SEPARATOR, 1) !== -1) straddles = true;
    }
    this.maxPieceLength = maxLength;
    this.separatorIsBoundary = !straddles;
  }

  /** Token ids of `text`; with `maxTokens`, only the first `maxTokens` are returned. */
  encode(text: string, maxTokens = Infinity): number[] {
    const normalised = text.normalize('NFKC');
    if (normalised.length === 0) return [];
    const symbols = Array.from(SEPARATOR + normalised.replaceAll(' ', SEPARATOR));
    if (!Number.isFinite(maxTokens) || !this.separatorIsBoundary) return this.viterbi(symbols).slice(0, maxTokens);
    // Very long inputs only need their head. No piece crosses a '▁', so cutting just before one
    // leaves the segmentation up to the cut unchanged; grow the cut until it holds enough tokens
    // (merged unknowns can make a token arbitrarily long). Keeps a 1 MB note as cheap as a line.
    for (let reach = maxTokens * this.maxPieceLength; ; reach *= 4) {
      const cut = reach < symbols.length ? symbols.indexOf(SEPARATOR, reach) : -1;
      const ids = this.viterbi(cut === -1 ? symbols : symbols.slice(0, cut));
      if (cut === -1 || ids.length >= maxTokens) return ids.slice(0, maxTokens);
    }
  }

  private viterbi(symbols: readonly string[]): number[] {
    const n = symbols.length;
    // best[i]: score of the best segmentation of symbols[0, i); 0 doubles as "none yet", as in the
    // reference. A position nothing reaches stays the unknown piece spanning one symbol.
    const best = new Float64Array(n + 1);
    const piece = new Int32Array(n + 1).fill(UNKNOWN_ID);
    const start = Int32Array.from({ length: n + 1 }, (_, i) => i - 1);
    const offer = (from: number, to: number, id: number, score: number) => {
      const total = score + best[from]!;
      // Offers for `to` arrive in increasing `from` order, so `>=` hands ties to the later start.
      if (best[to] === 0 || total >= best[to]!) {
        best[to] = total;
        piece[to] = id;
        start[to] = from;
      }
    };
    for (let from = 0; from < n; from++) {
      let node: TrieNode | undefined = this.root;
      let matched = false;
      for (let to = from + 1; to <= n && to - from <= this.maxPieceLength; to++) {
        node = node.children.get(symbols[to - 1]!);
        if (!node) break;
        if (node.id >= 0) {
          offer(from, to, node.id, node.score);
          matched = true;
        }
      }
      if (!matched) offer(from, from + 1, UNKNOWN_ID, 0);
    }

    const ids: number[] = [];
    for (let at = n; at > 0; at = start[at]!) {
      const id = piece[at]!;
      if (!(id === UNKNOWN_ID && ids[ids.length - 1] === UNKNOWN_ID)) ids.push(id);
    }
    return ids.reverse();
  }
}
