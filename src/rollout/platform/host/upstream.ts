import { otherColor, type Color, type TrafficSplit } from '../../types.js';
import { colorOfPort, type HostConfig } from './config.js';
import type { HostState, InstanceRecord } from './host-state.js';

/**
 * The upstream include (deploy/nginx/upstream.d/sift-active.conf) as a function of the host state: the ready
 * instances of every colour that has a share of the traffic, with `weight=` when both colours share it. The first
 * line keeps the file's `# active: <colour>` convention. Rendering is deterministic, so an unchanged state gives
 * the same bytes and needs no reload.
 */

export interface UpstreamServer {
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  readonly down: boolean;
  /** null for a server outside this target's ports. */
  readonly color: Color | null;
}

export interface ParsedUpstream {
  readonly active: Color | null;
  readonly servers: readonly UpstreamServer[];
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Who is in the upstream: ready instances of colours with weight, sorted for a stable file. */
export function upstreamMembers(state: HostState): InstanceRecord[] {
  return state.instances
    .filter((i) => i.phase === 'ready' && state.weights[i.color] > 0)
    .sort((a, b) => a.color.localeCompare(b.color) || a.port - b.port);
}

/**
 * Per-server weights that give each colour its percentage: a colour's share is the sum of its servers' weights,
 * so with n_c servers of weight w_c, w_blue * n_blue : w_green * n_green = p_blue : p_green.
 */
export function serverWeights(weights: TrafficSplit, counts: Record<Color, number>): Record<Color, number> {
  if (counts.blue === 0 || counts.green === 0 || weights.blue === 0 || weights.green === 0) {
    return { blue: 1, green: 1 };
  }
  const blue = weights.blue * counts.green;
  const green = weights.green * counts.blue;
  const d = gcd(blue, green);
  return { blue: blue / d, green: green / d };
}

export function renderUpstream(state: HostState, config: HostConfig): string {
  const members = upstreamMembers(state);
  const counts = { blue: 0, green: 0 };
  for (const m of members) counts[m.color]++;
  const perServer = serverWeights(state.weights, counts);
  const shared = counts.blue > 0 && counts.green > 0;
  const params = config.serverParameters ? ` ${config.serverParameters}` : '';
  const lines = [
    `# active: ${state.active}`,
    `# Written by \`sift deploy\` (host target, state in ${config.stateDir}): blue ${state.weights.blue}%, green ${state.weights.green}%.`,
    '# The servers of the colours that take traffic; every change is checked with `nginx -t` and reloaded',
    '# gracefully (in-flight requests finish on the old workers). Edits here are overwritten by the next change.',
  ];
  for (const m of members) {
    const weight = shared ? ` weight=${perServer[m.color]}` : '';
    lines.push(`server ${config.host}:${m.port}${weight}${params}; # ${m.id} release ${m.image}`);
  }
  if (members.length === 0) {
    // nginx refuses an upstream without servers; a server marked down keeps the file valid and makes nginx
    // answer 502 itself, which is the truth when the colour that has the traffic runs nothing.
    const port = config.ports[state.active][0]!;
    lines.push(`server ${config.host}:${port} down; # no ${state.active} instance is ready`);
  }
  return `${lines.join('\n')}\n`;
}

/** Reads an upstream include back: the `# active:` line and each `server` with its weight and `down` flag. */
export function parseUpstream(text: string, config: HostConfig): ParsedUpstream {
  const active = /^#\s*active:\s*(blue|green)\s*$/m.exec(text)?.[1] as Color | undefined;
  const servers: UpstreamServer[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const m = /^server\s+(\S+?)((?:\s+[^;\s]+)*)\s*;$/.exec(line);
    if (!m) continue;
    const address = m[1]!;
    const colon = address.lastIndexOf(':');
    const port = colon > 0 ? Number(address.slice(colon + 1)) : 80;
    const host = colon > 0 ? address.slice(0, colon) : address;
    const params = (m[2] ?? '').trim().split(/\s+/).filter(Boolean);
    const weightParam = params.find((p) => p.startsWith('weight='));
    servers.push({
      host,
      port,
      weight: weightParam ? Number(weightParam.slice('weight='.length)) : 1,
      down: params.includes('down') || params.includes('backup'),
      color: Number.isInteger(port) ? colorOfPort(config, port) : null,
    });
  }
  return { active: active ?? null, servers };
}

/**
 * The traffic split a parsed file gives: each colour's share of the total weight of the live servers. With no
 * live server of either colour the `# active:` line decides; null when even that is missing.
 */
export function splitOf(parsed: ParsedUpstream): TrafficSplit | null {
  const sum = { blue: 0, green: 0 };
  for (const s of parsed.servers) if (!s.down && s.color) sum[s.color] += s.weight;
  const total = sum.blue + sum.green;
  if (total === 0) {
    if (!parsed.active) return null;
    return { [parsed.active]: 100, [otherColor(parsed.active)]: 0 } as Record<Color, number>;
  }
  const blue = Math.round((100 * sum.blue) / total);
  return { blue, green: 100 - blue };
}

/** Ports of the live servers of one colour (what nginx sends that colour's traffic to). */
export const livePorts = (parsed: ParsedUpstream, c: Color): number[] =>
  parsed.servers.filter((s) => s.color === c && !s.down).map((s) => s.port);

/** Live servers that belong to no colour of this target (someone else's): never replaced by an empty render. */
export const foreignServers = (parsed: ParsedUpstream) =>
  parsed.servers.filter((s) => !s.down && s.color === null);

/**
 * What nginx reads in an include: its directives, comments and blank lines left out. Two includes with the same
 * directives route the same, however their comments differ (the weights in the header, an instance's name).
 */
export const upstreamDirectives = (text: string): string[] =>
  text
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line !== '');
