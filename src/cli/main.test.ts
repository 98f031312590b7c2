import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliContext } from './context.js';
import { buildProgram, commandOf } from './main.js';

const ctx = (): CliContext => {
  const out = new PassThrough() as unknown as NodeJS.WriteStream;
  return {
    stdout: out,
    stderr: out,
    env: {},
    exitCode: 0,
    config: () => {
      throw new Error('not loaded here');
    },
    withService: () => Promise.reject(new Error('not opened here')),
  };
};
const names = async (argv?: string[]) => (await buildProgram(ctx(), argv)).commands.map((c) => c.name());

describe('the CLI loads the commands a run needs', () => {
  it('finds the command among global options', () => {
    expect(commandOf(['--data-dir', 'deploy', 'search', 'q'])).toBe('search');
    expect(commandOf(['--data-dir=/tmp/x', 'deploy', 'status'])).toBe('deploy');
    expect(commandOf(['-V'])).toBeUndefined();
    expect(commandOf([])).toBeUndefined();
  });

  it('registers only the asked command, and every command for help, a version or an unknown one', async () => {
    const all = await names();
    expect(all).toEqual([
      'serve',
      'import',
      'export',
      'documents',
      'index',
      'search',
      'multi-search',
      'reindex',
      'snapshot',
      'keys',
      'token',
      'analytics',
      'deploy',
    ]);
    expect(await names(['deploy', 'status'])).toEqual(['deploy']);
    expect(await names(['--data-dir', 'x', 'search', 'react'])).toEqual(['search']);
    expect(await names(['--help'])).toEqual(all);
    expect(await names(['serach'])).toEqual(all);
  });
});
