import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { importProgress } from './import-progress.js';

/** A stream that says it is a terminal, collecting what is drawn on it. */
function terminal() {
  const out = new PassThrough() as PassThrough & { isTTY: boolean; columns: number };
  out.isTTY = true;
  out.columns = 120;
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  // cli-progress moves the cursor; these are all it needs from a terminal here.
  Object.assign(out, { cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  return { out, text: () => text };
}

describe('import progress', () => {
  it('ends at 100% for a small input read whole before the bar started, with docs/s', () => {
    const t = terminal();
    let clock = 0;
    // The sniffing read all 1,000 bytes of the file before the bar existed.
    const p = importProgress(t.out, { totalBytes: 1000, bytesRead: 1000, json: false, now: () => clock });
    clock = 500;
    p.processed(40);
    p.committed(40);
    p.stop(true);
    const last = t.text().trimEnd().split(/\r|\n/).filter(Boolean).at(-1)!;
    expect(last).toContain('100%');
    expect(last).toContain('40 docs');
    expect(last).toContain('80 docs/s');
  });

  it('prints plain lines when stderr is not a terminal, the last one at 100%', () => {
    let text = '';
    const out = { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream;
    let clock = 0;
    const p = importProgress(out, { totalBytes: 2000, bytesRead: 0, json: false, now: () => clock });
    p.read(1000);
    clock = 2500;
    p.processed(10); // two seconds since the start: a line
    p.committed(10);
    clock = 3000;
    p.read(2000);
    p.stop(true);
    expect(text.split('\n').filter(Boolean)).toEqual([
      '10 docs, 0 committed, 4 docs/s, 50%',
      '10 docs, 10 committed, 3 docs/s, 100%',
    ]);
  });

  it('prints one JSON line per batch and per commit with --json', () => {
    let text = '';
    const out = { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream;
    let clock = 0;
    const p = importProgress(out, { totalBytes: null, bytesRead: 0, json: true, now: () => clock });
    clock = 1000;
    p.processed(5);
    p.committed(5);
    p.stop(true);
    expect(
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([
      { progress: { processed: 5, committed: 0, docs_per_second: 5, percent: null } },
      { progress: { processed: 5, committed: 5, docs_per_second: 5, percent: null } },
      { progress: { processed: 5, committed: 5, docs_per_second: 5, percent: 100 } },
    ]);
  });
});
