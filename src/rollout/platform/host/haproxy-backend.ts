import { COLORS, type Color, type TrafficSplit } from '../../types.js';
import { colorOfPort, type HaproxySettings, type HostConfig } from './config.js';
import type { HostState } from './host-state.js';
import { serverWeights, upstreamMembers, type ParsedUpstream, type UpstreamServer } from './upstream.js';

/**
 * The HAProxy backend as a function of the host state, and HAProxy's answers read back.
 *
 * Every port of the host config has one server slot in the backend, named `<colour>-<port>`, for ever: the ports
 * are fixed in the host config, so every instance the target can run (the surge and standby ones included) has
 * its slot before it starts, and letting it in or out is `set server ... state ready|maint` on a slot that
 * exists. That needs neither a reload nor dynamic servers (`add server`/`del server`, HAProxy >= 2.4, which
 * refuses to delete a server that still has connections and so would need a drain protocol of its own): only a
 * new port in the host config needs the backend file reloaded, which is a configuration change, not a release.
 */

/** HAProxy refuses server weights above this. */
export const HAPROXY_MAX_WEIGHT = 256;

export const slotName = (color: Color, port: number): string => `${color}-${port}`;

/** The share of blue that the read-back computes from summed weights (the same rounding as splitOf). */
const blueShare = (blue: number, green: number) => Math.round((100 * blue) / (blue + green));

/**
 * Per-server weights (1..256) that give each colour its percentage. The exact ratio (serverWeights) can exceed
 * HAProxy's 256 (99% on a colour of one server against three is 297:1), so then the weights that read back as
 * the same whole percentage are taken. Where none exist (a share of 1% on one side with four or more servers
 * against one: even 1 against 256 is more than 1.5%), the nearest share HAProxy can give is taken, and the
 * read-back says so.
 */
export function haproxyWeights(split: TrafficSplit, counts: Record<Color, number>): Record<Color, number> {
  const exact = serverWeights(split, counts);
  if (exact.blue <= HAPROXY_MAX_WEIGHT && exact.green <= HAPROXY_MAX_WEIGHT) return exact;
  // The colour with the larger per-server weight gets w, the other a weight near the exact ratio.
  const big: Color = exact.blue >= exact.green ? 'blue' : 'green';
  const small: Color = big === 'blue' ? 'green' : 'blue';
  let best = { [big]: HAPROXY_MAX_WEIGHT, [small]: 1 } as Record<Color, number>;
  let bestMiss = Number.POSITIVE_INFINITY;
  for (let w = HAPROXY_MAX_WEIGHT; w >= 1; w--) {
    const ideal = (w * exact[small]) / exact[big];
    for (const v of new Set([Math.floor(ideal), Math.ceil(ideal)].map((x) => Math.max(1, x)))) {
      const weights = { [big]: w, [small]: v } as Record<Color, number>;
      const miss = Math.abs(blueShare(weights.blue * counts.blue, weights.green * counts.green) - split.blue);
      if (miss === 0) return weights;
      if (miss < bestMiss) [best, bestMiss] = [weights, miss];
    }
  }
  return best;
}

export interface Slot {
  readonly name: string;
  readonly color: Color;
  readonly port: number;
  /** Takes traffic: the instance on this port is ready and its colour has a share. */
  readonly ready: boolean;
  /** The weight it carries when ready; 1 for a slot in maintenance (any valid weight would do). */
  readonly weight: number;
}

/** What every slot should be for `state`. */
export function desiredSlots(state: HostState, config: HostConfig): Slot[] {
  const members = upstreamMembers(state);
  const counts = { blue: 0, green: 0 };
  for (const m of members) counts[m.color]++;
  const weights = haproxyWeights(state.weights, counts);
  const shared = counts.blue > 0 && counts.green > 0;
  const slots: Slot[] = [];
  for (const color of COLORS) {
    for (const port of config.ports[color]) {
      const ready = members.some((m) => m.color === color && m.port === port);
      slots.push({
        name: slotName(color, port),
        color,
        port,
        ready,
        weight: ready && shared ? weights[color] : 1,
      });
    }
  }
  return slots;
}

/**
 * The backend file: the slots as `desiredSlots` says (maintenance is `disabled`), so HAProxy started (or
 * restarted) from it serves the split of the last change without anyone replaying it. The `# active:` line names
 * the colour with the larger share, as nginx's include does; it decides the split when no server is ready.
 */
