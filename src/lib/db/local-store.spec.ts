// The device data layer against a real PouchDB (indexeddb adapter) and a real Dexie, both
// on fake-indexeddb: writes, write failures, the outbox and wipe.
import { allMarks, dump, fresh, projected } from './test-setup';
import { afterEach, describe, expect, it } from 'vitest';
import { makeMark, makeStudent } from '../../../tests/fixtures/factories';
import { StorageError, type LocalStore } from './local-store';
import { openLocal, pushOnce, type PouchDoc } from './pouch';

const doc = (d: object) => d as PouchDoc;
const open: LocalStore[] = [];

/** A fresh store with `db` open; closed again after the test. */
async function opened() {
	const t = fresh();
	await t.store.open([t.db]);
	open.push(t.store);
	return t;
}

afterEach(async () => {
	for (const store of open.splice(0)) await store.open([]);
});

describe('LocalStore.write', () => {
	it('resolves only once the marks are in PouchDB, the Dexie marks table and the outbox', async () => {
		const { rm, store, db } = await opened();
		const a = makeMark('stu-a', 'present');
		const b = makeMark('stu-b', 'late', { arrivedAt: '2026-11-30T07:50:00.000Z' });
		const other = makeMark('stu-a', 'absent', { date: '2026-12-01' });

		await store.write(db, [doc(a), doc(b), doc(other)]);

		// No waiting: all of it must be true when `write` resolves. The read model is read
		// first, before anything gives the live projector a chance to fill it instead.
		const [today, outbox] = await Promise.all([
			rm.markDays.get(['svc-3-1', '2026-11-30']).then((d) => d?.marks ?? []),
			store.outboxRows()
		]);
		expect(today.sort((x, y) => x.id.localeCompare(y.id))).toEqual(
			[a, b].sort((x, y) => x.id.localeCompare(y.id))
		);

		const replica = store.replica(db);
		const stored = await Promise.all([a, b, other].map((m) => replica.get(m._id)));
		expect(stored.map((d) => d.status)).toEqual(['present', 'late', 'absent']);
		expect(outbox.map((r) => [r.docId, r.db, r.rev, r.type])).toEqual(
			stored
				.map((d) => [d._id, db, d._rev, 'mark'])
				.sort((x, y) => String(x[0]).localeCompare(String(y[0])))
		);
	});

	it('rejects with a StorageError when the database is not open, writing nothing', async () => {
		const { rm, store } = fresh();
		await expect(
			store.write('kh-demo--g--never-opened', [doc(makeMark('s', 'present'))])
		).rejects.toBeInstanceOf(StorageError);
		expect(await rm.outbox.count()).toBe(0);
		expect(await allMarks(rm)).toHaveLength(0);
	});

	it('rejects a write PouchDB refuses with a StorageError and records nothing for it', async () => {
		const { rm, store, db } = await opened();
		const original = makeStudent({ name: '林小禾' });
		await openLocal(db).put(doc(original)); // e.g. pulled from the server
		await projected(rm, db);

		// A second put of an existing _id without its _rev is a conflict.
		const clash = { ...original, name: '王小明' };
		const err: unknown = await store.write(db, [doc(clash)]).catch((e: unknown) => e);
		expect(err).toBeInstanceOf(StorageError);
		expect((err as StorageError).message).toMatch(/^conflict: .*student:/);

		expect((await store.replica(db).get(original._id)).name).toBe('林小禾');
		expect((await rm.students.get(original.id))?.name).toBe('林小禾');
		expect(await rm.outbox.count()).toBe(0);
	});

	it('keeps the outbox entry of every document that did land when another in the batch is refused', async () => {
		const { rm, store, db } = await opened();
		const original = makeStudent();
		await openLocal(db).put(doc(original));
		await projected(rm, db);

		const good = makeMark(original.id, 'present');
		const clash = { ...original, name: '王小明' };
		await expect(store.write(db, [doc(good), doc(clash)])).rejects.toBeInstanceOf(StorageError);

		// The mark is in PouchDB, so it will be pushed: the outbox must count it, or a
		// sign-out would think everything was sent and wipe an unsent mark.
		const landed = await store.replica(db).get(good._id);
		expect(await store.outboxRows()).toEqual([
			expect.objectContaining({ docId: good._id, db, rev: landed._rev, type: 'mark' })
		]);
		expect((await allMarks(rm)).find((m) => m.id === good.id)).toMatchObject({ status: 'present' });
		expect((await rm.students.get(original.id))?.name).toBe(original.name);
	});
});

