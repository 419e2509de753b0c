// Experiment: resident memory of N open PouchDB-LevelDB databases with different leveldown options.
import PouchDB from 'pouchdb-core';
import leveldb from 'pouchdb-adapter-leveldb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
PouchDB.plugin(leveldb);
const [n, optsJson] = [Number(process.argv[2] ?? 32), process.argv[3] ?? '{}'];
const extra = JSON.parse(optsJson);
const dir = mkdtempSync(join(tmpdir(), 'memdbs-'));
const mb = () => { global.gc(); const u = process.memoryUsage(); return `rss ${(u.rss/1048576).toFixed(0)} heap ${(u.heapUsed/1048576).toFixed(0)}`; };
console.log('start', mb());
const dbs = [];
for (let i = 0; i < n; i++) {
  const db = new PouchDB(join(dir, 'db' + i), { adapter: 'leveldb', ...extra });
  await db.bulkDocs(Array.from({ length: 91 }, (_, k) => ({ _id: `mark:${i}-${k}-${'x'.repeat(30)}`, type: 'mark', status: 'present', note: '某某某'.repeat(20), at: new Date().toISOString() })));
  dbs.push(db);
}
console.log('written', mb());
for (const db of dbs) { await db.changes({ since: 0, include_docs: true }); await db.allDocs({ include_docs: true }); }
console.log('read', mb());
for (const db of dbs) await db.close();
console.log('closed', mb());
rmSync(dir, { recursive: true, force: true });
