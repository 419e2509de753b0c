// The read model is derived from the replicas (DESIGN.md decision 1): the projector
// catches up from its stored cursor, follows live changes, and `rebuild` reproduces it.
import { allMarks, dump, fresh, projected } from './test-setup';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeMark, makeStudent } from '../../../tests/fixtures/factories';
import { LocalStore } from './local-store';
import { openLocal, type PouchDoc } from './pouch';
import { DERIVED_TABLES, ReadModel } from './read-model';
import { projectDocs } from './projection';
import Dexie, { liveQuery } from 'dexie';

const doc = (d: object) => d as PouchDoc;
const group = (id: string, name: string) =>
	doc({
		_id: `group:${id}`,
		type: 'group',
		id,
		kind: 'service',
		name,
		teacherIds: ['t1'],
		capacity: 45
	});
const stores: LocalStore[] = [];

afterEach(async () => {
	for (const store of stores.splice(0)) await store.open([]);
});

describe('projector', () => {
	it('projects documents that reached the replica without the read model, on open and live', async () => {
		const { rm, db } = fresh();
		const replica = openLocal(db);
		// In the replica only, as after a pull, or a crash between the two writes.
		const student = makeStudent();
		const marks = Array.from({ length: 620 }, (_, i) =>
			makeMark(student.id, 'present', { studentId: `stu-${i}` })
		);
		await replica.bulkDocs([doc(student), group('svc-3-1', '三(1)班'), ...marks.map(doc)]);

		const store = new LocalStore(rm);
		stores.push(store);
		await store.open([db]);

		// Caught up (across more than one 500-change page) before `open` resolves.
		expect(await rm.students.get(student.id)).toMatchObject({ name: student.name });
		expect(await rm.groups.get('svc-3-1')).toMatchObject({ name: '三(1)班' });
		expect((await rm.markDays.get(['svc-3-1', '2026-11-30']))?.marks).toHaveLength(620);
		expect((await rm.cursors.get(db))?.seq).toBe((await replica.info()).update_seq);
		expect(await rm.outbox.count()).toBe(0); // pulled documents are not ours to send

		// Then follows the replica live: an update, a deletion and a new document.
		const rev = (await replica.get(student._id))._rev;
		await replica.put(doc({ ...student, _rev: rev, name: '林小禾改' }));
		const late = makeMark(student.id, 'late');
		await replica.put(doc(late));
		const g = await replica.get('group:svc-3-1');
		await replica.put({ ...g, _deleted: true });
		const markOf = async (id: string) => (await allMarks(rm)).find((m) => m.id === id);
		await vi.waitFor(async () => {
			expect(await rm.students.get(student.id)).toMatchObject({ name: '林小禾改' });
			expect(await markOf(late.id)).toMatchObject({ status: 'late' });
			expect(await rm.groups.get('svc-3-1')).toBeUndefined();
		});
	});

	it('a store opened later resumes from the stored cursor and catches up what it missed', async () => {
		const { rm, store, db } = fresh();
		await store.open([db]);
		const seen = makeStudent();
		await store.write(db, [doc(seen)]);
		await projected(rm, db);
		await store.open([]); // the app stops

		// Reached the replica while nothing was projecting (a crash after the PouchDB write).
		const missed = [
			makeMark(seen.id, 'present'),
			makeMark(seen.id, 'leave', { date: '2026-12-01' })
		];
		const replica = openLocal(db);
		await replica.bulkDocs(missed.map(doc));
		// A change to a row projected before the cursor, made behind the projector's back:
		// resuming from the cursor must not replay (and so not repair) it.
		await rm.students.update(seen.id, { name: 'stale' });

		const later = new LocalStore(rm);
		stores.push(later);
		await later.open([db]);

		for (const m of missed)
			expect((await allMarks(rm)).find((x) => x.id === m.id)).toMatchObject({
				status: m.status,
				date: m.date
			});
		expect((await rm.cursors.get(db))?.seq).toBe((await replica.info()).update_seq);
		expect((await rm.students.get(seen.id))?.name).toBe('stale');
	});
});

