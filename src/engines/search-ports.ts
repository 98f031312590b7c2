import type { SearchPorts } from '../query/search-answer.js';
import type { Engine } from './engine.js';

/** An engine's searches of one index, as the query layer runs them (the service and the conformance driver). */
export const searchPorts = (engine: Engine, index: string): SearchPorts => ({
  engine: engine.name,
  search: (r) => engine.search(index, r),
  ...(engine.knn ? { knn: (r) => engine.knn!(index, r) } : {}),
});
