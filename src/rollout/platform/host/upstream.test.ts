import { afterAll, describe, expect, it } from 'vitest';
import { tempHostConfig } from '../../../../test/support/rollout-host/temp-host-config.js';
import { initialState, type HostState, type InstanceRecord } from './host-state.js';
import {
  livePorts,
  parseUpstream,
  renderUpstream,
  serverWeights,
  splitOf,
  upstreamDirectives,
} from './upstream.js';

const t = tempHostConfig();
const config = t.config;
afterAll(() => t.remove());

const instance = (
  color: 'blue' | 'green',
  port: number,
  phase: InstanceRecord['phase'] = 'ready',
): InstanceRecord => ({
  id: `${color}-${port}`,
  color,
  port,
  image: '1.0',
  pid: 1,
  startTicks: null,
  phase,
  logFile: '/dev/null',
  startedAt: '2026-01-01T00:00:00.000Z',
});

const stateWith = (weights: { blue: number; green: number }, instances: InstanceRecord[]): HostState => ({
  ...initialState(weights.blue >= weights.green ? 'blue' : 'green'),
  weights,
  instances,
});

describe('upstream include', () => {
  it('lists the ready instances of the colour with all the traffic, under the "# active:" line', () => {
    const text = renderUpstream(
      stateWith({ blue: 100, green: 0 }, [
        instance('blue', 8102),
        instance('blue', 8101),
        instance('blue', 8103, 'starting'),
        instance('green', 8201),
      ]),
      config,
    );
    expect(text.split('\n')[0]).toBe('# active: blue');
    const parsed = parseUpstream(text, config);
    expect(parsed.active).toBe('blue');
    expect(parsed.servers.map((s) => [s.port, s.weight, s.down])).toEqual([
      [8101, 1, false],
      [8102, 1, false],
    ]);
    expect(splitOf(parsed)).toEqual({ blue: 100, green: 0 });
    expect(text).toContain('server 127.0.0.1:8101 max_fails=3 fail_timeout=2s; # blue-8101 release 1.0');
  });

  it.each([
    [25, 2, 2],
    [10, 2, 1],
    [33, 1, 3],
    [50, 3, 2],
    [99, 2, 2],
  ])('splits %i%% to green over %i blue and %i green servers exactly', (green, nb, ng) => {
    const instances = [
      ...Array.from({ length: nb }, (_, i) => instance('blue', 8101 + i)),
      ...Array.from({ length: ng }, (_, i) => instance('green', 8201 + i)),
    ];
    const text = renderUpstream(stateWith({ blue: 100 - green, green }, instances), config);
    const parsed = parseUpstream(text, config);
    expect(splitOf(parsed)).toEqual({ blue: 100 - green, green });
    expect(livePorts(parsed, 'green')).toHaveLength(ng);
  });

  it('reduces server weights to the smallest whole numbers', () => {
    expect(serverWeights({ blue: 90, green: 10 }, { blue: 2, green: 2 })).toEqual({ blue: 9, green: 1 });
    expect(serverWeights({ blue: 100, green: 0 }, { blue: 2, green: 0 })).toEqual({ blue: 1, green: 1 });
  });

  it('keeps nginx valid with nothing to route to: one server marked down, the split from "# active:"', () => {
    const text = renderUpstream(stateWith({ blue: 0, green: 100 }, [instance('blue', 8101)]), config);
    const parsed = parseUpstream(text, config);
    expect(parsed.servers).toEqual([
      { host: '127.0.0.1', port: 8201, weight: 1, down: true, color: 'green' },
    ]);
    expect(splitOf(parsed)).toEqual({ blue: 0, green: 100 });
  });

  it('reads a hand-written include: comments, foreign servers, down and backup servers', () => {
    const parsed = parseUpstream(
      [
        '# active: green',
        'server sift-blue:8000 max_fails=3 fail_timeout=10s;',
        '  server 127.0.0.1:8201 weight=3; # green',
        'server 127.0.0.1:8202   weight=3  down;',
        'server 127.0.0.1:8101 backup;',
        '# server 127.0.0.1:8102;',
      ].join('\n'),
      config,
    );
    expect(parsed.active).toBe('green');
    expect(parsed.servers.map((s) => [s.host, s.port, s.weight, s.down, s.color])).toEqual([
      ['sift-blue', 8000, 1, false, null],
      ['127.0.0.1', 8201, 3, false, 'green'],
      ['127.0.0.1', 8202, 3, true, 'green'],
      ['127.0.0.1', 8101, 1, true, 'blue'],
    ]);
    expect(splitOf(parsed)).toEqual({ blue: 0, green: 100 });
    expect(splitOf(parseUpstream('', config))).toBeNull();
  });

  it('gives the same directives for states that route the same, whatever the comments say', () => {
    const blueOnly = [instance('blue', 8101), instance('blue', 8102)];
    // Green has a share but nothing ready: the header changes, the servers do not.
    const all = renderUpstream(stateWith({ blue: 100, green: 0 }, blueOnly), config);
    const most = renderUpstream(stateWith({ blue: 90, green: 10 }, blueOnly), config);
    expect(most).not.toBe(all);
    expect(upstreamDirectives(most)).toEqual(upstreamDirectives(all));
    const params = config.serverParameters ? ` ${config.serverParameters}` : '';
    expect(upstreamDirectives(all)).toEqual([
      `server ${config.host}:8101${params};`,
      `server ${config.host}:8102${params};`,
    ]);
    // A ready green instance with that share is a change of routing.
    const shared = renderUpstream(
      stateWith({ blue: 90, green: 10 }, [...blueOnly, instance('green', 8201)]),
      config,
    );
    expect(upstreamDirectives(shared)).not.toEqual(upstreamDirectives(most));
  });
});
