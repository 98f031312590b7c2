import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, sift, siftSpawn } from '../../support/cli.js';
import { tempDir } from '../../support/temp-dir.js';

describe('sift serve', { timeout: 120_000 }, () => {
  const data = tempDir();
  afterAll(() => data.remove());

  it('serves the local data directory on --port/--host and exits 0 on SIGTERM', async () => {
    expect(
      sift(data.path, [
        'import',
        fixture('packages.ndjson'),
        '--index',
        'pkgs',
        '--schema',
        fixture('packages.schema.yaml'),
      ]).code,
    ).toBe(0);

    // PORT from the environment is overridden by --port (0: any free port).
    const child = siftSpawn(data.path, ['serve', '--port', '0', '--host', '127.0.0.1'], {
      PORT: '1',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = once(child, 'exit');
    try {
      const listening = await new Promise<{ url: string; indexes: Record<string, number> }>(
        (resolve, reject) => {
          const lines = createInterface({ input: child.stdout });
          lines.on('line', (line) => {
            try {
              const entry = JSON.parse(line) as { url?: string; indexes?: Record<string, number> };
              if (entry.url && entry.indexes) resolve({ url: entry.url, indexes: entry.indexes });
            } catch {
              // not a log line
            }
          });
          child.on('exit', (code) => reject(new Error(`serve exited ${code} before listening: ${stderr}`)));
        },
      );
      expect(listening.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(listening.url).not.toMatch(/:1$/);
      expect(listening.indexes).toEqual({ pkgs: 5 });
      const res = await fetch(`${listening.url}/health/live`);
      expect(res.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await exited;
    expect(code).toBe(0);
  });

  it('rejects a bad --port as a usage error', () => {
    const r = sift(data.path, ['serve', '--port', 'http']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--port');
  });
});
