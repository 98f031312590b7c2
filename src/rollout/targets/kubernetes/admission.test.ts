import { describe, expect, it } from 'vitest';
import type { Instance, ProbeResult } from '../../types.js';
import { admissionRefusal, type PodProbe } from './admission.js';

const pod: Instance = {
  id: 'sift-blue-1',
  color: 'blue',
  image: 'sift:2.0',
  address: '10.0.0.1:8000',
  ready: false,
};

/** Answers each path with the statuses given, in turn (the last one repeats), and records what was asked. */
function answering(statuses: Record<string, (number | null)[]>) {
  const asked: { path: string; headers: Readonly<Record<string, string>> }[] = [];
  const probe: PodProbe = (instance, path, _ms, headers) => {
    asked.push({ path, headers });
    const list = statuses[path] ?? [200];
    const status = list.length > 1 ? list.shift()! : list[0]!;
    const r: ProbeResult = {
      instance: instance.id,
      path,
      ok: status !== null && status >= 200 && status < 300,
      status,
      ms: 1,
      ...(status === null ? { error: 'ECONNREFUSED' } : {}),
    };
    return Promise.resolve(r);
  };
  return { probe, asked };
}

const signal = new AbortController().signal;

describe('admissionRefusal', () => {
  it('admits a pod that answers every path, with the release headers', async () => {
    const { probe, asked } = answering({});
    expect(
      await admissionRefusal(
        probe,
        pod,
        ['/health/ready', '/api/search?q=test'],
        { 'X-API-Key': 'k' },
        signal,
      ),
    ).toBe(null);
    expect(asked).toEqual([
      { path: '/health/ready', headers: { 'X-API-Key': 'k' } },
      { path: '/api/search?q=test', headers: { 'X-API-Key': 'k' } },
    ]);
  });

  it('refuses a ready pod whose searches answer 401, after three tries', async () => {
    const { probe, asked } = answering({ '/api/search?q=test': [401] });
    const why = await admissionRefusal(probe, pod, ['/health/ready', '/api/search?q=test'], {}, signal);
    expect(why).toContain("sift-blue-1 failed the release's probe /api/search?q=test");
    expect(why).toContain('answered 401, 3 tries');
    expect(asked.filter((a) => a.path === '/api/search?q=test')).toHaveLength(3);
  });

  it('lets one dropped answer pass when the next try succeeds', async () => {
    const { probe } = answering({ '/health/ready': [null, 200] });
    expect(await admissionRefusal(probe, pod, ['/health/ready'], {}, signal)).toBe(null);
  });

  it('stops when interrupted', async () => {
    const stop = new AbortController();
    stop.abort();
    const { probe } = answering({ '/health/ready': [503] });
    expect(await admissionRefusal(probe, pod, ['/health/ready'], {}, stop.signal)).toContain('interrupted');
  });
});
