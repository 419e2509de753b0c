// What a write lets the server skip re-reading (couch-docs.ts writeDocs): the mirrors'
// checkpoint and the deleted count move over a batch without reading the changes feed
// back when the batch follows them directly; both must stay exact. And the system
// database's documents kept in memory (doc-cache.ts) never outlive a write.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { schoolDate } from './demo';
import { cachingGets } from './doc-cache';
import { freshDb, raw, sharedServer } from './protocol-helpers';
import { Mirrors, type WrittenBatch } from './mirrors';
import { Pouch } from './storage-pouch';
import { Storage, type Doc } from './storage';
import { FIRST_STUDENT, TEACHER_DB, call, mark, signIn } from './test-helpers';

const s = sharedServer();
beforeAll(() => s.start());
afterAll(() => s.stop());

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

const deletedCount = async (name: string) =>
	((await raw(s.url, `/${name}`)).json as { doc_del_count: number }).doc_del_count;

describe('the deleted count', () => {
	it('stays exact over writes that skip the feed and writes that cannot', async () => {
		const name = freshDb('counts');
		await raw(s.url, `/${name}`, { method: 'PUT' });
		const put = async (id: string, body: Doc) =>
			(await raw(s.url, `/${name}/${id}`, { method: 'PUT', body })).json as { rev: string };
		await put('a', { x: 1 });
		const b = await put('b', { x: 2 });
		expect(await deletedCount(name)).toBe(0);
		// New documents only: the count passes over them.
		await raw(s.url, `/${name}/_bulk_docs`, { body: { docs: [{ _id: 'c' }, { _id: 'd' }] } });
		expect(await deletedCount(name)).toBe(0);
		await raw(s.url, `/${name}/b?rev=${b.rev}`, { method: 'DELETE' });
		expect(await deletedCount(name)).toBe(1);
		const e = (
			(await raw(s.url, `/${name}/_bulk_docs`, { body: { docs: [{ _id: 'e' }] } })).json as Array<{
				rev: string;
			}>
		)[0];
		expect(await deletedCount(name)).toBe(1);
		// b made again (its id is in the deleted set): counted from the feed.
		await put('b', { x: 3 });
		expect(await deletedCount(name)).toBe(0);
		// A replicated deletion of e (new_edits: false).
		const hash = e.rev.split('-')[1];
		await raw(s.url, `/${name}/_bulk_docs`, {
			body: {
				new_edits: false,
				docs: [
					{
						_id: 'e',
						_rev: '2-ffff',
						_deleted: true,
						_revisions: { start: 2, ids: ['ffff', hash] }
					}
				]
			}
		});
		expect(await deletedCount(name)).toBe(1);
		// A live leaf beside the deleted one wins: e is live again.
		await raw(s.url, `/${name}/_bulk_docs`, {
			body: {
				new_edits: false,
				docs: [{ _id: 'e', _rev: '2-aaaa', y: 1, _revisions: { start: 2, ids: ['aaaa', hash] } }]
			}
		});
		expect(await deletedCount(name)).toBe(0);
		const info = (await raw(s.url, `/${name}`)).json as { doc_count: number };
		expect(info.doc_count).toBe(5);
	});
});

describe('the mirrors’ checkpoint', () => {
	it('moves over batches without mirrored documents and still copies the next handover', async () => {
		const cookie = await signIn(s.url, 'teacher', 'kehou-teacher');
		const marks = () =>
			Array.from({ length: 3 }, () => mark({ groupId: 'svc-3-1', studentId: FIRST_STUDENT }));
		for (let i = 0; i < 3; i++) {
			const res = await call(s.url, `/${TEACHER_DB}/_bulk_docs`, {
				cookie,
				body: { docs: marks() }
			});
			expect(res.status).toBe(201);
		}
		const id = uuidv7();
		const handover = {
			_id: `handover:${id}`,
			type: 'handover',
			id,
			at: new Date().toISOString(),
			deviceId: 'device-teacher',
			author: 'teacher',
			groupId: 'svc-3-1',
			studentId: FIRST_STUDENT,
			date: schoolDate(new Date()),
			to: { kind: 'group', groupId: 'svc-3-2' },
			receivedBy: '陈志远'
		};
		const res = await call(s.url, `/${TEACHER_DB}/_bulk_docs`, {
			cookie,
			body: { docs: [...marks(), handover] }
		});
		expect(res.body).toEqual(expect.arrayContaining([expect.objectContaining({ ok: true })]));
		// Acknowledged to the sender means stored at the receiver.
		const there = await raw(s.url, `/kh-demo--g--svc-3-2/${encodeURIComponent(handover._id)}`);
		expect(there.status).toBe(200);
	});
});