describe('LocalStore.rebuild', () => {
	it('reproduces exactly the same students, groups, marks and day events after the tables were damaged', async () => {
		const { rm, store, db } = fresh();
		const club = `${db}-club`;
		stores.push(store);
		await store.open([db, club]);
		const students = [
			makeStudent(),
			makeStudent({ name: '王小明', gender: 'm' }),
			makeStudent({ groupId: 'club-chess' })
		];
		await store.write(db, [group('svc-3-1', '三(1)班'), doc(students[0]), doc(students[1])]);
		await store.write(
			db,
			students.slice(0, 2).map((s) => doc(makeMark(s.id, 'present')))
		);
		await store.write(club, [group('club-chess', '国际象棋'), doc(students[2])]);
		await store.write(club, [doc(makeMark(students[2].id, 'late', { groupId: 'club-chess' }))]);
		// A day's events, one of them in two groups' rows, and an undated document.
		await store.write(db, [
			doc({
				_id: 'arrival:a1',
				type: 'arrival',
				groupId: 'svc-3-1',
				studentId: students[0].id,
				date: '2026-11-30'
			}),
			doc({
				_id: 'handover:h1',
				type: 'handover',
				groupId: 'svc-3-1',
				date: '2026-11-30',
				to: { kind: 'group', groupId: 'club-chess' }
			}),
			doc({ _id: 'enrollment:e1', type: 'enrollment', groupId: 'svc-3-1' })
		]);
		// One document that reached a replica directly, and one later revision.
		await openLocal(db).put(doc(makeMark(students[1].id, 'leave', { date: '2026-12-01' })));
		const s0 = await store.replica(db).get(students[0]._id);
		await store.write(db, [doc({ ...s0, className: '三(2)班' })]);
		await projected(rm, db);
		await projected(rm, club);
		const before = await dump(rm);
		const outbox = await store.outboxRows();
		expect(before.students).toHaveLength(3);
		expect(before.groups).toHaveLength(2);
		expect(before.marks).toHaveLength(4);
		expect(before.dayDocs.map((d) => [d.groupId, d.docs.length])).toEqual([
			['club-chess', 1],
			['svc-3-1', 2]
		]);
		expect(before.docs.map((d) => d._id)).toEqual(['enrollment:e1']);

		// Damage: a cleared table, an edited row, a stray row and a missing row.
		await rm.markDays.clear();
		await rm.dayDocs.delete(['club-chess', '2026-11-30']);
		await rm.docs.clear();
		await rm.students.update(students[0].id, { name: '错误' });
		await rm.groups.put({
			id: 'ghost',
			_id: 'group:ghost',
			type: 'group',
			kind: 'club',
			name: '?',
			teacherIds: [],
			capacity: 1
		});
		await rm.students.delete(students[2].id);

		await store.rebuild();

		expect(await dump(rm)).toEqual(before);
		expect(await store.outboxRows()).toEqual(outbox); // device state survives a rebuild
		expect(store.openDbs.sort()).toEqual([db, club].sort());

		// And the rebuilt projector still follows the replica live.
		const next = makeMark(students[0].id, 'absent', { date: '2026-12-02' });
		await openLocal(db).put(doc(next));
		await vi.waitFor(async () =>
			expect((await allMarks(rm)).find((m) => m.id === next.id)).toMatchObject({ status: 'absent' })
		);
	});
});

describe("the projector after the app's own write", () => {
	it('writes no row again, so screens reading it wake once per tap', async () => {
		const { rm, store, db } = fresh();
		stores.push(store);
		await store.open([db]);
		const student = makeStudent();
		await store.write(db, [doc(student)]);
		await projected(rm, db);
		// Dexie runs a transaction's writes on its own Table objects: count by table name.
		const bulkPut = vi.spyOn(Object.getPrototypeOf(rm.markDays) as typeof rm.docs, 'bulkPut');
		const putsTo = (table: string) =>
			bulkPut.mock.contexts.filter((t) => (t as { name: string }).name === table).length;
		const dayPuts = { calls: () => putsTo('markDays') };
		const docPuts = { calls: () => putsTo('dayDocs') };

		await store.write(db, [doc(makeMark(student.id, 'present'))]);
		await store.write(db, [
			doc({
				_id: 'release:r9',
				type: 'release',
				groupId: 'g1',
				date: '2026-11-30',
				to: { kind: 'adult' }
			})
		]);
		await projected(rm, db);

		// One write each, by `write`; the projector's replay of the same documents wrote none.
		expect(dayPuts.calls()).toBe(1);
		expect(docPuts.calls()).toBe(1);
		expect(await allMarks(rm)).toHaveLength(1);
		// A change that did not come from `write` (a pull) is still projected.
		await openLocal(db).bulkDocs([doc(makeMark(student.id, 'late'))]);
		await projected(rm, db);
		expect(dayPuts.calls()).toBe(2);
		bulkPut.mockRestore();
		expect(await allMarks(rm)).toHaveLength(2);
	});
});

