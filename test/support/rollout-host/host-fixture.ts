import type { ChildProcess } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadHostConfig, type HostConfig } from '../../../src/rollout/platform/host/config.js';
import { parseState } from '../../../src/rollout/platform/host/host-state.js';
import { stopProcess } from '../../../src/rollout/platform/host/processes.js';
import { HostTarget } from '../../../src/rollout/targets/host/target.js';
import { initHost } from '../../../src/rollout/platform/host/init.js';
import type { HostRouter } from '../../../src/rollout/traffic/host-router.js';
import { HaproxyRouter } from '../../../src/rollout/traffic/haproxy.js';
import { NginxRouter } from '../../../src/rollout/traffic/nginx.js';
import { COLORS, type Color } from '../../../src/rollout/types.js';
import { ROOT } from '../files.js';
import { tempDir } from '../temp-dir.js';
import { claimPorts, waitFor } from '../net.js';
import { haproxyFiles, runHaproxy } from '../haproxy.js';
import { nginxPrefix, runNginx } from '../nginx.js';
import { startSift } from '../sift-process.js';
import { ensureTool } from '../tools.js';
import { nodeArgs } from '../compiled.js';
import { send } from '../http-client.js';

/**
 * A real host for the host target: the shipped nginx configuration (deploy/nginx) in a temporary prefix on a free
 * loopback port, started in the foreground, and a host config whose instances are real Sift processes run from
 * source. The releases differ only in their environment:
 *   1.0, 2.0      healthy (the bundled sample loaded, as a fresh install does);
 *   never-ready   its default index is never loaded: /health/ready answers 503 for ever;
 *   search-fails  credentials required for reads: ready, but /api/search answers 401.
 * Every instance is told its release (SIFT_RELEASE); which colour answered a request is read from nginx's own
 * access log (`upstream=127.0.0.1:<port>`), since Sift's responses do not name the instance.
 *
 * With `router: 'haproxy'` the shipped HAProxy configuration (deploy/haproxy) runs instead of nginx, in the
 * foreground on the same kind of port, with the backend file `sift deploy init` writes; its request log has the
 * same `upstream=` field, so everything below reads either.
 */

export const RELEASES = {
  v1: '1.0',
  v2: '2.0',
  notReady: 'never-ready',
  searchFails: 'search-fails',
} as const;

export interface HostFixtureOptions {
  /** The router in front of the instances (default nginx). */
  readonly router?: 'nginx' | 'haproxy';
  readonly instances?: number;
  readonly drainSeconds?: number;
  readonly readinessTimeoutSeconds?: number;
  /**
   * A host as a new user sets it up (docs/deploy.md, "First deploy on a host"): the upstream include is the one
   * shipped in deploy/nginx (naming the compose stack's servers), and this runs, with the host config's path,
   * before nginx starts (the test runs `sift deploy init` there).
   */
  readonly beforeNginx?: (configPath: string) => Promise<void>;
}

export interface HostFixture {
  readonly dir: string;
  readonly configPath: string;
  readonly config: HostConfig;
  readonly frontDoor: string;
  readonly accessLog: string;
  readonly errorLog: string;
  readonly target: HostTarget;
  readonly router: HostRouter;
  /** A second target over the same state, as a second operator's CLI would open it. */
  readonly other: HostTarget;
  /**
   * Sends `n` uniquely named searches through nginx, one after another, and counts, from nginx's access log, which
   * colour answered.
   */
  observe(n: number): Promise<Record<Color, number>>;
  /** Who answered the requests whose URL contains `marker`, from nginx's access log (by colour and instance). */
  answeredBy(marker: string): {
    byColor: Record<Color, number>;
    byPort: Record<string, number>;
    /** Access log lines for the marker: one per request nginx received. */
    logged: number;
  };
  /**
   * Records when nginx starts a new worker generation (a reload), for lining failures up with reloads. HAProxy
   * runs without a master process and cannot reload: it records nothing, and stop() throws if HAProxy exited.
   */
  watchReloads(): { stop(): number[] };
  close(): Promise<void>;
}

/** What was appended to a file since the last call (from its size when made): the new text of a log. */
function appendedTo(path: string): () => string {
  let offset = statSync(path).size;
  return () => {
    const size = statSync(path).size;
    if (size <= offset) return '';
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(size - offset);
      readSync(fd, buf, 0, buf.length, offset);
      offset = size;
      return buf.toString('utf8');
    } finally {
      closeSync(fd);
    }
  };
}

