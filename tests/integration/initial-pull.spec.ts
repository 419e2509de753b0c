// The first sync of an empty replica (LocalStore.initialPull: pages of `_changes` with
// the documents, no revision history, no replicator checkpoints) against the real
// sync-server, with the app's real SyncManager: it ends with exactly the server's
// documents (every leaf of a conflict included) in the replica and the read model; the
// live replication after it continues from where it ended, without reading anything
// again; changes on the server during the pull are not missed; an interrupted pull
// resumes, or falls back to ordinary replication when the replica changed meanwhile; an
// app write during the pull is pushed. (Attachments are checked in Chromium, in
// tests/e2e/conflicts.e2e.ts: fake-indexeddb cannot store PouchDB's attachment blobs.)
import { GROUP, GROUP_DB, World, makeMarks, write, type Device, type Sent } from './harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Doc } from '../../sync-server/storage';

/** Small pages, so that the demo class's documents take many. */
const PAGE = 10;

let world: World;
beforeEach(async () => {
	world = await new World().start();
});
afterEach(async () => {
	world.net.beforeSend = undefined;
	world.net.afterReply = undefined;
	await world.dispose();
});

const serverDb = () => world.server.server.storage.db(GROUP_DB);

/** Writes to the server's storage directly (as another replica's push would land). */
async function serverWrite(docs: Doc[], newEdits = true): Promise<void> {
	const results = (await serverDb().bulkDocs(docs, { new_edits: newEdits })) as {
		error?: unknown;
	}[];
	expect(results.filter((r) => r.error)).toEqual([]);
	world.server.server.storage.notify(GROUP_DB);
}

type Stored = Doc & { _id: string; _rev: string };

async function serverDoc(id: string): Promise<Stored> {
	return (await serverDb().get(id)) as Stored;
}

const isPullPage = (s: Sent) => s.path.includes('/_changes?') && s.path.includes('include_docs');
const sinceOf = (s: Sent) => new URL(`http://x${s.path}`).searchParams.get('since');

interface Leafs {
	id: string;
	rev: string;
	conflicts: string[];
}

async function leaves(db: { allDocs(o: object): Promise<unknown> }): Promise<Leafs[]> {
	const res = (await db.allDocs({ include_docs: true, conflicts: true })) as {
		rows: { id: string; value: { rev: string }; doc: { _conflicts?: string[] } }[];
	};
	return res.rows
		.filter((r) => !r.id.startsWith('_design/'))
		.map((r) => ({ id: r.id, rev: r.value.rev, conflicts: [...(r.doc._conflicts ?? [])].sort() }));
}

/** The device's replica and read model hold exactly what the server holds. */
async function expectSameAsServer(device: Device): Promise<void> {
	const onServer = await leaves(serverDb());
	expect(await leaves(device.replica())).toEqual(onServer);
	const docs = (await world.serverDocs()).filter((d) => typeof d.type === 'string');
	const ids = (type: string) =>
		docs
			.filter((d) => d.type === type)
			.map((d) => String(d.id))
			.sort();
	await device.store.caughtUp(GROUP_DB);
	expect((await device.rm.students.toCollection().primaryKeys()).sort()).toEqual(ids('student'));
	const marks = (await device.rm.markDays.toArray()).flatMap((d) => d.marks.map((m) => m.id));
	expect(marks.sort()).toEqual(ids('mark'));
	expect((await device.rm.docs.toCollection().primaryKeys()).sort()).toEqual(
		docs
			.filter((d) => !['student', 'mark', 'group'].includes(String(d.type)))
			.map((d) => d._id)
			.sort()
	);
	const conflicted = onServer.filter((l) => l.conflicts.length > 0);
	expect(
		(await device.rm.conflicts.toArray()).map((c) => ({
			id: c.docId,
			rev: c.winner,
			conflicts: [...c.losers].sort()
		}))
	).toEqual(conflicted);
}

function newDevice(name = 'tablet-a'): Device {
	const device = world.device(name);
	device.store.initialPullPageSize = PAGE;
	return device;
}

async function startDevice(name = 'tablet-a'): Promise<Device> {
	const device = newDevice(name);
	await device.start();
	return device;
}

