import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../../src/auth/jwt.js';
import { freePort } from '../../support/net.js';
import { readText } from '../../support/files.js';
import { execForm, parseDockerfile, stageEnv } from '../../integration/deploy/support/dockerfile.js';
import {
  buildah,
  buildahEnv,
  buildahUnavailable,
  buildImage,
  imageConfig,
  type BuiltImage,
  type ImageConfig,
} from '../../support/image/buildah.js';

/**
 * Must show: the project's Dockerfile, unchanged, built for real (buildah, no Docker engine) and its entrypoint run
 * from the built rootfs with the image's own env and user: it serves the sample data, answers readiness, passes its
 * own HEALTHCHECK command and drains on SIGTERM within the grace. Prints the image size and the start time.
 * The build is cached (scripts/image/build.sh skips it when its inputs did not change); a cold one takes minutes.
 */

// The script's default tag: a build made by hand with the same inputs is reused.
const TAG = 'sift:local';
const JWT_SECRET = 'image-test-secret-of-more-than-32-characters';
const unavailable = await buildahUnavailable();
if (unavailable) console.warn(`[image] skipped: ${unavailable}`);

/** The node processes buildah run started: those whose command is the entrypoint and whose env has our port. */
function serverPids(port: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (!cmd.includes('dist/bin/sift.js')) continue;
      const env = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
      if (env.includes(`PORT=${port}`)) pids.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids.sort((a, b) => a - b);
}

