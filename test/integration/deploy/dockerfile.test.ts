import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
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
  it('is multi-stage: a build stage from a base image pinned to an exact release or digest, a runtime from scratch', () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    expect(resolveImage(dockerfile.stages[0]!.from)).toMatch(
      /(@sha256:[0-9a-f]{64}$)|(:\d+\.\d+\.\d+(-[a-z0-9.-]+)?$)/,
    );
    expect(runtime.from).toBe('scratch');
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

  it("ships the bundle and the root filesystem the build stage prepared, never the build's node_modules", () => {
    const build = dockerfile.stages[0]!;
    const runs = build.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs).toContain('npx tsx scripts/image/bundle.ts /bundle');
    expect(
      runs.some((r) => r.startsWith('bash scripts/image/make-rootfs.sh /image /usr/local/bin/node')),
    ).toBe(true);
    const copies = runtime.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    expect(copies).toEqual(
      expect.arrayContaining([
        '--from=build /image/rootfs/ /',
        '--from=build --chown=1000:1000 /image/owned/ /var/lib/',
        '--from=build /bundle/ ./',
      ]),
    );
    // A stage from scratch has no shell to RUN anything in.
    expect(runtime.instructions.some((i) => i.keyword === 'RUN')).toBe(false);
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
        '!scripts/image/bundle.ts',
        '!scripts/image/runtime-modules.ts',
        '!scripts/image/make-rootfs.sh',
      ]),
    );
    for (const secret of ['node_modules', '.env', 'var', 'dist', '.git']) {
      expect(allowed.some((a) => a.startsWith(`!${secret}`))).toBe(false);
    }
  });
});

describe("the image's start command, run for real", { timeout: 240_000 }, () => {
  const app = tempDir('sift-image-');
  // /app of the image: what the bundle script writes, with package.json and the sample beside it.
  const appDir = join(app.path, 'app');
  let sift: SiftProcess | undefined;
  const entry = [...execForm(lastOf(runtime, 'ENTRYPOINT')!)!, ...execForm(lastOf(runtime, 'CMD')!)!];

  beforeAll(() => {
    // Lay out what the runtime stage copies: `npm run build` into build/, bundled (dist/ and the node_modules the
    // bundle needs) as the build stage does, package.json and data/sample.
    const build = join(app.path, 'build');
    const tsc = spawnSync(
      process.execPath,
      [
        join(ROOT, 'node_modules/typescript/bin/tsc'),
        '-p',
        'tsconfig.build.json',
        '--outDir',
        join(build, 'dist'),
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 180_000 },
    );
    if (tsc.status !== 0) throw new Error(`npm run build failed:\n${tsc.stdout}${tsc.stderr}`);
    // The second half of `npm run build`: the search page bundled into dist/page/.
    const tsx = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
    const page = spawnSync(process.execPath, [tsx, 'scripts/build-page.ts', join(build, 'dist/page')], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (page.status !== 0) throw new Error(`building the search page failed:\n${page.stdout}${page.stderr}`);
    symlinkSync(join(ROOT, 'node_modules'), join(build, 'node_modules'));
    const bundle = spawnSync(process.execPath, [tsx, 'scripts/image/bundle.ts', appDir, build], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 180_000,
    });
    if (bundle.status !== 0) throw new Error(`bundling failed:\n${bundle.stdout}${bundle.stderr}`);
    cpSync(join(ROOT, 'package.json'), join(appDir, 'package.json'));
    mkdirSync(join(appDir, 'data'));
    cpSync(join(ROOT, 'data/sample'), join(appDir, 'data/sample'), { recursive: true });
    writeFileSync(join(appDir, '.env'), '');
  }, 240_000);

  afterAll(async () => {
    await sift?.stop();
    app.remove();
  });

  it('serves, passes its own HEALTHCHECK and drains on SIGTERM', async () => {
    expect(entry[0]).toBe('node');
    // Fastify is in the bundle, not in node_modules: the server below runs the bundled copy.
    expect(existsSync(join(appDir, 'node_modules/fastify'))).toBe(false);
    const data = join(app.path, 'var-data');
    mkdirSync(data);
    sift = await startSift({
      dataDir: data,
      command: { bin: process.execPath, args: entry.slice(1), cwd: appDir },
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
    // The search page comes from dist/page/ (a server running from dist/ bundles nothing), found from the bundle.
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
