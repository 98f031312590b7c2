import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { SERVICE_NAMES, type ServiceName, type ServiceUrls } from './support/service-names.js';

const run = promisify(execFile);

/**
 * Starts the real servers the integration tests use (each through its script in scripts/services/, which installs
 * it when missing), hands their URLs to the tests with `inject('services')`, and stops the ones it started.
 * SIFT_TEST_SERVICES=redis,opensearch limits the set for a quick local run; tests needing a missing one fail.
 */
interface Started {
  url: string;
  started: boolean;
}

function wanted(): ServiceName[] {
  const raw = process.env.SIFT_TEST_SERVICES;
  if (raw === undefined) return [...SERVICE_NAMES];
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names) {
    if (!(SERVICE_NAMES as readonly string[]).includes(n))
      throw new Error(`SIFT_TEST_SERVICES: unknown service ${n}`);
  }
  return names as ServiceName[];
}

async function script(name: ServiceName, action: 'start' | 'stop'): Promise<string> {
  const { stdout } = await run('bash', [`scripts/services/${name}.sh`, action], {
    // A first start may build the control plane from source (about 13 minutes on 2 cores).
    timeout: 40 * 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const names = wanted();
  const results = await Promise.all(
    names.map(async (name) => {
      const out = await script(name, 'start').catch((err: { stderr?: string; message: string }) => {
        throw new Error(`starting ${name} failed: ${err.stderr ?? err.message}`);
      });
      const last = out.trim().split('\n').at(-1) ?? '';
      return [name, JSON.parse(last) as Started] as const;
    }),
  );
  const urls: ServiceUrls = {};
  for (const [name, r] of results) urls[name] = r.url;
  project.provide('services', urls);
  return async () => {
    await Promise.all(results.filter(([, r]) => r.started).map(([name]) => script(name, 'stop')));
  };
}
