import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ROOT } from '../cli.js';

const run = promisify(execFile);

/** buildah's settings on a machine without a container engine: the same file scripts/image/build.sh writes. */
export function buildahEnv(): NodeJS.ProcessEnv {
  const cache =
    process.env.SIFT_CACHE_DIR ?? `${process.env.XDG_CACHE_HOME ?? `${process.env.HOME}/.cache`}/sift`;
  return { ...process.env, CONTAINERS_CONF: `${cache}/image/containers.conf` };
}

export async function buildah(args: string[], timeoutMs = 120_000): Promise<string> {
  const { stdout } = await run('buildah', args, {
    env: buildahEnv(),
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout.trim();
}

/** Why buildah cannot be used here (installed through the service scripts' installer when missing), or null. */
export async function buildahUnavailable(): Promise<string | null> {
  try {
    await run('bash', ['-c', 'source scripts/services/lib.sh && apt_install buildah mmdebstrap uidmap'], {
      cwd: ROOT,
      timeout: 10 * 60_000,
    });
    await run('buildah', ['--version']);
    return null;
  } catch (err) {
    return `buildah cannot be installed: ${(err as Error).message.split('\n').slice(0, 3).join(' ')}`;
  }
}

export interface BuiltImage {
  image: string;
  id: string;
  size: string;
  built: boolean;
}

/** Builds the Dockerfile with scripts/image/build.sh; a no-op when its inputs did not change since the last build. */
export async function buildImage(tag: string): Promise<BuiltImage> {
  const { stdout } = await run('bash', ['scripts/image/build.sh', tag], {
    cwd: ROOT,
    timeout: 40 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as BuiltImage;
}

/** The parts of a Docker-format image configuration the tests check. */
export interface ImageConfig {
  User: string;
  Env: string[];
  WorkingDir: string;
  Entrypoint: string[];
  Cmd: string[];
  ExposedPorts: Record<string, object>;
  StopSignal: string;
  Healthcheck: { Test: string[]; Interval: number; Timeout: number; StartPeriod: number; Retries: number };
}

export async function imageConfig(tag: string): Promise<ImageConfig> {
  const info = JSON.parse(await buildah(['inspect', '--type', 'image', tag])) as {
    Docker: { config: ImageConfig };
  };
  return info.Docker.config;
}
