import { describe, expect, it } from 'vitest';
import type { Engine } from '../engines/engine.js';
import type { SearchRequest } from '../query/types.js';
import { warmSearchPath } from './warm-up.js';

const schema = {
  fields: { name: { type: 'text', searchable: true, returned: true } },
} as const;

/** Records what the warm-up asks of an engine; a fake is enough for this logic, the server test runs a real one. */
function recording(opts: { index?: boolean; failing?: boolean } = {}) {
  const searches: { index: string; request: SearchRequest }[] = [];
  const engine = {
    getIndex: async (name: string) =>
      opts.index === false ? null : { name, schema, documents: 1, generation: 1 },
    search: async (index: string, request: SearchRequest) => {
      searches.push({ index, request });
      if (opts.failing) throw new Error('engine down');
      return { hits: [] };
    },
  } as unknown as Engine;
  return { engine, searches };
}

describe('warmSearchPath', () => {
  it('runs concurrent searches on the default index before the port opens', async () => {
    const { engine, searches } = recording();
    expect(await warmSearchPath(engine, 'packages', 3)).toBe(3);
    expect(searches).toHaveLength(3);
    expect(searches.every((s) => s.index === 'packages' && s.request.size === 1)).toBe(true);
  });

  it('does nothing without the index, and never throws when the engine fails', async () => {
    const none = recording({ index: false });
    expect(await warmSearchPath(none.engine, 'packages')).toBe(0);
    expect(none.searches).toHaveLength(0);
    const failing = recording({ failing: true });
    expect(await warmSearchPath(failing.engine, 'packages', 2)).toBe(0);
    expect(failing.searches).toHaveLength(2);
  });
});
