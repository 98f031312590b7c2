import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SiftError } from '../../../errors.js';
import { COLORS, type Color } from '../../types.js';
import { PLACEHOLDERS, unknownPlaceholders } from './templates.js';

/**
 * The host target's configuration (`--host-config <file>`, YAML or JSON). Sift runs as processes on this host,
 * a few per colour, behind the nginx whose upstream include this target rewrites, or behind HAProxy, whose
 * backend this target changes through the runtime API (`router: haproxy`, see below):
 *
 *   router: nginx                         # default; or haproxy, with a `haproxy` section instead of `nginx`
 *   nginx:
 *     binary: nginx                       # default
 *     prefix: /etc/nginx                  # -p, and -c conf: `nginx -t` and `nginx -s reload` use the same pair
 *     conf: /etc/nginx/nginx.conf
 *     pidFile: /run/nginx.pid             # optional when conf has a `pid` directive
 *     upstreamFile: /etc/nginx/upstream.d/sift-active.conf
 *     frontDoor: http://127.0.0.1:80
 *   instances: 2                          # per colour, the default for a colour never scaled
 *   ports: { blue: [8101, 8102, 8103], green: [8201, 8202, 8203] }   # one more than instances: the surge
 *   command: [node, /opt/sift/{image}/dist/bin/sift.js, serve]
 *   env: { HOST: 127.0.0.1, PORT: '{port}', DATA_DIR: /var/lib/sift/{color}-{port} }
 *   releases:                             # optional: per-release command/env; other releases are refused
 *     '2.0': { env: { WORKERS: '2' } }
 *   readiness: { path: /health/ready, timeoutSeconds: 60 }
 *   drainSeconds: 10
 *   stateDir: /var/lib/sift-deploy
 *
 *
 *   haproxy:                              # with router: haproxy
 *     socket: /run/haproxy/admin.sock     # a `stats socket ... level admin`: weights and states change here
 *     backendFile: /etc/haproxy/sift-backend.cfg   # the backend, rewritten on each change (never reloaded), so a
 *                                         # restart starts with the same split; load it with a second -f
 *     backend: sift                       # default
 *     frontDoor: http://127.0.0.1:80
 *
 * Templates may use {image} (the release), {port}, {color}, {id} (`blue-8101`) and {stateDir}. Relative paths
 * resolve against the config file's directory.
 */

const port = z.number().int().min(1).max(65_535);
const nonEmpty = z.string().min(1);
const argv = z.array(nonEmpty).min(1);
const envMap = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not an environment name'), z.string());

