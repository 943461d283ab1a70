/**
 * Recall: candidates from the HNSW and full-text indexes (never a scan), widened by the session
 * neighbours and Hebbian associates of the best matches, then re-ranked with bounded cognitive
 * multipliers. Every result explains its score.
 */
import { baseLevelActivation } from './models/act-r.js';
import { retentionAt } from './models/ebbinghaus.js';
import { spread } from './models/hebbian.js';
import { contiguityBoost, type ContiguityParams } from './models/temporal-contiguity.js';
import { cosine, relevance, score, type CandidateSignals, type ScoreExplanation, type ScoringParams } from './scoring.js';
import { pairKey, type GraphStore, type LinkEdge, type StoredMemory } from './store.js';

export type CandidateSource = 'vector' | 'text' | 'contiguity' | 'association' | 'working-memory';

export interface RecallResult {
  id: string;
  content: string;
  score: number;
  memory: StoredMemory;
  sources: CandidateSource[];
  explanation: ScoreExplanation;
}

export interface RecallRequest {
  namespace: string;
  query: string;
  queryEmbedding: Promise<Float32Array>;
  k: number;
  pool: number;
  now: number;
  minScore: number;
  types?: readonly string[] | undefined;
  domain?: string | undefined;
  /** Working-memory contents for the session: id → activation 0..1. */
  workingMemory: ReadonlyMap<string, number>;
  /** Somatic-marker multipliers for this situation (from the hub), given the query embedding. */
  somatic?: ((queryVector: Float32Array) => ReadonlyMap<string, number>) | undefined;
}

export interface RecallTuning {
  scoring: ScoringParams;
  contiguity: ContiguityParams;
  /** How many top matches seed contiguity and association. */
  seeds: number;
  /** Weight of episode support (`episodeMultipliers`); 0 or absent: off. The hub sets it for a low-confidence second pass. */
  episodeSupport?: number;
}

interface Candidate {
  memory: StoredMemory;
  embedding: Float32Array | undefined;
  cosine: number;
  bm25: number;
  sources: Set<CandidateSource>;
}

export async function recallFromStore(store: GraphStore, req: RecallRequest, tuning: RecallTuning): Promise<RecallResult[]> {
  const { namespace: ns } = req;
  // Both searches start at once; Promise.all holds every rejection, so a failing store never leaves one unhandled.
  const [queryVector, vectorHits, text] = await Promise.all([
    req.queryEmbedding,
    req.queryEmbedding.then((v) => store.vectorSearch(ns, v, req.pool)),
    store.textSearch(ns, req.query, req.pool),
  ]);
  const somatic = req.somatic?.(queryVector);

  const candidates = new Map<string, Candidate>();
  const bm25 = new Map(text.map((t) => [t.id, t.score]));
  const add = async (ids: string[], source: CandidateSource) => {
    const fresh = [...new Set(ids)].filter((id) => !candidates.has(id));
    for (const id of ids) candidates.get(id)?.sources.add(source);
    if (fresh.length === 0) return;
    const [memories, embeddings] = await Promise.all([store.getMemories(ns, fresh), store.getEmbeddings(ns, fresh)]);
    for (const memory of memories) {
      const embedding = embeddings.get(memory.id);
      candidates.set(memory.id, {
        memory,
        embedding,
        cosine: embedding ? cosine(queryVector, embedding) : 0,
        bm25: bm25.get(memory.id) ?? 0,
        sources: new Set([source]),
      });
    }
  };
  await add(vectorHits.map((h) => h.id), 'vector');
  await add(text.map((h) => h.id), 'text');
  const maxBm25 = Math.max(0, ...text.map((t) => t.score));

  // Seeds: the best direct matches by relevance alone.
  const relevanceOf = (c: Candidate) => relevance(c.cosine, c.bm25, maxBm25, tuning.scoring).value;
  const seeds = [...candidates.values()]
    .map((c) => ({ id: c.memory.id, rel: relevanceOf(c) }))
    .sort((a, b) => b.rel - a.rel)
    .slice(0, tuning.seeds);
  const topRel = seeds[0]?.rel ?? 0;

  const seedIds = seeds.map((s) => s.id);
  const wmIds = [...req.workingMemory.keys()];
  const [neighbours, links] = await Promise.all([
    store.sessionNeighbours(ns, seedIds, tuning.contiguity.window),
    store.links(ns, [...new Set([...seedIds, ...wmIds])]),
  ]);

  // Temporal contiguity: a seed primes its session neighbours in proportion to its relevance.
  const contiguity = new Map<string, number>();
  const seedRel = new Map(seeds.map((s) => [s.id, s.rel]));
  for (const n of neighbours) {
    const share = topRel > 0 ? (seedRel.get(n.from) ?? 0) / topRel : 0;
    const boost = 1 + (contiguityBoost(n.lag, tuning.contiguity) - 1) * share;
    if (boost > (contiguity.get(n.id) ?? 1)) contiguity.set(n.id, boost);
  }

  // Hebbian spreading activation from the seeds and the working-memory contents.
  const adjacency = adjacencyOf(links);
  const seedActivation = new Map<string, number>();
  for (const s of seeds) seedActivation.set(s.id, topRel > 0 ? s.rel / topRel : 0);
  for (const [id, a] of req.workingMemory) seedActivation.set(id, Math.max(seedActivation.get(id) ?? 0, a));
  const spreadActivation = spread(seedActivation, (id) => adjacency.get(id) ?? [], { hops: 1 });

  await add([...contiguity.keys()], 'contiguity');
  await add([...spreadActivation.keys()], 'association');
  await add(wmIds, 'working-memory');

  const ranked: Array<{ c: Candidate; signals: CandidateSignals }> = [];
  for (const c of candidates.values()) {
    const m = c.memory;
    if (req.types && !req.types.includes(m.type)) continue;
    if (req.domain && m.domain !== req.domain) continue;
    ranked.push({
      c,
      signals: {
        cosine: c.cosine,
        bm25: c.bm25,
        activation: baseLevelActivation(m.access, req.now),
        retention: retentionAt(m.retention, req.now),
        spread: spreadActivation.get(m.id) ?? 0,
        contiguity: contiguity.get(m.id) ?? 1,
        importance: m.importance,
        inWorkingMemory: req.workingMemory.has(m.id),
        somatic: somatic?.get(m.id) ?? 1,
      },
    });
  }
  let scored = ranked.map((r) => score(r.signals, maxBm25, tuning.scoring));
  if (tuning.episodeSupport) {
    const episode = episodeMultipliers(
      ranked.map((r, i) => ({ memory: r.c.memory, score: scored[i]!.score })),
      tuning.contiguity.window,
      tuning.episodeSupport,
    );
    scored = ranked.map((r, i) => score({ ...r.signals, episode: episode[i]! }, maxBm25, tuning.scoring));
  }
  const results: RecallResult[] = [];
  ranked.forEach(({ c }, i) => {
    const s = scored[i]!;
    if (s.score < req.minScore) return;
    results.push({ id: c.memory.id, content: c.memory.content, score: s.score, memory: c.memory, sources: [...c.sources], explanation: s.explanation });
  });
  results.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
  return results.slice(0, req.k);
}

