import { afterAll, describe, expect, it } from 'vitest';
import { tempHostConfig } from '../../../../test/support/rollout-host/temp-host-config.js';
import { COLORS } from '../../types.js';
import {
  activeOf,
  changeCommands,
  desiredSlots,
  HAPROXY_MAX_WEIGHT,
  haproxyWeights,
  parsedOf,
  parseServersState,
  renderBackend,
  sessionsByServer,
} from './haproxy-backend.js';
import { initialState, type HostState, type InstanceRecord } from './host-state.js';
import { livePorts, splitOf } from './upstream.js';

const t = tempHostConfig({
  router: 'haproxy',
  nginx: undefined,
  haproxy: { socket: 'admin.sock', backendFile: 'sift-backend.cfg', frontDoor: 'http://127.0.0.1:8080' },
});
const config = t.config;
const settings = config.haproxy!;
afterAll(() => t.remove());

const instance = (color: 'blue' | 'green', port: number, phase: InstanceRecord['phase'] = 'ready') =>
  ({
    id: `${color}-${port}`,
    color,
    port,
    image: '1.0',
    pid: 1,
    startTicks: null,
    phase,
    logFile: '/dev/null',
    startedAt: '2026-01-01T00:00:00.000Z',
  }) satisfies InstanceRecord;

const stateWith = (weights: { blue: number; green: number }, instances: InstanceRecord[]): HostState => ({
  ...initialState(weights.blue >= weights.green ? 'blue' : 'green'),
  weights,
  instances,
});

// What `show servers state` answers (HAProxy 2.6), for the slots of `desiredSlots`, as the runtime would hold them.
const HEADER =
  '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port';
const serversState = (rows: { name: string; port: number; admin: number; weight: number; op?: number }[]) =>
  [
    '1',
    HEADER,
    ...rows.map(
      (r, i) =>
        `3 sift ${i + 1} ${r.name} 127.0.0.1 ${r.op ?? 2} ${r.admin} ${r.weight} 1 5 1 0 2 0 0 0 0 - ${r.port} - 0 0 - - 0`,
    ),
    '',
  ].join('\n');

describe('HAProxy weights', () => {
  it('are the exact ratio when it fits in 1..256', () => {
    expect(haproxyWeights({ blue: 75, green: 25 }, { blue: 2, green: 1 })).toEqual({ blue: 3, green: 2 });
    expect(haproxyWeights({ blue: 100, green: 0 }, { blue: 2, green: 2 })).toEqual({ blue: 1, green: 1 });
  });

  it('read back as the same whole percentage for every split, up to three servers a colour, within 1..256', () => {
    // Three is the default host config's ports per colour (two instances and the surge).
    for (let blue = 1; blue < 100; blue++) {
      for (let nb = 1; nb <= 3; nb++) {
        for (let ng = 1; ng <= 3; ng++) {
          const w = haproxyWeights({ blue, green: 100 - blue }, { blue: nb, green: ng });
          for (const c of COLORS) {
            expect(w[c]).toBeGreaterThanOrEqual(1);
            expect(w[c]).toBeLessThanOrEqual(HAPROXY_MAX_WEIGHT);
          }
          const share = Math.round((100 * w.blue * nb) / (w.blue * nb + w.green * ng));
          expect(share, `blue ${blue}% over ${nb}+${ng} servers: ${JSON.stringify(w)}`).toBe(blue);
        }
      }
    }
  });

  it('give the nearest share where no weights give the exact one', () => {
    // 1% on four servers against one: blue 1 x 4 against green 256 is 1.5%, the least HAProxy can give.
    const w = haproxyWeights({ blue: 1, green: 99 }, { blue: 4, green: 1 });
    expect(w).toEqual({ blue: 1, green: 256 });
    // More servers: every split still lands within one point.
    for (let blue = 1; blue < 100; blue++) {
      const v = haproxyWeights({ blue, green: 100 - blue }, { blue: 6, green: 2 });
      expect(
        Math.abs(Math.round((100 * v.blue * 6) / (v.blue * 6 + v.green * 2)) - blue),
      ).toBeLessThanOrEqual(1);
    }
  });
});