/** The server itself: the first of them (a cluster primary starts before its workers). */
const findServerPid = (port: number): number | undefined => serverPids(port)[0];

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.skipIf(unavailable !== null)(
  'the production image, built with buildah and run from its rootfs',
  () => {
    let built: BuiltImage;
    let config: ImageConfig;
    let container = '';
    let rootfs = '';
    let server: ChildProcess | undefined;
    let serverPid: number | undefined;
    let port = 0;
    let serverLog = '';

    beforeAll(async () => {
      const started = Date.now();
      built = await buildImage(TAG);
      console.log(
        `[image] ${TAG} ${built.size} (goal under 200 MB); ${built.built ? `built in ${Math.round((Date.now() - started) / 1000)} s` : 'inputs unchanged, build skipped'}`,
      );
      config = await imageConfig(TAG);
      container = await buildah(['from', '--pull=never', '--quiet', TAG]);
      rootfs = await buildah(['mount', container]);
    }, 45 * 60_000);

    afterAll(async () => {
      // Killing buildah run does not reach the server it started in the chroot: end every process of ours by pid.
      if (port) for (const pid of serverPids(port)) if (alive(pid)) process.kill(pid, 'SIGKILL');
      if (server && server.exitCode === null && server.signalCode === null) {
        server.kill('SIGKILL');
        await once(server, 'exit');
      }
      if (container) {
        await buildah(['umount', container]).catch(() => undefined);
        await buildah(['rm', container]).catch(() => undefined);
      }
    }, 60_000);

    it('runs as a numeric, non-root user', () => {
      expect(config.User).toMatch(/^\d+:\d+$/);
      expect(config.User.split(':')[0]).not.toBe('0');
    });

    it('is configured as its Dockerfile says: env, port, entrypoint, HEALTHCHECK, stop signal', () => {
      const runtime = parseDockerfile(readText('Dockerfile')).stages.at(-1)!;
      const last = (keyword: string) =>
        runtime.instructions.filter((i) => i.keyword === keyword).at(-1)!.args;
      const env = stageEnv(runtime);
      for (const [name, value] of Object.entries(env)) expect(config.Env).toContain(`${name}=${value}`);
      expect(Object.keys(config.ExposedPorts)).toEqual([`${last('EXPOSE')}/tcp`]);
      expect(config.WorkingDir).toBe(last('WORKDIR'));
      expect(config.User).toBe(last('USER'));
      expect(config.Entrypoint).toEqual(execForm(last('ENTRYPOINT')));
      expect(config.Cmd).toEqual(execForm(last('CMD')));
      expect(config.StopSignal).toBe(last('STOPSIGNAL'));
      expect(config.Healthcheck.Test).toEqual([
        'CMD',
        ...execForm(last('HEALTHCHECK').replace(/^(--\S+\s+)*/, ''))!,
      ]);
    });

    it('carries only the bundle, the packages it cannot include, the sample data and package.json in /app', () => {
      expect(readdirSync(`${rootfs}/app`).sort()).toEqual(['data', 'dist', 'node_modules', 'package.json']);
      expect(readdirSync(`${rootfs}/app/data`)).toEqual(['sample']);
      // The application and its reader and import writer threads, bundled; the pages. No TypeScript sources or
      // per-module files.
      expect(readdirSync(`${rootfs}/app/dist`).sort()).toEqual(['bin', 'page']);
      expect(readdirSync(`${rootfs}/app/dist/bin`).sort()).toEqual([
        'read-worker.js',
        'sift.js',
        'write-worker.js',
      ]);
      const modules = readdirSync(`${rootfs}/app/node_modules`);
      // The embedded engine loads sqlite-vec into every connection (the server below would not start without it):
      // its compiled extension comes as the platform's optional dependency. pino loads its transports by name.
      expect(modules).toEqual(
        expect.arrayContaining([
          'better-sqlite3',
          'sqlite-vec',
          'sqlite-vec-linux-x64',
          'pino',
          'pino-pretty',
        ]),
      );
      // Bundled, development-only or install-only packages are not there.
      for (const absent of [
        'fastify',
        '@kubernetes',
        'vitest',
        'typescript',
        'eslint',
        'tsx',
        'esbuild',
        'prebuild-install',
      ])
        expect(modules).not.toContain(absent);
      // better-sqlite3 as it runs: its addon and JavaScript, not its C sources or build intermediates.
      expect(readdirSync(`${rootfs}/app/node_modules/better-sqlite3`).sort()).toEqual([
        'LICENSE',
        'build',
        'lib',
        'package.json',
      ]);
    });

    it('has no distribution: node, the libraries it links and CA certificates; no shell, package manager or npm', () => {
      expect(readdirSync(`${rootfs}/usr/local/bin`)).toEqual(['node']);
      for (const absent of [
        'bin/sh',
        'bin/bash',
        'usr/bin',
        'usr/local/lib/node_modules',
        'usr/local/include',
        'var/lib/dpkg',
      ])
        expect(existsSync(`${rootfs}/${absent}`), absent).toBe(false);
      expect(existsSync(`${rootfs}/lib64/ld-linux-x86-64.so.2`)).toBe(true);
      expect(statSync(`${rootfs}/etc/ssl/certs/ca-certificates.crt`).size).toBeGreaterThan(100_000);
      // Writable by the service user: its data directory, and /tmp as everyone's.
      expect(statSync(`${rootfs}/var/lib/sift`).uid).toBe(Number(config.User.split(':')[0]));
      expect(statSync(`${rootfs}/tmp`).mode & 0o1777).toBe(0o1777);
    });

    it('starts from its entrypoint with the image env, serves the sample data and passes its HEALTHCHECK', async () => {
      port = await freePort();
      const started = Date.now();
      // buildah run applies the image's env, user and working directory; the entrypoint and command are the image's.
      server = spawn(
        'buildah',
        [
          'run',
          '--isolation',
          'chroot',
          '--env',
          `PORT=${port}`,
          '--env',
          `JWT_SECRET=${JWT_SECRET}`,
          // Production loads the bundled sample only when asked, as deploy/compose/sift.env asks.
          '--env',
          'LOAD_SAMPLE_DATA=true',
          container,
          '--',
          ...config.Entrypoint,
          ...config.Cmd,
        ],
        { env: buildahEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
      );
      server.stdout!.on('data', (c: Buffer) => (serverLog += c.toString()));
      server.stderr!.on('data', (c: Buffer) => (serverLog += c.toString()));
      const url = `http://127.0.0.1:${port}`;
      await until('ready', 120_000, async () => {
        if (server!.exitCode !== null) throw new Error(`exited: ${serverLog}`);
        return (await fetch(`${url}/health/ready`)).status === 200 ? true : undefined;
      }).catch((err: Error) => {
        throw new Error(`${err.message}\n${serverLog.slice(-2000)}`);
      });
      console.log(`[image] ready in ${Date.now() - started} ms (buildah run to /health/ready 200)`);
      serverPid = findServerPid(port);
      expect(serverPid).toBeDefined();
      // Its own user, not root, inside the rootfs.
      const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${serverPid}/status`, 'utf8'))![1];
      expect(uid).toBe(config.User.split(':')[0]);

      const token = await mintToken(
        {
          JWT_ALGORITHM: 'HS256',
          JWT_SECRET,
          JWT_PUBLIC_KEY_FILE: '',
          JWT_JWKS_FILE: '',
          JWT_ISSUER: '',
          JWT_AUDIENCE: '',
        } as Parameters<typeof mintToken>[0],
        { scopes: ['search'], hours: 1, subject: 'image-test' },
      );
      const search = await fetch(`${url}/api/search?q=react`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(search.status).toBe(200);
      const body = (await search.json()) as { hits: unknown[]; total?: number };
      expect(body.hits.length).toBeGreaterThan(0);

      expect(config.Healthcheck.Test[0]).toBe('CMD');
      const check = spawn(
        'buildah',
        [
          'run',
          '--isolation',
          'chroot',
          '--env',
          `PORT=${port}`,
          container,
          '--',
          ...config.Healthcheck.Test.slice(1),
        ],
        { env: buildahEnv(), stdio: 'ignore' },
      );
      const [code] = (await once(check, 'exit')) as [number | null];
      expect(code).toBe(0);
    }, 180_000);

    it('drains on SIGTERM and exits within SHUTDOWN_GRACE_MS', async () => {
      expect(serverPid).toBeDefined();
      expect(config.StopSignal).toBe('SIGTERM');
      const graceMs = 10_000;
      const sent = Date.now();
      process.kill(serverPid!, 'SIGTERM');
      await until('exit after SIGTERM', graceMs + 5_000, async () => (alive(serverPid!) ? undefined : true));
      const tookMs = Date.now() - sent;
      console.log(`[image] exited ${tookMs} ms after SIGTERM`);
      // The grace is the server's own bound (SHUTDOWN_GRACE_MS, default 10 s), with room for a loaded machine.
      expect(tookMs).toBeLessThan(graceMs + 5_000);
      const [code] =
        server!.exitCode !== null ? [server!.exitCode] : ((await once(server!, 'exit')) as [number | null]);
      expect(code, serverLog.slice(-2000)).toBe(0);
    }, 60_000);

    it('runs the sift CLI from the image: deploy, import and search', async () => {
      // Each command in its own `buildah run`, with a data directory of its own under the image's /tmp.
      const sift = (args: string[]) =>
        buildah(
          [
            'run',
            '--isolation',
            'chroot',
            '--env',
            'DATA_DIR=/tmp/sift-cli',
            // Production refuses to load its configuration without a real secret, for every command.
            '--env',
            `JWT_SECRET=${JWT_SECRET}`,
            container,
            '--',
            ...config.Entrypoint,
            ...args,
          ],
          180_000,
        );
      expect(await sift(['deploy', '--help'])).toContain('blue-green');
      // The bundled Kubernetes client loads and refuses cleanly without credentials (exit 2, its own error code).
      const refused = await sift(['deploy', 'status', '--target', 'kubernetes']).then(
        () => undefined,
        (err: { code?: number; stderr?: string }) => err,
      );
      expect(refused?.code).toBe(2);
      expect(refused?.stderr).toContain('DEPLOY_INVALID');

      const imported = JSON.parse(
        await sift([
          'import',
          'data/sample/packages.ndjson.gz',
          '--index',
          'cli',
          '--schema',
          'data/sample/packages.schema.yaml',
          '--json',
        ]),
      ) as { indexed: number; failed: number };
      expect(imported.failed).toBe(0);
      expect(imported.indexed).toBeGreaterThan(0);
      // Again into the now live index, in small batches: from the second batch on, the import writes on its writer
      // thread, which the bundle must carry as a file of its own.
      const again = JSON.parse(
        await sift([
          'import',
          'data/sample/packages.ndjson.gz',
          '--index',
          'cli',
          '--batch',
          '5000',
          '--json',
        ]),
      ) as { indexed: number; failed: number; updated: number };
      expect(again).toMatchObject({ failed: 0, indexed: imported.indexed, updated: imported.indexed });
      const found = JSON.parse(await sift(['search', 'react', '--index', 'cli', '--json'])) as {
        hits: { id: string }[];
      };
      expect(found.hits[0]?.id).toBe('react');
    }, 240_000);
  },
);