/** Reads what is appended to a log file, for waiting on a line without rereading the whole file each time. */
function tailOf(path: string): { waitFor(text: string, timeoutMs: number): Promise<boolean> } {
  const next = appendedTo(path);
  let pending = '';
  return {
    async waitFor(text, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        pending += next();
        const at = pending.indexOf(text);
        if (at >= 0) {
          pending = pending.slice(at + text.length);
          return true;
        }
        if (Date.now() >= deadline) return false;
        await new Promise((r) => setTimeout(r, 2));
      }
    },
  };
}

/** Kills every instance the state names, whatever phase it is in: the teardown must not depend on the code under test. */
async function killInstances(stateDir: string): Promise<void> {
  const path = join(stateDir, 'state.json');
  if (!existsSync(path)) return;
  const state = parseState(JSON.parse(readFileSync(path, 'utf8')), path);
  await Promise.all(
    state.instances.map((i) => stopProcess({ pid: i.pid, startTicks: i.startTicks }, 15_000)),
  );
}

export async function startHostFixture(options: HostFixtureOptions = {}): Promise<HostFixture> {
  const bin = await ensureTool(options.router ?? 'nginx');
  const tmp = tempDir('sift-host-');
  // The instance ports sit unbound between releases for minutes: claimed, so no other test can take one meanwhile.
  const claim = await claimPorts(7);
  let proxy: ChildProcess | null = null;
  try {
    return await setUp(options, bin, tmp, claim, (child) => (proxy = child));
  } catch (err) {
    const started = proxy as ChildProcess | null;
    if (started && started.exitCode === null)
      started.kill(options.router === 'haproxy' ? 'SIGUSR1' : 'SIGQUIT');
    tmp.remove();
    claim.release();
    throw err;
  }
}

