/**
 * How the embedded engine should keep vectors for a filtered kNN search: a plain table of float32 BLOBs scanned
 * with vec_distance_cosine over the rows the filter keeps, or sqlite-vec's vec0 virtual table with the filter as
 * `rowid IN (...)`. Same data (seeded random 384-d vectors), same filters (every 10th and every 2nd document),
 * exact top 10 in both. Prints the median and p99 time of each; no threshold, a measurement.
 *
 *   npx tsx bench/vector-storage.ts [documents]
 */
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { seededRandom } from '../test/support/seeded-random.js';

const N = Number(process.argv[2] ?? 50_000);
const DIMS = 384;
const RUNS = 30;

const rand = seededRandom(42);
const vector = () => Float32Array.from({ length: DIMS }, () => rand() * 2 - 1);
const blob = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

const db = new Database(':memory:');
sqliteVec.load(db);
db.exec(`CREATE TABLE d (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, cat INTEGER, src TEXT)`);
db.exec(`CREATE INDEX d_cat ON d(cat)`);
db.exec(`CREATE TABLE v (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL, e BLOB)`);
db.exec(`CREATE VIRTUAL TABLE vv USING vec0(e float[${DIMS}] distance_metric=cosine)`);
const insD = db.prepare(`INSERT INTO d (rowid, id, cat, src) VALUES (?, ?, ?, ?)`);
const insV = db.prepare(`INSERT INTO v (rowid, id, e) VALUES (?, ?, ?)`);
const insVV = db.prepare(`INSERT INTO vv (rowid, e) VALUES (?, ?)`);
const load = performance.now();
db.transaction(() => {
  for (let i = 1; i <= N; i++) {
    const id = `doc-${String(i).padStart(7, '0')}`;
    const v = vector();
    insD.run(i, id, i % 10, JSON.stringify({ id, filler: 'x'.repeat(200) }));
    insV.run(i, id, blob(v));
    insVV.run(BigInt(i), blob(v));
  }
})();
console.log(
  `${N} vectors of ${DIMS} dimensions loaded into both in ${Math.round(performance.now() - load)} ms`,
);

const plain = db.prepare(
  `SELECT id, vec_distance_cosine(e, ?) AS dist FROM v
   WHERE rowid IN (SELECT rowid FROM d WHERE cat IN (SELECT value FROM json_each(?)))
   ORDER BY dist, id LIMIT 10`,
);
const vec0 = db.prepare(
  `SELECT d.id, x.distance AS dist FROM (
     SELECT rowid, distance FROM vv WHERE e MATCH ? AND k = 10
       AND rowid IN (SELECT rowid FROM d WHERE cat IN (SELECT value FROM json_each(?)))
   ) x JOIN d ON d.rowid = x.rowid ORDER BY dist, d.id`,
);

const plainAll = db.prepare(`SELECT id, vec_distance_cosine(e, ?) AS dist FROM v ORDER BY dist, id LIMIT 10`);
const vec0All = db.prepare(
  `SELECT d.id, x.distance AS dist FROM (SELECT rowid, distance FROM vv WHERE e MATCH ? AND k = 10) x
   JOIN d ON d.rowid = x.rowid ORDER BY dist, d.id`,
);

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.ceil(q * xs.length) - 1]!;
for (const [label, cats] of [
  ['filter keeps 10%', [3]],
  ['filter keeps 50%', [0, 2, 4, 6, 8]],
  ['filter keeps 100%', [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]],
  ['no filter', null],
] as const) {
  const times: Record<string, number[]> = { blob: [], vec0: [] };
  let agree = 0;
  for (let r = 0; r < RUNS; r++) {
    const q = blob(vector());
    // Interleaved, so a busy moment of the machine falls on both.
    const t0 = performance.now();
    const a = (cats ? plain.all(q, JSON.stringify(cats)) : plainAll.all(q)) as { id: string }[];
    const t1 = performance.now();
    const b = (cats ? vec0.all(q, JSON.stringify(cats)) : vec0All.all(q)) as { id: string }[];
    const t2 = performance.now();
    times.blob!.push(t1 - t0);
    times.vec0!.push(t2 - t1);
    if (a.map((x) => x.id).join() === b.map((x) => x.id).join()) agree++;
  }
  for (const [name, xs] of Object.entries(times))
    console.log(
      `${label.padEnd(18)} ${name.padEnd(5)} p50 ${quantile(xs, 0.5).toFixed(1)} ms  p99 ${quantile(xs, 0.99).toFixed(1)} ms`,
    );
  console.log(`${label.padEnd(18)} same top 10 in ${agree}/${RUNS} queries`);
}
