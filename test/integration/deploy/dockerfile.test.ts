import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execForm, parseDockerfile, stageEnv, type Stage } from './support/dockerfile.js';
import { readText, ROOT } from '../../support/files.js';
import { tempDir } from '../../support/temp-dir.js';
import { startSift, type SiftProcess } from '../../support/sift-process.js';

const dockerfile = parseDockerfile(readText('Dockerfile'));
const runtime = dockerfile.stages.at(-1)!;
const lastOf = (stage: Stage, keyword: string) =>
  stage.instructions.filter((i) => i.keyword === keyword).at(-1)?.args;
const resolveImage = (from: string) =>
  from.replace(/\$\{(\w+)\}/g, (_, name: string) => dockerfile.args[name] ?? `<unset ${name}>`);

describe('Dockerfile (parsed)', () => {
  it('is multi-stage and every stage starts from a base image pinned to an exact release or digest', () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(['build', 'prod-deps', 'runtime']);
    for (const stage of dockerfile.stages) {
      expect(resolveImage(stage.from)).toMatch(/(@sha256:[0-9a-f]{64}$)|(:\d+\.\d+\.\d+(-[a-z0-9.-]+)?$)/);
    }
  });

  it('compiles in a build stage that has the native toolchain better-sqlite3 needs', () => {
    const build = dockerfile.stages[0]!;
    const runs = build.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs.join(' ')).toMatch(/python3.*make.*g\+\+/);
    expect(runs).toContain('npm run build');
    // `npm run build` also bundles the search page, with this script.
    const copies = build.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    expect(copies).toContain('scripts/build-page.ts ./scripts/build-page.ts');
  });

  it('ships production dependencies only, from an `npm ci --omit=dev` stage', () => {
    const deps = dockerfile.stages.find((s) => s.name === 'prod-deps')!;
    expect(deps.instructions.some((i) => i.keyword === 'RUN' && /npm ci --omit=dev/.test(i.args))).toBe(true);
    const copies = runtime.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    expect(copies).toContain('--from=prod-deps /app/node_modules ./node_modules');
    // Nothing in the runtime stage installs packages (which would bring dev dependencies back).
    expect(runtime.instructions.some((i) => i.keyword === 'RUN' && /npm (ci|install)/.test(i.args))).toBe(
      false,
    );
    expect(copies.some((c) => c.startsWith('--from=build /app/node_modules'))).toBe(false);
  });

  it('runs as a non-root user given by number', () => {
    const user = lastOf(runtime, 'USER');
    expect(user).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
  });

  it('has an exec-form HEALTHCHECK that needs no curl', () => {
    const hc = lastOf(runtime, 'HEALTHCHECK')!;
    expect(hc).toMatch(/--interval=\d+s/);
    const cmd = execForm(hc.slice(hc.indexOf('CMD ')));
    expect(cmd?.[0]).toBe('node');
    expect(cmd?.join(' ')).toContain('/health/ready');
    expect(hc).not.toMatch(/curl|wget/);
  });

  it('starts Sift in exec form so it receives SIGTERM directly', () => {
    expect(execForm(lastOf(runtime, 'ENTRYPOINT')!)).toEqual(['node', 'dist/bin/sift.js']);
    expect(execForm(lastOf(runtime, 'CMD')!)).toEqual(['serve']);
    expect(lastOf(runtime, 'STOPSIGNAL')).toBe('SIGTERM');
  });

  it('has a .dockerignore that sends only the build inputs', () => {
    const lines = readText('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(lines[0]).toBe('*');
    const allowed = lines.filter((l) => l.startsWith('!'));
    expect(allowed).toEqual(
      expect.arrayContaining([
        '!package-lock.json',
        '!src/',
        '!bin/',
        '!data/sample/',
        '!scripts/build-page.ts',
      ]),
    );
    for (const secret of ['node_modules', '.env', 'var', 'dist', '.git']) {
      expect(allowed.some((a) => a.startsWith(`!${secret}`))).toBe(false);
    }
  });
});