async function setUp(
  options: HostFixtureOptions,
  bin: string,
  tmp: { path: string; remove(): void },
  claim: { ports: number[]; release(): void },
  started: (nginx: ChildProcess) => void,
): Promise<HostFixture> {
  const dir = tmp.path;
  // nginx's workers run unprivileged when the test runs as root; they must reach the cache inside the prefix.
  chmodSync(dir, 0o755);
  const [proxyPort, ...ports] = claim.ports;
  const blue = ports.slice(0, 3);
  const green = ports.slice(3, 6);
  const haproxy = options.router === 'haproxy';
  const prefix = join(dir, haproxy ? 'haproxy' : 'nginx');
  let routerSection: Record<string, unknown>;
  let startProxy: (config: HostConfig) => Promise<{ child: ChildProcess; url: string }>;
  let accessLog: string;
  let errorLog: string;
  if (haproxy) {
    mkdirSync(prefix);
    const f = haproxyFiles(prefix, proxyPort!);
    routerSection = {
      router: 'haproxy',
      haproxy: { socket: f.socket, backendFile: f.backendFile, frontDoor: `http://127.0.0.1:${proxyPort}` },
    };
    startProxy = async (config) => {
      // A host never deployed to: `sift deploy init` writes the backend (blue active, every server in
      // maintenance), without which HAProxy does not start.
      if (!options.beforeNginx) await initHost(config);
      return runHaproxy(f, proxyPort!);
    };
    accessLog = f.log;
    errorLog = join(prefix, 'haproxy.err');
  } else {
    const p = nginxPrefix(prefix, {
      port: proxyPort!,
      upstreams: [],
      // Notices carry the master's "reconfiguring" line, one per reload: what watchReloads counts.
      edit: (conf) => conf.replace(/^(error_log \S+) warn;/m, '$1 notice;'),
    });
    const upstreamFile = join(prefix, 'conf', 'upstream.d', 'sift-active.conf');
    if (options.beforeNginx) {
      copyFileSync(join(ROOT, 'deploy', 'nginx', 'upstream.d', 'sift-active.conf'), upstreamFile);
    } else {
      // A host never deployed to: the include names blue as active and has no instance to send to yet.
      writeFileSync(upstreamFile, `# active: blue\nserver 127.0.0.1:${blue[0]} down;\n`);
    }
    routerSection = {
      nginx: {
        binary: bin,
        prefix: p.prefix,
        conf: p.conf,
        upstreamFile,
        frontDoor: `http://127.0.0.1:${proxyPort}`,
      },
    };
    startProxy = async (config) => {
      // Started by the one nginx helper; the host config's binary is the same tool, so `sift deploy` reloads it.
      const running = await runNginx(p, proxyPort!);
      await waitFor(async () => existsSync(config.nginx!.pidFile), 10_000);
      return running;
    };
    accessLog = join(prefix, 'access.log');
    errorLog = join(prefix, 'error.log');
  }

  const seed = join(dir, 'seed-data');
  const seeder = await startSift({ dataDir: seed, env: { LOAD_SAMPLE_DATA: 'true' } });
  await seeder.stop();

  const configPath = join(dir, 'host.yaml');
  writeFileSync(
    configPath,
    stringify({
      ...routerSection,
      instances: options.instances ?? 2,
      ports: { blue, green },
      // Each instance starts from a copy of a data directory seeded once, instead of indexing the 25,000
      // sample documents itself: a burst of CPU that, on a busy machine, starves the instances serving the load.
      // `exec` keeps the recorded pid the Sift process's own.
      command: [
        '/bin/sh',
        '-c',
        'test -d "$DATA_DIR" || cp -R "$SIFT_SEED_DATA" "$DATA_DIR"; exec "$0" "$@"',
        process.execPath,
        ...nodeArgs('test/support/fixtures/serve.ts'),
      ],
      cwd: ROOT,
      inheritEnv: false,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOST: '127.0.0.1',
        PORT: '{port}',
        // One data directory per port: a release replacing another on the same port finds the sample loaded.
        DATA_DIR: '{stateDir}/data/{id}',
        SIFT_SEED_DATA: seed,
        LOAD_SAMPLE_DATA: 'true',
        LOG_LEVEL: 'warn',
        LOG_FORMAT: 'json',
        NO_COLOR: '1',
        // nginx is the client Sift sees; X-Forwarded-For from it names the real one for Sift's rate limits.
        TRUSTED_PROXIES: '127.0.0.1',
        SIFT_RELEASE: '{image}',
      },
      releases: {
        [RELEASES.v1]: null,
        [RELEASES.v2]: null,
        [RELEASES.notReady]: { env: { LOAD_SAMPLE_DATA: 'false', DEFAULT_INDEX: 'never-loaded' } },
        [RELEASES.searchFails]: { env: { AUTH_REQUIRED: 'true', AUTH_PUBLIC_READS: 'false' } },
      },
      readiness: { timeoutSeconds: options.readinessTimeoutSeconds ?? 120 },
      drainSeconds: options.drainSeconds ?? 10,
      stopTimeoutSeconds: 20,
      stateDir: join(dir, 'state'),
    }),
  );
  const config = loadHostConfig(configPath);
  await options.beforeNginx?.(configPath);

  const running = await startProxy(config);
  const proxy: ChildProcess = running.child;
  started(proxy);
  const frontDoor = running.url;

  const target = new HostTarget(config);
  const router = haproxy ? new HaproxyRouter(config) : new NginxRouter(config);
  const other = new HostTarget(config);
  let observed = 0;
  const answeredBy = (marker: string) => {
    const byColor: Record<Color, number> = { blue: 0, green: 0 };
    const byPort: Record<string, number> = {};
    let logged = 0;
    for (const line of readFileSync(accessLog, 'utf8').split('\n')) {
      if (!line.includes(marker)) continue;
      logged++;
      // With a retry on another server nginx lists both; the last one answered.
      const upstream = / upstream=(.*?) upstream_time=/.exec(line)?.[1]?.split(', ').at(-1) ?? '';
      const port = Number(upstream.split(':').at(-1));
      const color = blue.includes(port) ? 'blue' : green.includes(port) ? 'green' : null;
      if (color) byColor[color]++;
      const key = color ? `${color}-${port}` : upstream || '-';
      byPort[key] = (byPort[key] ?? 0) + 1;
    }
    return { byColor, byPort, logged };
  };

  return {
    dir,
    configPath,
    config,
    frontDoor,
    accessLog,
    errorLog,
    target,
    router,
    other,
    async observe(n) {
      const marker = `observe${process.pid}x${++observed}`;
      // One request at a time, each sent once the one before it is in the access log. The shipped upstream
      // balances with least_conn over a zone shared by nginx's workers: a request goes to the server with the
      // fewest in-flight requests per weight. nginx releases its upstream connection after the client has the
      // response, and writes the log line after that; a next request arriving in between (another worker can
      // take it) still sees the previous server busy and goes to the other colour, which on a busy machine gave
      // blue 34 % at a weight of 20. With the log line written, every server ties at zero in flight, and the
      // tie goes to nginx's smooth weighted round robin, whose share over whole cycles is the weight exactly.
      const log = tailOf(accessLog);
      // From 32 loopback addresses in turn: the shipped front door limits each client address's search rate.
      const agents = Array.from(
        { length: 32 },
        (_, k) => new Agent({ keepAlive: true, maxSockets: 1, localAddress: `127.0.0.${k + 2}` }),
      );
      try {
        for (let i = 0; i < n; i++) {
          const { status } = await send(`${frontDoor}/api/search?q=${marker}n${i}`, {
            agent: agents[i % agents.length]!,
          });
          if (status !== 200) throw new Error(`observe: request ${i} of ${n} answered ${status}`);
          // Bounded: a line that never comes shows in the count check below, not as a hang.
          await log.waitFor(`q=${marker}n${i} `, 5_000);
        }
      } finally {
        for (const a of agents) a.destroy();
      }
      const seen = answeredBy(`q=${marker}n`);
      if (seen.logged !== n) throw new Error(`observe: ${seen.logged} of ${n} requests in the access log`);
      return seen.byColor;
    },
    answeredBy,
    watchReloads() {
      if (haproxy) {
        return {
          stop() {
            if (proxy.exitCode !== null || proxy.signalCode !== null) throw new Error('HAProxy exited');
            return [];
          },
        };
      }
      // The master logs one notice per reload it acts on; the workers of a generation, polled, could straddle
      // any time window on a saturated machine and count one reload twice (CI once saw 11 for 10).
      const next = appendedTo(errorLog);
      let pending = '';
      const at: number[] = [];
      const poll = () => {
        const lines = (pending + next()).split('\n');
        pending = lines.pop()!;
        for (const line of lines) if (/\[notice\] \d+#\d+: reconfiguring\r?$/.test(line)) at.push(Date.now());
      };
      const timer = setInterval(poll, 20);
      return {
        stop() {
          clearInterval(timer);
          poll();
          return at;
        },
      };
    },
    async close() {
      await target.stopConverging().catch(() => undefined);
      await killInstances(config.stateDir).catch(() => undefined);
      if (proxy.exitCode === null && proxy.signalCode === null) {
        proxy.kill(haproxy ? 'SIGUSR1' : 'SIGQUIT');
        await new Promise((r) => proxy.once('exit', r));
      }
      if (haproxy && existsSync(errorLog)) {
        const text = readFileSync(errorLog, 'utf8').trim();
        if (/\[ALERT\]/.test(text)) console.error(`HAProxy's own messages:\n${text.slice(-4000)}`);
      } else if (existsSync(errorLog)) {
        // nginx's own account of failed upstream attempts, for a failed run's log: each kind of message once.
        const kinds = new Map<string, { count: number; first: string }>();
        for (const line of readFileSync(errorLog, 'utf8').split('\n')) {
          const m = /\[(error|crit|alert|emerg)\] \d+#\d+: (?:\*\d+ )?([^,]*)/.exec(line);
          if (!m) continue;
          const kind = `${m[1]}: ${m[2]!.replace(/\d+/g, 'N')}`;
          const k = kinds.get(kind) ?? { count: 0, first: line };
          k.count++;
          kinds.set(kind, k);
        }
        if (kinds.size > 0) {
          console.error(
            [...kinds].map(([kind, k]) => `nginx ${kind} (x${k.count}), first: ${k.first}`).join('\n'),
          );
        }
      }
      tmp.remove();
      claim.release();
    },
  };
}