const schema = z
  .strictObject({
    /** Who sends the requests to the instances: nginx (a reload per change) or HAProxy (its runtime API). */
    router: z.enum(['nginx', 'haproxy']).default('nginx'),
    nginx: z
      .strictObject({
        binary: nonEmpty.default('nginx'),
        prefix: nonEmpty.optional(),
        conf: nonEmpty.optional(),
        pidFile: nonEmpty.optional(),
        upstreamFile: nonEmpty,
        frontDoor: z.url({ protocol: /^https?$/ }),
        reloadTimeoutSeconds: z.number().positive().max(600).default(15),
      })
      .optional(),
    haproxy: z
      .strictObject({
        socket: nonEmpty,
        backendFile: nonEmpty,
        backend: z
          .string()
          .regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits, _ . : - only (an HAProxy proxy name)')
          .default('sift'),
        frontDoor: z.url({ protocol: /^https?$/ }),
        /** How long one runtime API command may take to answer. */
        commandTimeoutSeconds: z.number().positive().max(600).default(5),
      })
      .optional(),
    /** The address instances listen on, as the upstream names them. */
    host: nonEmpty.default('127.0.0.1'),
    instances: z.number().int().min(1).max(64).default(2),
    ports: z.strictObject({ blue: z.array(port).min(1), green: z.array(port).min(1) }),
    command: argv,
    cwd: nonEmpty.optional(),
    env: envMap.default({}),
    /**
     * `sift deploy agent` keeps one more instance of each colour that has traffic running, ready and probed but
     * out of nginx, on the colour's spare port, and puts it in nginx (one reload) when an instance dies: a heal
     * that does not wait for a start-up. A release stops it first (it needs the spare port for its surge).
     */
    standby: z.boolean().default(false),
    /** Instances also get the environment of the deploying process (PATH and the like). */
    inheritEnv: z.boolean().default(true),
    releases: z
      .record(nonEmpty, z.strictObject({ command: argv.optional(), env: envMap.optional() }).nullable())
      .optional(),
    readiness: z
      .strictObject({
        path: z.string().startsWith('/').default('/health/ready'),
        /** How long one new instance may take to answer readiness before the rollout stops. */
        timeoutSeconds: z.number().positive().max(3_600).default(60),
        intervalMs: z.number().int().min(50).max(10_000).default(250),
        probeTimeoutMs: z.number().int().min(100).max(60_000).default(2_000),
      })
      .prefault({}),
    /** Upper bound on the wait between taking an instance out of nginx and stopping it. */
    drainSeconds: z.number().min(0).max(3_600).default(10),
    /** After SIGTERM, how long Sift may drain before SIGKILL (above its SHUTDOWN_GRACE_MS). */
    stopTimeoutSeconds: z.number().positive().max(3_600).default(30),
    /**
     * Appended to every `server` line. A server nginx marks failed stays out for fail_timeout even when it is back
     * a second later (a restarted worker), and when every server is marked, nginx answers 502 on its own: a short
     * fail_timeout bounds that to 2 s, and a refused connection on a dead one costs a retry of well under 1 ms.
     */
    serverParameters: z.string().default('max_fails=3 fail_timeout=2s'),
    stateDir: nonEmpty,
    /** A deploy lock not renewed for this long is free (the deploying process died on another machine). */
    lockTtlSeconds: z.number().positive().max(86_400).default(60),
  })
  .superRefine((c, ctx) => {
    // The section of the router in use is required, and the other one refused: a host has one router, and a
    // section that would be silently ignored is a mistake worth naming.
    const other = c.router === 'nginx' ? 'haproxy' : 'nginx';
    if (!c[c.router]) {
      ctx.addIssue({ code: 'custom', path: [c.router], message: `required with router: ${c.router}` });
    }
    if (c[other]) {
      ctx.addIssue({
        code: 'custom',
        path: [other],
        message: `not used with router: ${c.router}; remove it`,
      });
    }
    const seen = new Map<number, string>();
    for (const color of COLORS) {
      c.ports[color].forEach((p, i) => {
        const other = seen.get(p);
        if (other)
          ctx.addIssue({ code: 'custom', path: ['ports', color, i], message: `${p} is also ${other}` });
        seen.set(p, `ports.${color}`);
      });
      if (c.ports[color].length < c.instances + 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['ports', color],
          message: `needs at least instances + 1 = ${c.instances + 1} ports (one for the surge instance of a rolling update)`,
        });
      }
    }
    const templated: [string, string][] = [
      ...c.command.map((a, i): [string, string] => [`command.${i}`, a]),
      ...Object.entries(c.env).map(([k, v]): [string, string] => [`env.${k}`, v]),
      ...(c.cwd ? [['cwd', c.cwd] as [string, string]] : []),
    ];
    for (const [release, over] of Object.entries(c.releases ?? {})) {
      over?.command?.forEach((a, i) => templated.push([`releases.${release}.command.${i}`, a]));
      for (const [k, v] of Object.entries(over?.env ?? {}))
        templated.push([`releases.${release}.env.${k}`, v]);
    }
    for (const [key, value] of templated) {
      const unknown = unknownPlaceholders(value);
      if (unknown.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: key.split('.'),
          message: `unknown placeholder ${unknown.map((u) => `{${u}}`).join(', ')} (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})`,
        });
      }
    }
  });

type Parsed = z.infer<typeof schema>;

export interface NginxSettings {
  readonly binary: string;
  readonly prefix: string | undefined;
  readonly conf: string | undefined;
  /** The master's pid file: reloads are confirmed by its workers changing. */
  readonly pidFile: string;
  readonly upstreamFile: string;
  readonly frontDoor: string;
  readonly reloadTimeoutMs: number;
}

export interface HaproxySettings {
  /** The runtime API (a `stats socket` with `level admin`). */
  readonly socket: string;
  /** The generated backend: rewritten on every change so that a restart keeps the split, never reloaded. */
  readonly backendFile: string;
  readonly backend: string;
  readonly frontDoor: string;
  readonly commandTimeoutMs: number;
}

