import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTool, runTool } from '../../support/tools.js';
import { killQuietly, spawnServer, type Child } from '../../support/sift-process.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * Schemathesis (pinned in schemathesis/requirements.txt, installed from PyPI into a venv in the user's cache by
 * scripts/tools/ensure.sh) generates requests from /openapi.json, valid and invalid, sends them to a real server on
 * the embedded engine with the bundled sample, and checks every answer against the document: no 5xx, statuses,
 * content types, headers and bodies as documented, valid data accepted, invalid data refused, deleted resources
 * gone, and the stateful sequences it finds through the document's links.
 *
 * Every check runs on every operation: schemathesis enables all of them when none is named (naming them on the
 * command line would override the per-operation settings), schemathesis/schemathesis.toml states per operation the
 * answers the document cannot express, each with its reason, and schemathesis/hooks.py adds a check that keeps
 * those allowances narrow. The test fails on any failure.
 */

const CONFIG = fileURLToPath(new URL('./schemathesis/schemathesis.toml', import.meta.url));
/** Sift's own check: a 400 to valid data must carry a code whose reason the document cannot state. */
const HOOKS = fileURLToPath(new URL('./schemathesis/hooks.py', import.meta.url));

/** Cases per operation and phase: enough to cover each schema's branches, small enough for about a minute. */
const MAX_EXAMPLES = 25;
/** A fixed seed makes a failure reproducible; SIFT_SCHEMATHESIS_SEED explores others. */
const SEED = process.env.SIFT_SCHEMATHESIS_SEED ?? '1206';

/** Checks the service cannot pass yet, each with its reason; empty: every check runs. */
const PENDING_CHECKS: string[] = [];

let server: Child | undefined;
let dataDir = '';
let work = '';
let schemathesis = '';
/** A failed run keeps its reports and example database for a look; a passing one leaves nothing behind. */
let keepWork = false;

beforeAll(async () => {
  schemathesis = await ensureTool('schemathesis');
  dataDir = tempDir('sift-schemathesis-data-').path;
  // Its example database, reports and cache go here, never into the repository.
  work = tempDir('sift-schemathesis-run-').path;
  server = await spawnServer(
    {
      DATA_DIR: dataDir,
      LOAD_SAMPLE_DATA: 'true',
      // Rate limits would answer the fuzzer's bursts with 429, which tests nothing; they have their own tests.
      RATE_LIMIT_ENABLED: 'false',
      LOG_LEVEL: 'warn',
    },
    120_000,
  );
}, 20 * 60_000);

afterAll(async () => {
  if (server) {
    server.proc.kill('SIGTERM');
    await Promise.race([server.exited, new Promise((r) => setTimeout(r, 15_000))]);
    killQuietly(server);
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  if (work && !keepWork) rmSync(work, { recursive: true, force: true });
});

describe('schemathesis against a real server', () => {
  it(
    'finds no failure in any check over every operation of the OpenAPI document',
    async () => {
      const document = (await (await fetch(`${server!.url}/openapi.json`)).json()) as {
        paths: Record<string, Record<string, unknown>>;
      };
      const operations = Object.values(document.paths).reduce((n, item) => n + Object.keys(item).length, 0);
      expect(operations).toBeGreaterThan(20);

      const args = [
        '--config-file',
        CONFIG,
        '--no-color',
        'run',
        `${server!.url}/openapi.json`,
        '--max-examples',
        String(MAX_EXAMPLES),
        '--seed',
        SEED,
        '--generation-database',
        join(work, 'examples'),
        '--report',
        'junit',
        '--report-dir',
        join(work, 'report'),
        '--request-timeout',
        '30',
        ...(PENDING_CHECKS.length ? ['--exclude-checks', PENDING_CHECKS.join(',')] : []),
      ];
      const result = await runTool(schemathesis, args, {
        cwd: work,
        timeoutMs: 8 * 60_000,
        env: { ...process.env, SCHEMATHESIS_HOOKS: HOOKS },
      });
      const output = `${result.stdout}\n${result.stderr}\n(reports and examples kept in ${work})`;
      keepWork = result.code !== 0;
      expect(result.code, output).toBe(0);
      // Every operation of the document was selected and tested: none was filtered out or skipped.
      expect(output, output).toContain(`Selected: ${operations}/${operations}`);
      expect(output, output).toContain(`Tested: ${operations}`);
    },
    10 * 60_000,
  );
});