/**
 * A host where router and release tests start: both colours running (`images`, v1 unless given; `replicas`
 * instances each, 1 unless given) and ready, traffic on blue. The host is closed if it does not get there.
 */
export async function startServingHost(
  options: HostFixtureOptions & { images?: Partial<Record<Color, string>>; replicas?: number } = {},
): Promise<HostFixture> {
  const fx = await startHostFixture(options);
  try {
    const signal = new AbortController().signal;
    for (const color of COLORS) {
      await fx.target.setImage(color, options.images?.[color] ?? RELEASES.v1);
      await fx.target.scale(color, options.replicas ?? 1);
    }
    for (const color of COLORS) {
      const r = await fx.target.waitReady(color, { timeoutMs: 180_000, signal });
      if (!r.ok) throw new Error(`${color} not ready: ${r.reason}\n${instanceLogs(fx)}`);
    }
    await fx.router.switchTo('blue');
  } catch (err) {
    await fx.close();
    throw err;
  }
  return fx;
}

/** Log files of the instances (for failure messages). */
export function instanceLogs(fx: HostFixture): string {
  const logs = join(fx.config.stateDir, 'logs');
  if (!existsSync(logs)) return '';
  return readdirSync(logs)
    .map((f) => `--- ${f}\n${readFileSync(join(logs, f), 'utf8').slice(-2000)}`)
    .join('\n');
}
