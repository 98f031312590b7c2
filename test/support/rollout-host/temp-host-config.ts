import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseHostConfig, type HostConfig } from '../../../src/rollout/platform/host/config.js';
import { tempDir } from '../temp-dir.js';

/**
 * A valid host config over a temporary directory, for the unit tests of this folder and of the nginx router: no
 * nginx runs, so only what works without one (rendering, parsing, validation, files, locks) is tested with it.
 */
export function tempHostConfig(overrides: Record<string, unknown> = {}): {
  config: HostConfig;
  dir: string;
  raw: Record<string, unknown>;
  remove(): void;
} {
  const dir = tempDir('sift-host-unit-').path;
  writeFileSync(join(dir, 'nginx.conf'), 'pid run/nginx.pid;\nevents {}\n');
  const raw: Record<string, unknown> = {
    nginx: {
      prefix: dir,
      conf: 'nginx.conf',
      upstreamFile: 'sift-active.conf',
      frontDoor: 'http://127.0.0.1:8080/',
    },
    ports: { blue: [8101, 8102, 8103], green: [8201, 8202, 8203] },
    command: ['node', 'dist/bin/sift.js', 'serve'],
    env: { PORT: '{port}', DATA_DIR: '/var/lib/sift/{color}-{port}', RELEASE: '{image}' },
    stateDir: 'state',
    ...overrides,
  };
  return {
    config: parseHostConfig(raw, dir, 'test.yaml'),
    dir,
    raw,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