function adjacencyOf(links: readonly LinkEdge[]): Map<string, Array<{ id: string; weight: number }>> {
  const adjacency = new Map<string, Array<{ id: string; weight: number }>>();
  const seen = new Set<string>();
  for (const l of links) {
    const key = pairKey(l.a, l.b);
    if (seen.has(key)) continue;
    seen.add(key);
    for (const [from, to] of [
      [l.a, l.b],
      [l.b, l.a],
    ] as const) {
      const list = adjacency.get(from) ?? [];
      list.push({ id: to, weight: l.weight });
      adjacency.set(from, list);
    }
  }
  return adjacency;
}

/**
 * Episode support, a score regularisation over time (after Diaz 2005: a document's score is
 * smoothed with its neighbours'): an episodic memory's multiplier is 1 + weight × the summed scores
 * of the other episodic candidates within `window` positions of it in its session, relative to the
 * best score. When no single memory matches the cue convincingly (low recall confidence), the
 * episode the answer sits in usually matches several times over, while an isolated chance match
 * does not. Other types get none: facts stored together say nothing about each other's relevance,
 * and an updated fact usually arrives alone, so support would favour the stale bundle.
 * Cost: one sort per session and at most 2 × window neighbours per candidate.
 */
export function episodeMultipliers(items: ReadonlyArray<{ memory: Pick<StoredMemory, 'session' | 'seq' | 'type'>; score: number }>, window: number, weight: number): number[] {
  const out = items.map(() => 1);
  const top = Math.max(0, ...items.map((i) => i.score));
  if (top <= 0 || weight <= 0) return out;
  const bySession = new Map<string, number[]>();
  items.forEach((item, i) => {
    const session = item.memory.session;
    if (session === null || item.memory.type !== 'episodic') return;
    const members = bySession.get(session);
    if (members) members.push(i);
    else bySession.set(session, [i]);
  });
  for (const members of bySession.values()) {
    members.sort((a, b) => items[a]!.memory.seq - items[b]!.memory.seq);
    for (const [k, i] of members.entries()) {
      const seq = items[i]!.memory.seq;
      let support = 0;
      for (let j = k - 1; j >= 0 && seq - items[members[j]!]!.memory.seq <= window; j--) support += items[members[j]!]!.score;
      for (let j = k + 1; j < members.length && items[members[j]!]!.memory.seq - seq <= window; j++) support += items[members[j]!]!.score;
      out[i] = 1 + (weight * support) / top;
    }
  }
  return out;
}
