// The initial pull's raw writes must leave exactly what the indexeddb adapter would have
// stored, and PouchDB must go on from them as from its own writes.
import { fresh } from './test-setup';
import { describe, expect, it } from 'vitest';
import { openLocal, type PouchDoc } from './pouch';
import { canWriteRaw, isPlain, refresh, writeRaw } from './replica-fill';

const docs = (): PouchDoc[] => [
	{ _id: 'mark:01', _rev: '1-aa11', type: 'mark', id: '01', groupId: 'g1', date: '2026-11-30' },
	{ _id: 'student:s1', _rev: '3-bb22', type: 'student', id: 's1', name: '林小禾', age: 9 }
];
/** Bodies the adapter stores with an indexable copy (its quirks included). */
const copied = (): PouchDoc[] => [
	{ _id: 'care-log:1', _rev: '1-c1', activities: ['homework', 'reading'], note: null },
	{ _id: 'release:1', _rev: '1-c2', override: false, adult: { name: '王', known: true } },
	{ _id: 'leave:1', _rev: '1-c3', to: { kind: 'group' }, groupIds: ['g1', 'g2'], ok: true },
	{ _id: 'x:1', _rev: '2-c4', a: { b: { c: [1, { d: null }] } }, e: [[true], []], f: 0 }
];

function records(idbName: string): Promise<{ docs: unknown[]; meta: unknown }> {
	return new Promise((resolve, reject) => {
		const req = indexedDB.open(idbName);
		req.onerror = () => reject(req.error);
		req.onsuccess = () => {
			const tx = req.result.transaction(['docs', 'meta'], 'readonly');
			const all = tx.objectStore('docs').getAll();
			const meta = tx.objectStore('meta').get('meta');
			tx.oncomplete = () => {
				req.result.close();
				resolve({ docs: all.result, meta: meta.result });
			};
		};
	});
}

describe('raw replica writes', () => {
	it('store exactly what bulkDocs(new_edits: false) stores', async () => {
		const a = openLocal(`${fresh().db}-pouch`);
		const b = openLocal(`${fresh().db}-raw`);
		await a.bulkDocs([...docs(), ...copied()], { new_edits: false });
		await b.info();
		expect(canWriteRaw(b)).toBe(true);
		expect([...docs(), ...copied()].every(isPlain)).toBe(true);
		// bulkDocs numbers a batch in id order (PouchDB sorts it); the raw write keeps the
		// order it is given, so it is given the same order here.
		const byId = [...docs(), ...copied()].sort((x, y) => (x._id < y._id ? -1 : 1));
		expect(await writeRaw(b, byId)).toBe(6);
		await refresh(b);
		const [ra, rb] = [await records(`_pouch_${a.name}`), await records(`_pouch_${b.name}`)];
		expect(rb.docs).toEqual(ra.docs);
		const count = (m: unknown) => (m as { seq: number; doc_count: number }).doc_count;
		expect(count(rb.meta)).toBe(count(ra.meta));
		for (const d of copied()) expect(await b.get(d._id)).toEqual(await a.get(d._id));
		expect((await b.info()).update_seq).toBe((await a.info()).update_seq);
	});

	it('leave a replica that PouchDB reads, extends and changes as its own', async () => {
		const db = openLocal(fresh().db);
		await db.info();
		await writeRaw(db, docs());
		await refresh(db);
		expect((await db.info()).doc_count).toBe(2);
		expect(await db.get('student:s1')).toMatchObject({ _rev: '3-bb22', name: '林小禾' });
		const changes = await db.changes({ since: 0 });
		expect(changes.results.map((r) => [r.id, r.seq])).toEqual([
			['mark:01', 1],
			['student:s1', 2]
		]);
		// A later revision from the server joins the history; a local edit follows it.
		await db.bulkDocs(
			[
				{
					_id: 'student:s1',
					_rev: '4-cc33',
					_revisions: { start: 4, ids: ['cc33', 'bb22'] },
					type: 'student',
					id: 's1',
					name: '林小禾',
					age: 10
				}
			],
			{ new_edits: false }
		);
		const edited = await db.put({ ...(await db.get('student:s1')), age: 11 });
		expect(edited.rev).toMatch(/^5-/);
		const withRevs = (await db.get('student:s1', { revs: true } as never)) as PouchDoc & {
			_revisions: { start: number; ids: string[] };
		};
		expect(withRevs._revisions.ids.slice(1)).toEqual(['cc33', 'bb22']);
		expect(await db.get('student:s1', { conflicts: true })).not.toHaveProperty('_conflicts');
		expect((await db.info()).update_seq).toBe(4);
		// An id already in the replica is refused, never overwritten.
		await expect(writeRaw(db, [docs()[0]])).rejects.toThrow();
		await refresh(db);
		expect((await db.info()).update_seq).toBe(4);
	});

	it('take only documents whose keys the adapter keeps', () => {
		expect(isPlain(docs()[0])).toBe(true);
		expect(isPlain({ _id: 'x', _rev: '1-a', 'to-do': 'a' })).toBe(false);
		expect(isPlain({ _id: 'x', _rev: '1-a', list: [{ 'a b': 1 }] })).toBe(false);
		expect(isPlain({ _id: 'x', _rev: '1-a', _attachments: {} })).toBe(false);
		expect(isPlain({ _id: 'x', _rev: '1-a', _deleted: true })).toBe(false);
		expect(isPlain({ _id: '_design/x', _rev: '1-a' })).toBe(false);
		expect(isPlain({ _id: 'x' })).toBe(false);
	});
});
