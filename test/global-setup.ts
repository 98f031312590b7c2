import { execFile } from 'node:child_process';
import { relative } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { buildForSpawns } from './support/compiled.js';
import { SERVICE_NAMES, type ServiceName, type ServiceUrls } from './support/service-names.js';
import { servicesFor } from './support/service-needs.js';

const run = promisify(execFile);

/**
 * Starts the real servers that the test files of this run declare (`@services` in a file's comments; see
 * support/service-needs.ts), each through its script in scripts/services/, which installs it when missing; hands
 * their URLs to the tests with `inject('services')`; and stops the ones it started. A run of pure tests starts
 * nothing; `npm test` selects every file and so starts every server.
 */
interface Started {
  url: string;
  started: boolean;
}

async function script(name: ServiceName, action: 'start' | 'stop'): Promise<string> {
  const { stdout } = await run('bash', [`scripts/services/${name}.sh`, action], {
    // A first start may build the control plane from source (about 13 minutes on 2 cores).
    timeout: 40 * 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

/**
 * The files selected for this run. Vitest records them before it runs the global setup; its state API is marked
 * experimental, so a version that no longer offers it starts every server rather than too few.
 */
function selectedFiles(project: TestProject): string[] | null {
  const paths = project.vitest.state?.getPaths?.();
  return Array.isArray(paths) && paths.length > 0 ? paths : null;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const files = selectedFiles(project);
  const names = files ? servicesFor(files) : [...SERVICE_NAMES];
  if (names.length > 0) console.log(`Real servers for this run: ${names.join(', ')}`);
  // Only the files under test/ spawn processes (a run of src/ unit tests spawns none).
  const spawns = !files || files.some((f) => !relative(project.config.root, f).startsWith('src'));
  const built = spawns ? buildForSpawns().then((line) => console.log(line)) : Promise.resolve();
  // In watch mode, a rerun spawns what the sources are now, not what they were when the run started.
  if (spawns) project.onTestsRerun(async () => console.log(await buildForSpawns()));
  const settled = await Promise.allSettled(
    names.map(async (name) => {
      const out = await script(name, 'start').catch((err: { stderr?: string; message: string }) => {
        throw new Error(`starting ${name} failed: ${err.stderr ?? err.message}`);
      });
      const last = out.trim().split('\n').at(-1) ?? '';
      return [name, JSON.parse(last) as Started] as const;
    }),
  );
  const results = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) {
    // The run ends here and vitest calls no teardown: the servers that did start are stopped now, not left
    // running after it (a control plane outlived a failed start this way).
    await Promise.allSettled(results.filter(([, r]) => r.started).map(([name]) => script(name, 'stop')));
    throw failed.reason;
  }
  await built;
  const urls: ServiceUrls = {};
  for (const [name, r] of results) urls[name] = r.url;
  project.provide('services', urls);
  return async () => {
    await Promise.all(results.filter(([, r]) => r.started).map(([name]) => script(name, 'stop')));
  };
}