export function renderBackend(state: HostState, config: HostConfig, settings: HaproxySettings): string {
  const lines = [
    `# active: ${state.active}`,
    `# Written by \`sift deploy\` (host target, state in ${config.stateDir}): blue ${state.weights.blue}%, green ${state.weights.green}%.`,
    '# Changes are applied through the runtime API (no reload) and written here so that a restart keeps them.',
    '# Edits here are overwritten by the next change.',
    `backend ${settings.backend}`,
    '    mode http',
    // Weights change at run time only with a dynamic algorithm; roundrobin is one, and with one request at a
    // time it gives every server its weight's share exactly.
    '    balance roundrobin',
    // A refused connection (an instance that just died) is tried again on another server; a GET or HEAD whose
    // server closed the connection without answering (a reused idle connection it had just closed) too. Other
    // methods are retried only when their request never left (conn-failure), so a write is never sent twice.
    '    retries 3',
    '    option redispatch 1',
    '    retry-on conn-failure empty-response',
    '    http-request disable-l7-retry unless METH_GET || METH_HEAD',
  ];
  for (const s of desiredSlots(state, config)) {
    lines.push(
      `    server ${s.name} ${config.host}:${s.port} weight ${s.weight}${s.ready ? '' : ' disabled'}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The `# active:` line of a backend file (what decides the split when no server is ready). */
export const activeOf = (text: string): Color | null =>
  (/^#\s*active:\s*(blue|green)\s*$/m.exec(text)?.[1] as Color | undefined) ?? null;

// srv_admin_state bits (HAProxy's enum srv_admin): forced, inherited or resolution maintenance, and drain.
const ADMIN_MAINT = 0x01 | 0x02 | 0x20;
const ADMIN_DRAIN = 0x08 | 0x10;

export interface LiveServer extends UpstreamServer {
  readonly name: string;
  /** In maintenance or drain by an operator's or our command (not because it failed). */
  readonly admin: 'ready' | 'maint' | 'drain';
}

/**
 * Parses `show servers state <backend>`: one line per server, columns named by the `#` header line. A server
 * takes traffic when no maintenance or drain flag is set, it is not marked stopped, and its weight is above 0.
 */
export function parseServersState(text: string, config: HostConfig): LiveServer[] {
  const lines = text.split('\n');
  const header = lines.find((l) => l.startsWith('# '));
  if (!header) return [];
  const cols = header.slice(2).trim().split(/\s+/);
  const at = (f: string[], name: string) => f[cols.indexOf(name)] ?? '';
  const servers: LiveServer[] = [];
  for (const line of lines) {
    if (line.startsWith('#') || !line.trim()) continue;
    const f = line.trim().split(/\s+/);
    if (f.length < cols.length) continue;
    const port = Number(at(f, 'srv_port'));
    const adminState = Number(at(f, 'srv_admin_state'));
    const weight = Number(at(f, 'srv_uweight'));
    const admin = adminState & ADMIN_MAINT ? 'maint' : adminState & ADMIN_DRAIN ? 'drain' : 'ready';
    servers.push({
      name: at(f, 'srv_name'),
      host: at(f, 'srv_addr'),
      port,
      weight,
      admin,
      down: admin !== 'ready' || at(f, 'srv_op_state') === '0' || weight === 0,
      color: Number.isInteger(port) ? colorOfPort(config, port) : null,
    });
  }
  return servers;
}

/** The live routing in the shape nginx's include is read into, so split and ports are computed the same way. */
export const parsedOf = (servers: readonly LiveServer[], active: Color | null): ParsedUpstream => ({
  active,
  servers,
});

/**
 * The runtime commands that make `live` servers what `desired` says, in an order that never leaves the backend
 * without a server: first every server that takes traffic gets its weight and leaves maintenance, then the
 * ones that stop taking it go into maintenance. Nothing for a server that already is as desired (a maintenance
 * server's weight does not matter). Every desired slot must be in `live`.
 */
export function changeCommands(
  backend: string,
  desired: readonly Slot[],
  live: ReadonlyMap<string, LiveServer>,
): string[] {
  const enter = desired
    .filter((d) => d.ready)
    .flatMap((d) => {
      const s = live.get(d.name)!;
      return [
        ...(s.weight !== d.weight ? [`set server ${backend}/${d.name} weight ${d.weight}`] : []),
        ...(s.admin !== 'ready' ? [`set server ${backend}/${d.name} state ready`] : []),
      ];
    });
  const leave = desired
    .filter((d) => !d.ready && live.get(d.name)!.admin !== 'maint')
    .map((d) => `set server ${backend}/${d.name} state maint`);
  return [...enter, ...leave];
}

/** Current sessions per server name, from `show stat` (CSV, columns named by the `# ` header line). */
export function sessionsByServer(csv: string, backend: string): Map<string, number> {
  const lines = csv.split('\n');
  const header = lines.find((l) => l.startsWith('# '));
  const out = new Map<string, number>();
  if (!header) return out;
  const cols = header.slice(2).split(',');
  const px = cols.indexOf('pxname');
  const sv = cols.indexOf('svname');
  const scur = cols.indexOf('scur');
  for (const line of lines) {
    if (line.startsWith('#') || !line.trim()) continue;
    const f = line.split(',');
    if (f[px] !== backend || f[sv] === 'BACKEND' || f[sv] === 'FRONTEND') continue;
    out.set(f[sv]!, Number(f[scur]) || 0);
  }
  return out;
}