describe('the mirrors’ checkpoint of a database this process has not written yet', () => {
	async function store() {
		const dir = mkdtempSync(join(tmpdir(), 'kehou-mirror-cp-'));
		const storage = new Storage(dir, {});
		await storage.init();
		cleanups.push(async () => {
			await storage.close();
			rmSync(dir, { recursive: true, force: true });
		});
		return storage;
	}
	const HOME = 'kh-t--g--svc-a';
	const handoverTo = (group: string): Doc => {
		const id = uuidv7();
		return {
			_id: `handover:${id}`,
			type: 'handover',
			id,
			at: new Date().toISOString(),
			deviceId: 'device-1',
			author: 'teacher',
			groupId: 'svc-a',
			studentId: 's0001',
			date: '2026-11-30',
			to: { kind: 'group', groupId: group },
			receivedBy: '陈志远'
		};
	};
	/** Writes as `writeDocs` does: sequences read around the batch. */
	async function write(storage: Storage, docs: Doc[]): Promise<WrittenBatch> {
		const db = storage.db(HOME);
		const from = (await db.info()).update_seq;
		await db.bulkDocs(docs);
		const to = (await db.info()).update_seq;
		return { from, to, ids: docs.map((d) => d._id!) };
	}
	/** Counts the home database's changes reads while `run` runs. */
	async function feedReads(storage: Storage, run: () => Promise<void>): Promise<number> {
		const db = storage.db(HOME);
		const changes = db.changes.bind(db);
		let reads = 0;
		db.changes = (opts) => {
			reads++;
			return changes(opts);
		};
		try {
			await run();
		} finally {
			db.changes = changes;
		}
		return reads;
	}

	it('passes over a first batch from the stored checkpoint, and copies the next handover', async () => {
		const storage = await store();
		const mirrors = new Mirrors(storage);
		const marks = Array.from({ length: 3 }, () => mark({ groupId: 'svc-a', studentId: 's0001' }));
		const batch = await write(storage, marks);
		expect(await feedReads(storage, () => mirrors.afterWrite(HOME, batch))).toBe(0);
		const handover = handoverTo('svc-b');
		await mirrors.afterWrite(HOME, await write(storage, [handover]));
		const copy = await storage.db('kh-t--g--svc-b').get(handover._id!);
		expect(copy._rev).toBe((await storage.db(HOME).get(handover._id!))._rev);
	});

	it('reads the feed when the stored checkpoint is behind (a crash before the copy)', async () => {
		const storage = await store();
		// A handover stored, then the process died before copying it.
		const handover = handoverTo('svc-c');
		await write(storage, [handover]);
		const restarted = new Mirrors(storage);
		const batch = await write(storage, [mark({ groupId: 'svc-a', studentId: 's0001' })]);
		expect(await feedReads(storage, () => restarted.afterWrite(HOME, batch))).toBeGreaterThan(0);
		expect((await storage.db('kh-t--g--svc-c').get(handover._id!))._id).toBe(handover._id);
	});
});

describe('ids a _revs_diff found unknown', () => {
	it('are trusted only while nothing was written since', async () => {
		const cookie = await signIn(s.url, 'teacher', 'kehou-teacher');
		const m = mark({ groupId: 'svc-3-1', studentId: FIRST_STUDENT });
		const first = { ...m, _rev: '1-aaaa', _revisions: { start: 1, ids: ['aaaa'] } };
		const other = { ...m, _rev: '1-bbbb', _revisions: { start: 1, ids: ['bbbb'] } };
		const diff = await call(s.url, `/${TEACHER_DB}/_revs_diff`, {
			cookie,
			body: { [m._id!]: ['1-aaaa', '1-bbbb'] }
		});
		expect(diff.body).toEqual({ [m._id!]: { missing: ['1-aaaa', '1-bbbb'] } });
		const push = (doc: Doc) =>
			call(s.url, `/${TEACHER_DB}/_bulk_docs`, {
				cookie,
				body: { docs: [doc], new_edits: false }
			});
		expect((await push(first)).body).toEqual([]);
		// The event exists now: a second first revision is refused, not taken for new.
		expect((await push(other)).body).toEqual([
			expect.objectContaining({ id: m._id, error: 'forbidden' })
		]);
		const again = await call(s.url, `/${TEACHER_DB}/_revs_diff`, {
			cookie,
			body: { [m._id!]: ['1-aaaa', '2-cccc'] }
		});
		expect(again.body).toEqual({
			[m._id!]: { missing: ['2-cccc'], possible_ancestors: ['1-aaaa'] }
		});
	});
});

describe('documents kept by the system database', () => {
	function store() {
		const dir = mkdtempSync(join(tmpdir(), 'kehou-doc-cache-'));
		const db = new Pouch(join(dir, 'db'), { adapter: 'leveldb' });
		cleanups.push(async () => {
			await db.close();
			rmSync(dir, { recursive: true, force: true });
		});
		return { db, cached: cachingGets(db) };
	}

	it('answers a second read from memory, with a copy of its own', async () => {
		const { db, cached } = store();
		await cached.put({ _id: 'session:x', name: 'teacher' });
		const first = await cached.get('session:x');
		first.name = 'changed by the caller';
		// Written behind the cache's back (never done by the server): the kept copy answers.
		const { _rev } = await db.get('session:x');
		await db.put({ _id: 'session:x', _rev, name: 'behind' });
		expect((await cached.get('session:x')).name).toBe('teacher');
	});

	it('never answers with a revision older than a write that has finished', async () => {
		const { cached } = store();
		const r1 = await cached.put({ _id: 'user:a', roles: ['teacher'] });
		expect((await cached.get('user:a')).roles).toEqual(['teacher']);
		await cached.put({ _id: 'user:a', _rev: r1.rev, roles: ['office'] });
		expect((await cached.get('user:a')).roles).toEqual(['office']);
		// A read that overlaps a write is not kept, whichever revision it saw.
		const doc = await cached.get('user:a');
		const writing = cached.bulkDocs([{ ...doc, roles: ['gate'] }]);
		const during = cached.get('user:a');
		await writing;
		await during;
		expect((await cached.get('user:a')).roles).toEqual(['gate']);
		await cached.remove('user:a', (await cached.get('user:a'))._rev!);
		await expect(cached.get('user:a')).rejects.toMatchObject({ status: 404 });
	});
});