describe('the first sync of an empty replica', () => {
	it('brings exactly the server’s documents, and live sync goes on from where it ended', async () => {
		const total = (await serverDb().info()).doc_count;
		expect(total).toBeGreaterThan(PAGE * 3);
		const device = await startDevice();
		await device.synced();
		await expectSameAsServer(device);

		const sent = world.net.sent.filter((s) => s.device === 'tablet-a');
		const pages = sent.filter(isPullPage);
		expect(pages.length).toBeGreaterThanOrEqual(Math.ceil(total / PAGE));
		expect(sinceOf(pages[0])).toBe('0');
		const lastSeq = Number((await serverDb().info()).update_seq);
		// Live replication read no document again and asked the server about none: its pull
		// started at the pull's last sequence, its push at the replica's (nothing to send).
		const live = sent.slice(sent.indexOf(pages.at(-1)!) + 1);
		expect(live.filter((s) => /_bulk_get|_revs_diff|_bulk_docs|_all_docs/.test(s.path))).toEqual(
			[]
		);
		const liveChanges = live.filter((s) => s.path.includes('/_changes'));
		expect(liveChanges.length).toBeGreaterThan(0);
		for (const s of liveChanges) expect(Number(sinceOf(s))).toBe(lastSeq);
		// Its checkpoints are written: the record of the pull is gone, a restart reads them.
		expect(await device.store.getDevice(`initialPull:${GROUP_DB}`)).toBeUndefined();
		const before = world.net.sent.length;
		device.manager.restart();
		await device.synced();
		const after = world.net.sent.slice(before);
		expect(after.filter(isPullPage)).toEqual([]);
		expect(after.filter((s) => /_bulk_get|_revs_diff/.test(s.path))).toEqual([]);
		for (const s of after.filter((x) => x.path.includes('/_changes'))) {
			expect(Number(sinceOf(s))).toBe(lastSeq);
		}

		// And it is live: a change on the server arrives, one written here is pushed.
		const student = await serverDoc((await device.replica().allDocs({})).rows[0].id);
		await serverWrite([{ ...student, name: '改名字' }]);
		await expect
			.poll(async () => (await device.replica().get(student._id)).name, { timeout: 20_000 })
			.toBe('改名字');
		const [mark] = await makeMarks(device, [{ studentId: String(student.id), status: 'present' }]);
		await write(device, [mark]);
		await device.synced();
		expect((await serverDoc(mark._id)).status).toBe('present');
		await expectSameAsServer(device);
	});

	it('brings every leaf of a conflicted document, deleted branches included', async () => {
		const students = (await world.serverDocs()).filter((d) => d.type === 'student') as Stored[];
		const [a, b] = students;
		const hash = (c: string) => c.repeat(32);
		const [startA, hashA] = String(a._rev).split('-');
		const history = { start: Number(startA) + 1, ids: [hash('b'), hashA] };
		// `a`: two live branches (the one with the higher revision wins) and a deleted one.
		await serverWrite(
			[
				{ ...a, _rev: `${history.start}-${hash('b')}`, name: '分支乙', _revisions: history },
				{
					...a,
					_rev: `${history.start}-${hash('c')}`,
					name: '分支丙',
					_revisions: { ...history, ids: [hash('c'), hashA] }
				},
				{
					_id: a._id,
					_rev: `${history.start}-${hash('a')}`,
					_deleted: true,
					_revisions: { ...history, ids: [hash('a'), hashA] }
				}
			],
			false
		);
		// `b`: a second first revision beside its own (two devices made it offline).
		await serverWrite([{ ...b, _rev: `1-${hash('d')}`, name: '另一个' }], false);

		const device = await startDevice();
		await device.synced();
		await expectSameAsServer(device);
		const local = await device.replica().get(a._id, { conflicts: true });
		expect(local.name).toBe('分支丙');
		expect(local._conflicts).toEqual([`${history.start}-${hash('b')}`]);
		// The deleted branch is there too (`_conflicts` lists live losers only).
		const openRevs = (db: { get(id: string, o: object): Promise<unknown> }) =>
			db.get(a._id, { open_revs: 'all' }) as Promise<{ ok: Doc }[]>;
		const leafRevs = (rows: { ok: Doc }[]) => rows.map((r) => String(r.ok._rev)).sort();
		const localLeaves = leafRevs(await openRevs(device.replica() as never));
		expect(localLeaves).toHaveLength(3);
		expect(localLeaves).toEqual(leafRevs(await openRevs(serverDb() as never)));
		expect(await device.store.conflictVersions(GROUP_DB, b._id)).toHaveLength(2);
		// Only the conflicted ones needed `_bulk_get` (every leaf, with its history).
		const gets = world.net.sent.filter((s) => s.path.includes('/_bulk_get'));
		const asked = gets.flatMap(
			(s) => (JSON.parse(s.body ?? '{}') as { docs: { id: string }[] }).docs
		);
		expect(new Set(asked.map((d) => d.id))).toEqual(new Set([a._id, b._id]));
		expect(asked).toHaveLength(3 + 2);
	});

	it('misses no change made on the server while it runs, and makes no false conflict', async () => {
		const firstPage: string[] = [];
		let pagesSeen = 0;
		const changed: Record<string, string> = {};
		world.net.afterReply = async (s, res) => {
			if (!isPullPage(s) || s.device !== 'tablet-a') return;
			pagesSeen++;
			if (pagesSeen === 1) {
				const body = (await res.clone().json()) as { results: { id: string }[] };
				firstPage.push(...body.results.map((r) => r.id));
			}
			if (pagesSeen === 2) {
				// Already delivered: one edited, one deleted; and a new one.
				const [edited, deleted] = firstPage.filter((id) => id.startsWith('student:'));
				const e = await serverDoc(edited);
				const d = await serverDoc(deleted);
				await serverWrite([
					{ ...e, name: '中途改' },
					{ ...d, _deleted: true }
				]);
				changed.edited = edited;
				changed.deleted = deleted;
			}
		};
		let liveStarted = false;
		world.net.beforeSend = async (s) => {
			// Between the pull's last page and the live pull's first request.
			if (s.device !== 'tablet-a' || liveStarted) return;
			if (s.path.includes('/_changes') && !isPullPage(s)) {
				liveStarted = true;
				const e = await serverDoc(changed.edited);
				await serverWrite([{ ...e, name: '最后改' }]);
			}
		};
		const device = await startDevice();
		await device.synced();
		await expect
			.poll(async () => (await device.replica().get(changed.edited)).name, { timeout: 20_000 })
			.toBe('最后改');
		await device.synced();
		expect(liveStarted).toBe(true);
		await expect(device.replica().get(changed.deleted)).rejects.toMatchObject({ status: 404 });
		await expectSameAsServer(device);
		expect((await device.rm.students.get(changed.edited.slice('student:'.length)))?.name).toBe(
			'最后改'
		);
	});

	it('resumes after an interruption from the last page it wrote', async () => {
		let pages = 0;
		world.net.beforeSend = (s) => {
			if (isPullPage(s) && ++pages === 3) throw new TypeError('fetch failed');
		};
		const device = await startDevice();
		await device.synced();
		await expectSameAsServer(device);
		const since = world.net.sent.filter(isPullPage).map(sinceOf);
		// Page 3 failed; the retry asked for it again instead of starting over.
		expect(since[3]).toBe(since[2]);
		expect(since.filter((s) => s === '0')).toHaveLength(1);
		expect(world.net.sent.filter((s) => /_bulk_get|_revs_diff/.test(s.path))).toEqual([]);
	});

	it('falls back to ordinary replication when the replica changed after an interruption', async () => {
		let pages = 0;
		const device = newDevice();
		world.net.beforeSend = (s) => {
			if (isPullPage(s) && ++pages === 3) {
				world.net.setOnline(device.origin, false);
				throw new TypeError('fetch failed');
			}
		};
		await device.start();
		await expect
			.poll(() => device.manager.status[GROUP_DB], { timeout: 20_000 })
			.toMatch(/offline|error/);
		const studentId = (await device.studentIds())[0];
		const [mark] = await makeMarks(device, [{ studentId, status: 'absent' }]);
		await write(device, [mark]);
		const pullPages = world.net.sent.filter(isPullPage).length;

		device.setOnline(true);
		await device.synced();
		await expectSameAsServer(device);
		expect((await serverDoc(mark._id)).status).toBe('absent');
		// No further one-shot pages: the replicator did it, from the start, both ways.
		expect(world.net.sent.filter(isPullPage)).toHaveLength(pullPages);
		expect(await device.store.getDevice(`initialPull:${GROUP_DB}`)).toBeUndefined();
		expect(await device.marks(GROUP)).toHaveLength(1);
	});

	it('leaves a replica that refuses a page to ordinary replication', async () => {
		let pages = 0;
		world.net.afterReply = async (s, res) => {
			if (!isPullPage(s) || ++pages !== 2) return;
			// A page with a document no replica can store (its revision is malformed).
			const body = (await res.json()) as { results: unknown[] };
			body.results.push({
				seq: 1e9,
				id: 'student:broken',
				changes: [{ rev: 'not-a-revision' }],
				doc: { _id: 'student:broken', _rev: 'not-a-revision' }
			});
			return new Response(JSON.stringify(body), { status: 200 });
		};
		const device = await startDevice();
		await device.synced();
		await expectSameAsServer(device);
		// No page was asked for again (no resume); the replicator took over from the start.
		const since = world.net.sent.filter(isPullPage).map(sinceOf);
		expect(since.length).toBeLessThanOrEqual(3);
		expect(new Set(since).size).toBe(since.length);
		expect(world.net.sent.some((s) => /_changes\?.*since=0/.test(s.path) && !isPullPage(s))).toBe(
			true
		);
		expect(await device.store.getDevice(`initialPull:${GROUP_DB}`)).toMatchObject({
			state: 'failed'
		});
	});

	it('pushes what the app wrote while it ran', async () => {
		let pages = 0;
		const device = newDevice();
		const written: Promise<void>[] = [];
		let markId = '';
		world.net.beforeSend = async (s) => {
			if (!isPullPage(s) || ++pages !== 3) return;
			const studentId = (await device.studentIds())[0];
			const [mark] = await makeMarks(device, [{ studentId, status: 'late' }]);
			markId = mark._id;
			written.push(write(device, [mark]));
		};
		await device.start();
		await device.synced();
		expect(written).toHaveLength(1);
		await Promise.all(written);
		await expect
			.poll(
				async () =>
					(await serverDb()
						.get(markId)
						.catch(() => null)) !== null,
				{
					timeout: 20_000
				}
			)
			.toBe(true);
		await device.synced();
		await expectSameAsServer(device);
		expect(await device.marks(GROUP)).toHaveLength(1);
	});
});
