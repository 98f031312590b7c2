import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configTable } from './table.js';

describe('README configuration table', () => {
  it('is the table generated from the defaults (regenerate with `npx tsx scripts/config-table.ts`)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(configTable());
  });
});