describe('outbox', () => {
	it('confirmSent removes only rows whose database, id and revision all match', async () => {
		const { store, db } = await opened();
		const other = `${db}-other`;
		await store.open([db, other]);
		const [a, b, c] = [
			makeMark('s1', 'present'),
			makeMark('s2', 'present'),
			makeMark('s3', 'leave')
		];
		await store.write(db, [doc(a), doc(b)]);
		await store.write(other, [doc(c)]);
		const rev = async (name: string, id: string) => (await store.replica(name).get(id))._rev;

		await store.confirmSent(db, [
			{ _id: a._id, _rev: await rev(db, a._id) }, // matches: removed
			{ _id: b._id, _rev: '1-0000000000000000000000000000000' }, // another revision: kept
			{ _id: c._id, _rev: await rev(other, c._id) } // another database: kept
		]);

		expect((await store.outboxRows()).map((r) => r.docId).sort()).toEqual([b._id, c._id].sort());
	});

	it('reconcileOutbox drops what the remote holds and keeps what it lacks', async () => {
		const { store, db } = await opened();
		// Stands in for the server: a real PouchDB with a real `revsDiff`.
		const remote = openLocal(`${db}-server`);
		const student = makeStudent();
		const [sent1, sent2, unsent] = [
			makeMark('s1', 'present'),
			makeMark('s2', 'late'),
			makeMark('s3', 'absent')
		];
		await store.write(db, [doc(student), doc(sent1), doc(sent2)]);
		await pushOnce(store.replica(db), remote);
		// Written after the push: the remote lacks the new mark and the student's new revision.
		const rev1 = (await store.replica(db).get(student._id))._rev;
		await store.write(db, [doc(unsent), doc({ ...student, _rev: rev1, name: '林小禾二' })]);

		await store.reconcileOutbox(db, remote);

		const rows = await store.outboxRows();
		expect(rows.map((r) => r.docId).sort()).toEqual([student._id, unsent._id].sort());
		expect(rows.find((r) => r.docId === student._id)?.rev).toMatch(/^2-/);

		// Once the remote has everything, the outbox empties.
		await pushOnce(store.replica(db), remote);
		await store.reconcileOutbox(db, remote);
		expect(await store.outboxCount()).toBe(0);
		await remote.destroy();
	});
});

describe('LocalStore.wipe', () => {
	it('destroys the replicas, the read model and the outbox but keeps the device id', async () => {
		const { rm, store, db } = await opened();
		const closed = `${db}-closed`; // opened earlier, closed since: known only by its cursor
		await store.open([db, closed]);
		await store.write(closed, [doc(makeStudent({ groupId: 'club-chess' }))]);
		await projected(rm, closed);
		await store.open([db]);
		const deviceId = await store.deviceId();
		await store.setDevice('locale', 'zh-CN');
		await store.write(db, [
			doc(makeStudent()),
			doc({
				_id: 'group:svc-3-1',
				type: 'group',
				id: 'svc-3-1',
				kind: 'service',
				name: '三(1)班',
				teacherIds: ['t1'],
				capacity: 45
			}),
			doc(makeMark('stu-x', 'present'))
		]);
		await projected(rm, db);

		await store.wipe();

		for (const name of [db, closed]) expect((await openLocal(name).info()).doc_count).toBe(0);
		expect(await dump(rm)).toEqual({ students: [], groups: [], marks: [], dayDocs: [], docs: [] });
		expect(await rm.outbox.count()).toBe(0);
		expect(await rm.cursors.count()).toBe(0);
		expect(store.openDbs).toEqual([]);
		expect(await store.deviceId()).toBe(deviceId);
		expect(await store.getDevice('locale')).toBe('zh-CN');
	});

	it('leaves nothing behind when it follows a write at once, and the next user starts clean', async () => {
		const { rm, store, db } = await opened();
		// The live projector still has these queued when wipe starts.
		await store.write(
			db,
			Array.from({ length: 50 }, () => doc(makeMark('stu-x', 'present')))
		);

		await store.wipe();

		expect(await allMarks(rm)).toHaveLength(0);
		expect(await rm.cursors.count()).toBe(0);

		// The next user's replica starts again at seq 1: a leftover cursor (seq 50) from the
		// wiped projector would make the new projector skip these documents for ever.
		await store.open([db]);
		const pulled = makeMark('stu-y', 'leave');
		await openLocal(db).put(doc(pulled));
		await projected(rm, db);
		expect((await allMarks(rm)).map((m) => m.id)).toEqual([pulled.id]);
	});
});