describe("the image's start command, run for real", { timeout: 240_000 }, () => {
  const app = tempDir('sift-image-');
  let sift: SiftProcess | undefined;
  const entry = [...execForm(lastOf(runtime, 'ENTRYPOINT')!)!, ...execForm(lastOf(runtime, 'CMD')!)!];

  beforeAll(() => {
    // Lay out what the runtime stage copies: dist/ from `npm run build`, node_modules, package.json, data/sample.
    const tsc = spawnSync(
      process.execPath,
      [
        join(ROOT, 'node_modules/typescript/bin/tsc'),
        '-p',
        'tsconfig.build.json',
        '--outDir',
        join(app.path, 'dist'),
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 180_000 },
    );
    if (tsc.status !== 0) throw new Error(`npm run build failed:\n${tsc.stdout}${tsc.stderr}`);
    // The second half of `npm run build`: the search page bundled into dist/page/.
    const page = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'scripts/build-page.ts', join(app.path, 'dist/page')],
      { cwd: ROOT, encoding: 'utf8', timeout: 120_000 },
    );
    if (page.status !== 0) throw new Error(`building the search page failed:\n${page.stdout}${page.stderr}`);
    symlinkSync(join(ROOT, 'node_modules'), join(app.path, 'node_modules'));
    cpSync(join(ROOT, 'package.json'), join(app.path, 'package.json'));
    mkdirSync(join(app.path, 'data'));
    cpSync(join(ROOT, 'data/sample'), join(app.path, 'data/sample'), { recursive: true });
    writeFileSync(join(app.path, '.env'), '');
  }, 240_000);

  afterAll(async () => {
    await sift?.stop();
    app.remove();
  });

  it('serves, passes its own HEALTHCHECK and drains on SIGTERM', async () => {
    expect(entry[0]).toBe('node');
    const data = join(app.path, 'var-data');
    mkdirSync(data);
    sift = await startSift({
      dataDir: data,
      command: { bin: process.execPath, args: entry.slice(1), cwd: app.path },
      env: {
        ...stageEnv(runtime),
        DATA_DIR: data,
        HOST: '127.0.0.1',
        PORT: '0',
        // The image's ENVIRONMENT=production refuses the development secret.
        JWT_SECRET: 'a-test-secret-that-is-long-enough-1234567890',
        // info: the listening line carries the port; sample data gives readiness its default index.
        LOG_LEVEL: 'info',
        LOAD_SAMPLE_DATA: 'true',
      },
    });
    const ready = await fetch(`${sift.url}/health/ready`);
    expect(ready.status).toBe(200);
    const health = (await (await fetch(`${sift.url}/health`)).json()) as { environment: string };
    expect(health.environment).toBe('production');
    // The search page comes from dist/page/ (a server running from dist/ bundles nothing).
    const page = await fetch(`${sift.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<meta name="sift-default-index" content="packages" />');
    expect((await fetch(`${sift.url}/assets/search-page.js`)).status).toBe(200);

    // The HEALTHCHECK command itself, as Docker would run it inside the container.
    const hc = execForm(lastOf(runtime, 'HEALTHCHECK')!.replace(/^.*?CMD /, ''))!;
    const probe = spawnSync(process.execPath, hc.slice(1), {
      env: { ...process.env, PORT: String(sift.port) },
      timeout: 20_000,
    });
    expect(probe.status).toBe(0);

    let stdout = '';
    sift.child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    sift.child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => sift!.child.once('exit', (c) => resolve(c)));
    // The log lines are in the failure message when the drain does not end cleanly.
    expect({ code, stdout, stderr: sift.stderr() }).toMatchObject({ code: 0 });
    // And the same probe now fails: nothing answers.
    const after = spawnSync(process.execPath, hc.slice(1), {
      env: { ...process.env, PORT: String(sift.port) },
      timeout: 20_000,
    });
    expect(after.status).toBe(1);
  });
});
