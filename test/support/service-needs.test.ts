import { describe, expect, it } from 'vitest';
import { declaredServices } from './service-needs.js';

describe('@services declarations', () => {
  it('reads the servers a file names in a block or line comment, in the catalogue order', () => {
    const block = `/**\n * A cache test.\n * @services redis, opensearch\n */\nimport x from 'y';`;
    expect(declaredServices(block)).toEqual(['redis', 'opensearch']);
    expect(declaredServices('// @services kube\n// @services elasticsearch redis')).toEqual([
      'redis',
      'elasticsearch',
      'kube',
    ]);
    expect(declaredServices('/** @services elasticsearch */')).toEqual(['elasticsearch']);
  });

  it('needs nothing without a declaration; a mention outside a comment line is not one', () => {
    expect(declaredServices(`import { it } from 'vitest';\nconst s = '@services redis';`)).toEqual([]);
  });

  it('refuses an unknown or empty declaration, naming the file', () => {
    expect(() => declaredServices('// @services mysql', 'x.test.ts')).toThrow(/x\.test\.ts: .*mysql/);
    expect(() => declaredServices('// @services', 'y.test.ts')).toThrow(/y\.test\.ts: @services names no/);
  });
});