export interface ReleaseSettings {
  readonly command?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

export interface HostConfig {
  /** The file it was read from, for messages. */
  readonly source: string;
  readonly router: 'nginx' | 'haproxy';
  /** Set with `router: nginx`, null otherwise. */
  readonly nginx: NginxSettings | null;
  /** Set with `router: haproxy`, null otherwise. */
  readonly haproxy: HaproxySettings | null;
  /** The URL clients use: the router's. */
  readonly frontDoor: string;
  readonly host: string;
  readonly instances: number;
  readonly standby: boolean;
  readonly ports: Readonly<Record<Color, readonly number[]>>;
  readonly command: readonly string[];
  readonly cwd: string | undefined;
  readonly env: Readonly<Record<string, string>>;
  readonly inheritEnv: boolean;
  /** null when any release may run with the base command and env. */
  readonly releases: Readonly<Record<string, ReleaseSettings>> | null;
  readonly readiness: {
    readonly path: string;
    readonly timeoutMs: number;
    readonly intervalMs: number;
    readonly probeTimeoutMs: number;
  };
  readonly drainMs: number;
  readonly stopTimeoutMs: number;
  readonly serverParameters: string;
  readonly stateDir: string;
  readonly lockTtlMs: number;
}

const invalid = (source: string, key: string, message: string) =>
  new SiftError('DEPLOY_INVALID', `host config ${source}: ${key}: ${message}`, { key });

/** The `pid` directive of an nginx.conf, resolved like nginx does (relative to the prefix). */
function pidFromConf(confPath: string, prefix: string | undefined, source: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(confPath, 'utf8');
  } catch (err) {
    throw invalid(source, 'nginx.conf', `cannot read ${confPath}: ${(err as Error).message}`);
  }
  const m = /^\s*pid\s+([^;\s]+)\s*;/m.exec(text);
  if (!m) return undefined;
  return isAbsolute(m[1]!) ? m[1]! : resolve(prefix ?? dirname(confPath), m[1]!);
}

/** Validates a parsed document; `baseDir` anchors relative paths. */
export function parseHostConfig(raw: unknown, baseDir: string, source = '<inline>'): HostConfig {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalid(source, issue.path.join('.') || 'document', issue.message);
  }
  const c: Parsed = parsed.data;
  const abs = (p: string) => resolve(baseDir, p);
  const nginx = c.nginx ? nginxSettings(c.nginx, abs, source) : null;
  const haproxy: HaproxySettings | null = c.haproxy
    ? {
        socket: abs(c.haproxy.socket),
        backendFile: abs(c.haproxy.backendFile),
        backend: c.haproxy.backend,
        frontDoor: c.haproxy.frontDoor.replace(/\/+$/, ''),
        commandTimeoutMs: c.haproxy.commandTimeoutSeconds * 1000,
      }
    : null;
  const releases = c.releases
    ? Object.fromEntries(Object.entries(c.releases).map(([k, v]) => [k, (v ?? {}) as ReleaseSettings]))
    : null;
  return {
    source,
    router: c.router,
    nginx,
    haproxy,
    // The schema requires the section of the router in use.
    frontDoor: (nginx ?? haproxy)!.frontDoor,
    host: c.host,
    instances: c.instances,
    standby: c.standby,
    ports: { blue: [...c.ports.blue], green: [...c.ports.green] },
    command: c.command,
    cwd: c.cwd ? abs(c.cwd) : undefined,
    env: c.env,
    inheritEnv: c.inheritEnv,
    releases,
    readiness: {
      path: c.readiness.path,
      timeoutMs: c.readiness.timeoutSeconds * 1000,
      intervalMs: c.readiness.intervalMs,
      probeTimeoutMs: c.readiness.probeTimeoutMs,
    },
    drainMs: c.drainSeconds * 1000,
    stopTimeoutMs: c.stopTimeoutSeconds * 1000,
    serverParameters: c.serverParameters.trim(),
    stateDir: abs(c.stateDir),
    lockTtlMs: c.lockTtlSeconds * 1000,
  };
}

function nginxSettings(
  n: NonNullable<Parsed['nginx']>,
  abs: (p: string) => string,
  source: string,
): NginxSettings {
  const prefix = n.prefix ? abs(n.prefix) : undefined;
  const conf = n.conf ? abs(n.conf) : undefined;
  const pidFile = n.pidFile ? abs(n.pidFile) : conf ? pidFromConf(conf, prefix, source) : undefined;
  if (!pidFile) {
    throw invalid(
      source,
      'nginx.pidFile',
      'needed to confirm reloads: set it, or set nginx.conf to a configuration with a `pid` directive',
    );
  }
  return {
    binary: n.binary,
    prefix,
    conf,
    pidFile,
    upstreamFile: abs(n.upstreamFile),
    frontDoor: n.frontDoor.replace(/\/+$/, ''),
    reloadTimeoutMs: n.reloadTimeoutSeconds * 1000,
  };
}

/** Reads `--host-config <file>`. */
export function loadHostConfig(path: string): HostConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SiftError('DEPLOY_INVALID', `--host-config ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new SiftError('DEPLOY_INVALID', `--host-config ${path}: ${(err as Error).message}`);
  }
  return parseHostConfig(raw, dirname(resolve(path)), path);
}

/** Which colour a port belongs to, or null for a server this target does not own. */
export function colorOfPort(config: HostConfig, p: number): Color | null {
  for (const color of COLORS) if (config.ports[color].includes(p)) return color;
  return null;
}
