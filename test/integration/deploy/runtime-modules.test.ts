import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyPackages, runtimeClosure } from '../../../scripts/image/runtime-modules.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * Must show: the image keeps exactly the packages its external modules load at run time, resolved as Node resolves
 * them (a nested version wins over the top-level one), optional dependencies only when installed, install-time
 * packages left out, and only the files that run copied.
 */
const dir = tempDir('sift-runtime-modules-');
afterAll(() => dir.remove());

function pkg(path: string, manifest: Record<string, unknown>, files: Record<string, string> = {}): void {
  const at = join(dir.path, path);
  mkdirSync(at, { recursive: true });
  writeFileSync(join(at, 'package.json'), JSON.stringify(manifest));
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(dirname(join(at, name)), { recursive: true });
    writeFileSync(join(at, name), body);
  }
}

pkg(
  'node_modules/a',
  {
    dependencies: { b: '1', c: '2', installer: '1', 'opt-present': '1' },
    optionalDependencies: { 'opt-present': '1', 'opt-missing': '1' },
  },
  { 'index.js': '', 'index.d.ts': '', 'README.md': '', LICENSE: '', 'src/native.c': '' },
);
pkg('node_modules/a/node_modules/c', { version: '2.0.0' }, { 'index.js': '' });
pkg('node_modules/c', { version: '1.0.0' });
pkg('node_modules/b', { dependencies: { '@s/d': '1' } }, { 'lib/b.js': '', 'lib/b.js.map': '' });
pkg('node_modules/@s/d', {});
pkg('node_modules/opt-present', {});
pkg('node_modules/installer', { dependencies: { 'only-for-installing': '1' } });
pkg('node_modules/only-for-installing', {});
pkg('node_modules/unrelated', {});

describe('runtimeClosure', () => {
  it('finds the roots and what they need as Node would resolve it, without install-time packages', () => {
    expect(runtimeClosure(dir.path, ['a'], ['installer'])).toEqual([
      'node_modules/@s/d',
      'node_modules/a',
      'node_modules/a/node_modules/c',
      'node_modules/b',
      'node_modules/opt-present',
    ]);
  });

  it('fails on a required dependency that is not installed', () => {
    pkg('node_modules/broken', { dependencies: { nowhere: '1' } });
    expect(() => runtimeClosure(dir.path, ['broken'])).toThrow(/nowhere, needed from node_modules\/broken/);
  });
});

describe('copyPackages', () => {
  it('copies each package at its own path, without nested node_modules, declarations, maps or docs', () => {
    const out = join(dir.path, 'out');
    copyPackages(dir.path, ['node_modules/a', 'node_modules/b'], out);
    expect(readdirSync(join(out, 'node_modules/a')).sort()).toEqual([
      'LICENSE',
      'index.js',
      'package.json',
      'src',
    ]);
    expect(existsSync(join(out, 'node_modules/a/node_modules'))).toBe(false);
    expect(readdirSync(join(out, 'node_modules/b/lib'))).toEqual(['b.js']);
  });

  it('copies only the listed paths of a package that has a keep-only list', () => {
    const out = join(dir.path, 'out-only');
    copyPackages(dir.path, ['node_modules/a'], out, { a: ['package.json', 'index.js'] });
    expect(readdirSync(join(out, 'node_modules/a')).sort()).toEqual(['index.js', 'package.json']);
  });
});
