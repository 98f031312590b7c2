import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readYaml, ROOT } from '../../support/files.js';
import { tempDir } from '../../support/temp-dir.js';
import { ensureTool, runTool } from '../../support/tools.js';

const WORKFLOW = join(ROOT, '.github/workflows/ci.yml');

describe('CI/CD workflow', { timeout: 900_000 }, () => {
  let actionlint: string;
  const work = tempDir('sift-actionlint-');
  beforeAll(async () => {
    actionlint = await ensureTool('actionlint');
  }, 900_000);
  afterAll(() => work.remove());

  it('passes actionlint', async () => {
    const r = await runTool(actionlint, ['-no-color', WORKFLOW]);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('builds, tests, pushes the image and deploys blue-green on main only', () => {
    const wf = readYaml<{ jobs: Record<string, { needs?: string; if?: string; steps: { run?: string }[] }> }>(
      '.github/workflows/ci.yml',
    );
    const runs = (job: string) => wf.jobs[job]!.steps.map((s) => s.run ?? '').join('\n');
    expect(runs('test')).toMatch(/npm test/);
    expect(wf.jobs.image!.needs).toBe('test');
    expect(wf.jobs.image!.if).toContain('refs/heads/main');
    expect(wf.jobs.deploy!.needs).toBe('image');
    expect(runs('deploy')).toMatch(/sift\.js deploy blue-green --image "\$IMAGE"/);
  });

  it('fails actionlint for a broken copy', async () => {
    const broken = join(work.path, 'ci.yml');
    writeFileSync(broken, readFileSync(WORKFLOW, 'utf8').replace('needs: image', 'needs: no-such-job'));
    const r = await runTool(actionlint, ['-no-color', broken]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain('no-such-job');
  });
});
