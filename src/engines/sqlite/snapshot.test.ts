import { describe, expect, it } from 'vitest';
import { tempSqlite } from '../../../test/support/temp-sqlite.js';
import { parseSchema } from '../../schema/validate.js';
import { EmbeddedSnapshots } from './snapshot.js';
import { SqliteEngine } from './engine.js';

const schema = parseSchema({
  id_field: 'id',
  fields: { id: { type: 'keyword' }, title: { type: 'text', searchable: true } },
});

describe('embedded snapshots', () => {
  const { dir: temp } = tempSqlite('snap');

  it('copies one instant even when the same database is written between the steps of the copy', async () => {
    const dataDir = temp();
    const engine = new SqliteEngine({ dataDir });
    await engine.open();
    try {
      await engine.putIndex('docs', schema);
      await engine.bulkUpsert(
        'docs',
        Array.from({ length: 2000 }, (_, i) => ({
          id: `d${i}`,
          document: { id: `d${i}`, title: `title number ${i} `.repeat(5) },
        })),
      );
      // Two pages a step: the copy takes many steps, and a write lands between every two of them.
      const store = new EmbeddedSnapshots({ dataDir, pagesPerStep: 2 });
      let during = 0;
      const info = await store.create('one', (p) => {
        if (p.phase !== 'copy' || p.done === 0 || during >= 50) return;
        // The engine's write runs synchronously here, on another connection than the copy's.
        void engine.upsert('docs', {
          id: `w${during}`,
          document: { id: `w${during}`, title: 'written meanwhile' },
        });
        during++;
      });
      expect(during).toBe(50);
      expect(info.indexes).toEqual([{ name: 'docs', version: 1, documents: 2000 }]);

      const into = temp();
      await new EmbeddedSnapshots({ dataDir, restoreInto: into }).restore('one');
      const restored = new SqliteEngine({ dataDir: into });
      await restored.open();
      try {
        expect((await restored.getIndex('docs'))?.documents).toBe(2000);
        expect(await restored.get('docs', 'w0')).toBeNull();
      } finally {
        await restored.close();
      }
      expect((await engine.getIndex('docs'))?.documents).toBe(2050);
    } finally {
      await engine.close();
    }
  });

  it('refuses to restore over a database another connection has open, and restores once it is closed', async () => {
    const dataDir = temp();
    const engine = new SqliteEngine({ dataDir });
    await engine.open();
    await engine.putIndex('docs', schema);
    await engine.upsert('docs', { id: 'a', document: { id: 'a', title: 'kept' } });
    const store = new EmbeddedSnapshots({ dataDir });
    await store.create('s');
    await engine.upsert('docs', { id: 'b', document: { id: 'b', title: 'later' } });
    await expect(store.restore('s')).rejects.toMatchObject({ code: 'SNAPSHOT_CONFLICT' });
    expect((await engine.getIndex('docs'))?.documents).toBe(2);
    await engine.close();

    await store.restore('s');
    const again = new SqliteEngine({ dataDir });
    await again.open();
    try {
      expect((await again.getIndex('docs'))?.documents).toBe(1);
      expect(await again.get('docs', 'b')).toBeNull();
    } finally {
      await again.close();
    }
  });
});
