import { describe, expect, it } from 'vitest';
import { Names } from './names.js';
import { ReindexMarkers, type Marker } from './system.js';
import type { ClusterRequest, ClusterResponse, ClusterTransport } from './transport.js';

/** A transport that records what it was asked and answers every request with an empty 200 (201 for creates). */
function recordingTransport(): { t: ClusterTransport; requests: ClusterRequest[] } {
  const requests: ClusterRequest[] = [];
  const t: ClusterTransport = {
    product: 'elasticsearch',
    async request<T>(req: ClusterRequest): Promise<ClusterResponse<T>> {
      requests.push(req);
      return { status: req.path.includes('/_create/') ? 201 : 200, body: {} as T } as ClusterResponse<T>;
    },
    openPointInTime: () => Promise.resolve('pit'),
    closePointInTime: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  return { t, requests };
}

const marker = { index: 'books', state: 'copying' } as unknown as Marker;

describe('the system index', () => {
  const created = async (replicas?: string) => {
    const { t, requests } = recordingTransport();
    await new ReindexMarkers(t, new Names('p-'), replicas).claim(marker, () => Promise.resolve());
    const put = requests.find((r) => r.method === 'PUT' && r.path === '/.p-sift-system');
    return (put?.body as { settings: Record<string, unknown> }).settings;
  };

  it('follows ELASTICSEARCH_REPLICAS: a write checks its marker there, so it must survive what the indexes survive', async () => {
    expect(await created('2')).toMatchObject({ number_of_replicas: 2, auto_expand_replicas: false });
    expect(await created('1-all')).toMatchObject({ auto_expand_replicas: '1-all' });
  });

  it('keeps one replica wherever a second node exists by default', async () => {
    expect(await created()).toMatchObject({ number_of_shards: 1, auto_expand_replicas: '0-1', hidden: true });
  });
});