describe('documents by group and day', () => {
	/** A handover from g1 to the club, and a release in g1, on 2026-11-30. */
	const handover = doc({
		_id: 'handover:h1',
		type: 'handover',
		groupId: 'g1',
		date: '2026-11-30',
		to: { kind: 'group', groupId: 'club' }
	});
	const release = doc({ _id: 'release:r1', type: 'release', groupId: 'g1', date: '2026-11-30' });
	/** The ids in one group's row of one day. */
	const dayIds = async (rm: ReadModel, groupId: string, date = '2026-11-30') =>
		((await rm.dayDocs.get([groupId, date]))?.docs ?? []).map((d) => d._id);

	it('removes a deleted day event from every row it was in, dated or not', async () => {
		const { rm } = fresh();
		const project = (docs: PouchDoc[]) =>
			rm.transaction('rw', [...DERIVED_TABLES], async () => {
				await projectDocs(rm, docs, 'db');
			});
		await project([
			handover,
			release,
			// Never valid (no date), but it must not outlive its deletion either.
			doc({ _id: 'release:nodate', type: 'release', groupId: 'g1' })
		]);
		expect(await rm.docs.get('release:nodate')).toBeDefined();
		await project([
			{ _id: 'handover:h1', _rev: '2-b', _deleted: true },
			{ _id: 'release:nodate', _rev: '2-c', _deleted: true }
		]);
		expect(await dayIds(rm, 'g1')).toEqual(['release:r1']);
		expect(await dayIds(rm, 'club')).toEqual([]);
		expect(await rm.docs.get('release:nodate')).toBeUndefined();
	});

	it('keys the events of a day by their date and everything else as undated, in every group concerned', async () => {
		const { rm, db } = fresh();
		const replica = openLocal(db);
		await replica.bulkDocs([
			release,
			doc({ _id: 'release:r0', type: 'release', groupId: 'g1', date: '2026-11-27' }),
			handover,
			doc({ _id: 'enrollment:e1', type: 'enrollment', groupId: 'g1', effective: '2026-09-01' }),
			doc({ _id: 'leave:l1', type: 'leave', groupIds: ['g1', 'g2'], firstDay: '2026-11-30' })
		]);
		const store = new LocalStore(rm);
		stores.push(store);
		await store.open([db]);

		// A day's events are in their group-day row; everything else is a row of `docs`.
		const day = (groupId: string, date: string) => dayIds(rm, groupId, date);
		const undated = async (groupId: string) =>
			(await rm.docs.where('kGroupDays').equals(`${groupId}|`).toArray()).map((d) => d._id).sort();
		expect(await day('g1', '2026-11-30')).toEqual(['handover:h1', 'release:r1']);
		expect(await undated('g1')).toEqual(['enrollment:e1', 'leave:l1']);
		expect(await day('club', '2026-11-30')).toEqual(['handover:h1']);
		expect(await undated('club')).toEqual([]);
		expect(await day('g2', '2026-11-27')).toEqual([]);
		expect(await undated('g2')).toEqual(['leave:l1']);
		expect(await day('g1', '2026-11-27')).toEqual(['release:r0']);
		expect(await rm.docs.where('type').anyOf(['release', 'handover']).count()).toBe(0);
		expect(await rm.dayDocs.count()).toBe(3);
	});
});

