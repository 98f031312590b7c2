import { describe, expect, it } from 'vitest';
import { IndexCatalogue } from './catalogue.js';
import type { ClusterRequest, ClusterTransport } from './transport.js';

describe('IndexCatalogue.resolve', () => {
  it("reads the mapping from the asked node's own cluster state, never through the elected manager", async () => {
    const sent: ClusterRequest[] = [];
    const transport = {
      product: 'opensearch' as const,
      async request(req: ClusterRequest) {
        sent.push(req);
        return { status: 404, body: {} };
      },
    } as unknown as ClusterTransport;
    expect(await new IndexCatalogue(transport).resolve('books')).toBeNull();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ method: 'GET', querystring: { local: true } });
    expect(sent[0]!.path).toMatch(/\/_mapping$/);
  });
});