describe('HAProxy backend', () => {
  const split = stateWith({ blue: 75, green: 25 }, [
    instance('blue', 8101),
    instance('blue', 8102),
    instance('green', 8201),
    instance('green', 8202, 'starting'),
  ]);

  it('has a slot for every port of the host config, ready only for the ready instances of a colour with share', () => {
    const slots = desiredSlots(split, config);
    expect(slots.map((s) => s.name)).toEqual([
      'blue-8101',
      'blue-8102',
      'blue-8103',
      'green-8201',
      'green-8202',
      'green-8203',
    ]);
    expect(slots.filter((s) => s.ready).map((s) => [s.name, s.weight])).toEqual([
      ['blue-8101', 3],
      ['blue-8102', 3],
      ['green-8201', 2],
    ]);
  });

  it('writes the slots so that a restart starts with the same split, maintenance as `disabled`', () => {
    const text = renderBackend(split, config, settings);
    expect(activeOf(text)).toBe('blue');
    expect(text).toContain('backend sift\n');
    expect(text).toContain('balance roundrobin');
    expect(text).toContain('    server blue-8101 127.0.0.1:8101 weight 3\n');
    expect(text).toContain('    server green-8201 127.0.0.1:8201 weight 2\n');
    expect(text).toContain('    server green-8202 127.0.0.1:8202 weight 1 disabled\n');
    // A host never deployed to: every server in maintenance, blue named active.
    const fresh = renderBackend(initialState('blue'), config, settings);
    expect(fresh.match(/ disabled$/gm)).toHaveLength(6);
  });

  it('reads the split and the live ports back from the runtime state', () => {
    const text = serversState([
      { name: 'blue-8101', port: 8101, admin: 0, weight: 3 },
      { name: 'blue-8102', port: 8102, admin: 0, weight: 3 },
      // `disabled` in the file, then `state ready`: the configuration flag stays, the server takes traffic.
      { name: 'green-8201', port: 8201, admin: 4, weight: 2 },
      { name: 'green-8202', port: 8202, admin: 1, weight: 2, op: 0 },
      { name: 'green-8203', port: 8203, admin: 8, weight: 2 },
    ]);
    const servers = parseServersState(text, config);
    expect(servers.map((s) => s.admin)).toEqual(['ready', 'ready', 'ready', 'maint', 'drain']);
    const parsed = parsedOf(servers, 'blue');
    expect(splitOf(parsed)).toEqual({ blue: 75, green: 25 });
    expect(livePorts(parsed, 'green')).toEqual([8201]);
  });

  it('counts a server of weight 0 as taking no traffic, and falls back to the active colour', () => {
    const servers = parseServersState(
      serversState([
        { name: 'blue-8101', port: 8101, admin: 0, weight: 0 },
        { name: 'green-8201', port: 8201, admin: 1, weight: 1 },
      ]),
      config,
    );
    expect(servers.every((s) => s.down)).toBe(true);
    expect(splitOf(parsedOf(servers, 'green'))).toEqual({ blue: 0, green: 100 });
    expect(splitOf(parsedOf(servers, null))).toBeNull();
  });

  it('changes the live servers ready-first: the backend is never without a server in between', () => {
    // Live: blue alone (weight 1 each), green in maintenance. Wanted: all on green.
    const blueOnly = parseServersState(
      serversState([
        { name: 'blue-8101', port: 8101, admin: 0, weight: 1 },
        { name: 'blue-8102', port: 8102, admin: 0, weight: 1 },
        { name: 'blue-8103', port: 8103, admin: 5, weight: 1, op: 0 },
        { name: 'green-8201', port: 8201, admin: 5, weight: 1, op: 0 },
        { name: 'green-8202', port: 8202, admin: 5, weight: 1, op: 0 },
        { name: 'green-8203', port: 8203, admin: 5, weight: 1, op: 0 },
      ]),
      config,
    );
    const live = new Map(blueOnly.map((s) => [s.name, s]));
    const toGreen = stateWith({ blue: 0, green: 100 }, [
      instance('blue', 8101),
      instance('blue', 8102),
      instance('green', 8201),
      instance('green', 8202),
    ]);
    expect(changeCommands('sift', desiredSlots(toGreen, config), live)).toEqual([
      'set server sift/green-8201 state ready',
      'set server sift/green-8202 state ready',
      'set server sift/blue-8101 state maint',
      'set server sift/blue-8102 state maint',
    ]);
    // A split: green enters with its weight set before it is ready; blue's weight changes in place.
    const split = stateWith({ blue: 75, green: 25 }, toGreen.instances);
    expect(changeCommands('sift', desiredSlots(split, config), live)).toEqual([
      'set server sift/blue-8101 weight 3',
      'set server sift/blue-8102 weight 3',
      'set server sift/green-8201 state ready',
      'set server sift/green-8202 state ready',
    ]);
    // What already is as wanted needs nothing.
    const same = stateWith({ blue: 100, green: 0 }, toGreen.instances);
    expect(changeCommands('sift', desiredSlots(same, config), live)).toEqual([]);
  });

  it('reads sessions per server of the backend from `show stat`', () => {
    const csv = [
      '# pxname,svname,qcur,qmax,scur,smax',
      'sift,FRONTEND,,,7,9',
      'sift,blue-8101,0,0,2,5',
      'sift,green-8201,0,0,0,1',
      'other,blue-8101,0,0,9,9',
      'sift,BACKEND,0,0,2,5',
      '',
    ].join('\n');
    expect([...sessionsByServer(csv, 'sift')]).toEqual([
      ['blue-8101', 2],
      ['green-8201', 0],
    ]);
  });
});