describe('read model v4', () => {
	it('is rebuilt from the replicas when a device with the v3 tables upgrades', async () => {
		const { rm: unused, db } = fresh();
		unused.close();
		const name = `${unused.name}-v3`;
		const student = makeStudent();
		const marks = [makeMark(student.id, 'present'), makeMark(student.id, 'late')];
		const release = {
			_id: 'release:r1',
			type: 'release',
			groupId: 'g1',
			date: '2026-11-30',
			studentId: student.id
		};
		await openLocal(db).bulkDocs([doc(student), ...marks.map(doc), doc(release)]);
		// The read model as v3 left it: marks in their own table, everything projected.
		const v3 = new Dexie(name);
		v3.version(1).stores({
			students: 'id, groupId',
			groups: 'id',
			marks: 'id, [groupId+date], studentId',
			outbox: 'docId, db',
			cursors: 'db',
			device: 'key'
		});
		v3.version(2).stores({ conflicts: 'docId, db' });
		v3.version(3).stores({ docs: '_id, type, [type+groupId], date, *kGroups' });
		await v3.table('marks').bulkPut(marks);
		await v3.table('students').put(student);
		await v3.table('docs').put({ ...release, kGroups: ['g1'] });
		await v3.table('cursors').put({ db, seq: (await openLocal(db).info()).update_seq });
		await v3.table('device').bulkPut([
			{ key: 'deviceId', value: 'dev-kept' },
			{ key: `initialPull:${db}`, value: { state: 'done', remoteSeq: 9, localSeq: 3 } },
			{ key: 'initialPull:kh-demo--g--cut', value: { state: 'loading', remoteSeq: 4, localSeq: 2 } }
		]);
		v3.close();

		const rm = new ReadModel(name);
		const store = new LocalStore(rm);
		stores.push(store);
		await store.open([db]);

		expect(rm.tables.map((t) => t.name)).not.toContain('marks');
		expect((await allMarks(rm)).map((m) => m.id)).toEqual(marks.map((m) => m.id).sort());
		expect(await rm.students.get(student.id)).toMatchObject({ name: student.name });
		// Through every later version too: a day's events end in their group-day row (v6).
		expect((await rm.dayDocs.get(['g1', '2026-11-30']))?.docs.map((d) => d._id)).toEqual([
			'release:r1'
		]);
		expect(await rm.docs.get('release:r1')).toBeUndefined();
		// Device state stays, but a pull cut short cannot resume into emptied tables.
		expect(await store.deviceId()).toBe('dev-kept');
		expect(await store.getDevice(`initialPull:${db}`)).toMatchObject({ state: 'done' });
		expect(await store.getDevice('initialPull:kh-demo--g--cut')).toBeUndefined();
	});
});

describe('live queries while pages are projected', () => {
	it("a page of other days' records wakes no screen showing today; one of today's does", async () => {
		const { rm } = fresh();
		const today = async (groupId: string) =>
			(await rm.dayDocs.get([groupId, '2026-11-30']))?.docs ?? [];
		const seen: number[] = [];
		const sub = liveQuery(() => today('g1')).subscribe((rows) => seen.push(rows.length));
		try {
			await vi.waitFor(() => expect(seen).toEqual([0]));
			// An initial pull's page: hundreds of last month's releases and marks of the group.
			const page = Array.from({ length: 300 }, (_, i) =>
				doc({
					_id: `release:old${i}`,
					type: 'release',
					groupId: 'g1',
					date: `2026-10-${String((i % 28) + 1).padStart(2, '0')}`
				})
			);
			const marks = Array.from({ length: 120 }, (_, i) =>
				makeMark('s1', 'present', { groupId: 'g1', date: '2026-10-15', studentId: `s${i}` })
			);
			await rm.transaction('rw', [...DERIVED_TABLES], async () => {
				await projectDocs(rm, [...page, ...marks.map(doc)], 'db');
			});
			// Then one of today's: the screen wakes for it, and had not woken before.
			await rm.transaction('rw', [...DERIVED_TABLES], async () => {
				await projectDocs(rm, [
					doc({ _id: 'release:now', type: 'release', groupId: 'g1', date: '2026-11-30' })
				]);
			});
			await vi.waitFor(() => expect(seen.at(-1)).toBe(1));
			expect(seen).toEqual([0, 1]);
			// 300 releases on 28 days of October, and today's: 29 rows.
			expect(await rm.dayDocs.count()).toBe(29);
			expect((await rm.dayDocs.toArray()).reduce((n, d) => n + d.docs.length, 0)).toBe(301);
		} finally {
			sub.unsubscribe();
		}
	});
});
