import type { HybridOptions } from './types.js';

/** A document of a ranked list: its id and score, the list ordered best first. */
export interface Ranked {
  id: string;
  score: number;
}

/** Best first, ties by id: the order of every kNN and hybrid answer. */
export const byScoreThenId = (a: Ranked, b: Ranked): number =>
  b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Reciprocal Rank Fusion: each list adds 1 / (rank_constant + rank) for the documents it holds (rank 1-based, in
 * the order given), so only positions matter and scores of different scales need no reconciling.
 */
function rrf(lists: Ranked[][], rankConstant: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const list of lists)
    list.forEach((r, i) => out.set(r.id, (out.get(r.id) ?? 0) + 1 / (rankConstant + i + 1)));
  return out;
}

/**
 * The text scores min-max normalised over the text candidates: the best is 1, the worst 0. When they are all
 * equal (one candidate, or a match-all), each is 1: none is worse than another.
 */
export function normaliseText(text: Ranked[]): Map<string, number> {
  let min = Infinity;
  let max = -Infinity;
  for (const r of text) {
    min = Math.min(min, r.score);
    max = Math.max(max, r.score);
  }
  return new Map(text.map((r) => [r.id, max > min ? (r.score - min) / (max - min) : 1]));
}

/**
 * Weighted fusion (Meilisearch's semantic ratio): (1 - r) * text_norm + r * vector_score. Vector scores are
 * already in [0, 1] (the similarity formulas), text scores are not, hence their normalisation.
 */
function weighted(text: Ranked[], vector: Ranked[], ratio: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const [id, norm] of normaliseText(text)) out.set(id, (1 - ratio) * norm);
  for (const r of vector) out.set(r.id, (out.get(r.id) ?? 0) + ratio * r.score);
  return out;
}

/**
 * Fuses the text and the vector candidates of a hybrid search into one ranking, best first, ties by id. A
 * document absent from a list gets nothing from it. The same function serves every engine, so a hybrid search
 * ranks the same wherever the candidates come from.
 */
export function fuse(text: Ranked[], vector: Ranked[], options: HybridOptions): Ranked[] {
  const scores =
    options.fusion === 'rrf'
      ? rrf([text, vector], options.rankConstant)
      : weighted(text, vector, options.semanticRatio);
  return [...scores].map(([id, score]) => ({ id, score })).sort(byScoreThenId);
}
