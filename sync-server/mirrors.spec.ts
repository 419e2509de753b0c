// Cross-group events reach both sides (DESIGN.md decision 3, src/lib/domain/README.md):
// real PouchDB devices over HTTP, each signed in as a different user who can read only
// their own database. The writer writes at home; the server copies the identical revision
// into the mirrors; a device may replay what it pulled, nobody may forge a mirror; a
// crash between the home write and the copy is repaired.
import { v7 as uuidv7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import { ROUTED_TYPES, mirrorDbs } from '../src/lib/domain/index';
import { schoolDate } from './demo';
import { MIRRORED_TYPES, mirrorsOf } from './mirrors';
import type { Doc } from './storage';
import {
	call,
	localDb,
	mark,
	remoteWithCookie,
	signIn,
	startServer,
	until,
	type ClientDatabase,
	type Running,
	stopping
} from './test-helpers';

const A = 'kh-demo--g--svc-3-1';
const B = 'kh-demo--g--svc-3-2';
const CLUB = 'kh-demo--g--club-weiqi';
const CLASS = 'kh-demo--c--3-1';
const GATE = 'kh-demo--gate';
const today = schoolDate(new Date());

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(opts: { dataDir?: string } = {}): Promise<Running> {
	const r = await startServer(opts);
	cleanups.push(() => r.stop());
	return r;
}

/** A device signed in as `user`, replicating one database. */
async function device(r: Running, user: string, db: string) {
	const local = localDb();
	cleanups.push(local.dispose);
	const cookie = await signIn(r.url, user, `kehou-${user}`);
	const remote = remoteWithCookie(r.url, db, cookie);
	return {
		db: local.db,
		remote,
		cookie,
		push: () => local.db.replicate.to(remote),
		pull: () => local.db.replicate.from(remote)
	};
}

function event(type: string, author: string, fields: Doc): Doc {
	const id = uuidv7();
	return {
		_id: `${type}:${id}`,
		type,
		id,
		at: new Date().toISOString(),
		deviceId: `device-${author}`,
		author,
		...fields
	};
}

/** A child of each service class, from the demo's cards. */
async function childOf(r: Running, db: string): Promise<string> {
	const root = await signIn(r.url, 'root', 'kehou-root');
	const rows = await call(r.url, `/${db}/_all_docs?startkey="student:"&endkey="student:\ufff0"`, {
		cookie: root
	});
	return (rows.body as { rows: Array<{ id: string }> }).rows[0].id.slice('student:'.length);
}

/** The stored revision and its history in one database (as a server admin reads it). */
async function stored(r: Running, db: string, id: string) {
	const root = await signIn(r.url, 'root', 'kehou-root');
	const res = await call(r.url, `/${db}/${encodeURIComponent(id)}?revs=true`, { cookie: root });
	return res.status === 200 ? (res.body as Doc) : null;
}

const docIn = async (db: ClientDatabase, id: string) =>
	(await db.get(id).catch(() => null)) as Doc | null;

describe('cross-group events', () => {
	it('a handover from A to B reaches B, and B’s arrival reaches A, as the identical revision', async () => {
		const r = await start();
		const a = await device(r, 'teacher', A);
		const b = await device(r, 'teacher2', B);
		// Neither teacher can read the other's group.
		expect((await call(r.url, `/${B}`, { cookie: a.cookie })).status).toBe(403);
		expect((await call(r.url, `/${A}`, { cookie: b.cookie })).status).toBe(403);
		const child = await childOf(r, A);

		// B keeps a live sync: the copy wakes its longpoll.
		await b.pull();
		const live = b.db.sync(b.remote, { live: true, retry: false, heartbeat: 2000 });
		// Cleanups run last-in first-out: this one ends before the server stops.
		cleanups.push(stopping(live));

		const handover = event('handover', 'teacher', {
			groupId: 'svc-3-1',
			studentId: child,
			date: today,
			to: { kind: 'group', groupId: 'svc-3-2' },
			receivedBy: '陈志远'
		});
		await a.db.put(handover);
		const pushed = await a.push();
		expect(pushed.doc_write_failures).toBe(0);
		// Acknowledged to A means stored at B too.
		expect((await stored(r, B, handover._id!))?._rev).toBe(
			(await stored(r, A, handover._id!))?._rev
		);
		await until(async () => !!(await docIn(b.db, handover._id!)));
		const there = (await b.db.get(handover._id!, { revs: true })) as Doc;
		const home = (await stored(r, A, handover._id!))!;
		expect(there._rev).toBe(home._rev);
		expect(there._revisions).toEqual(home._revisions);
		expect(there).toMatchObject({ author: 'teacher', to: { groupId: 'svc-3-2' } });

		const arrival = event('arrival', 'teacher2', {
			groupId: 'svc-3-2',
			studentId: child,
			date: today,
			handoverId: handover.id,
			fromGroupId: 'svc-3-1'
		});
		await b.db.put(arrival);
		await until(async () => !!(await stored(r, B, arrival._id!)));
		expect((await a.pull()).doc_write_failures).toBe(0);
		expect(await docIn(a.db, arrival._id!)).toMatchObject({
			author: 'teacher2',
			handoverId: handover.id
		});

		// A pushes everything it holds, the mirrored arrival included: a replay, accepted.
		const again = await a.db.replicate.to(a.remote, { checkpoint: false });
		expect(again.doc_write_failures).toBe(0);
	});

	it('a leave notice by the head teacher reaches each group it names', async () => {
		const r = await start();
		const head = await device(r, 'head', CLASS);
		const child = await childOf(r, A);
		// The head teacher reads the class, not the groups.
		expect((await call(r.url, `/${A}`, { cookie: head.cookie })).status).toBe(403);
		const leave = event('leave', 'head', {
			adminClassId: '3-1',
			studentId: child,
			groupIds: ['svc-3-1', 'club-weiqi'],
			firstDay: today,
			lastDay: today,
			cause: 'sick',
			details: '感冒'
		});
		await head.db.put(leave);
		expect((await head.push()).doc_write_failures).toBe(0);
		const teacher = await device(r, 'teacher', A);
		const club = await device(r, 'club', CLUB);
		await teacher.pull();
		await club.pull();
		const rev = (await stored(r, CLASS, leave._id!))!._rev;
		expect((await docIn(teacher.db, leave._id!))?._rev).toBe(rev);
		expect((await docIn(club.db, leave._id!))?._rev).toBe(rev);
		expect(await stored(r, B, leave._id!)).toBeNull();
	});

	it('a release at the gate by the guard reaches the child’s group', async () => {
		const r = await start();
		const gate = await device(r, 'gate', GATE);
		const child = await childOf(r, A);
		expect((await call(r.url, `/${A}`, { cookie: gate.cookie })).status).toBe(403);
		const release = event('release', 'gate', {
			groupId: 'svc-3-1',
			studentId: child,
			date: today,
			place: 'gate',
			adult: { name: '王芳', relation: 'mother' },
			override: { note: '家长证件已核对，班主任电话确认' }
		});
		await gate.db.put(release);
		expect((await gate.push()).doc_write_failures).toBe(0);
		const teacher = await device(r, 'teacher', A);
		await teacher.pull();
		expect(await docIn(teacher.db, release._id!)).toMatchObject({ place: 'gate', author: 'gate' });
		// The teacher's device replays it: accepted, unchanged.
		const copy = (await teacher.db.get(release._id!, { revs: true })) as Doc;
		const replay = await call(r.url, `/${A}/_bulk_docs`, {
			cookie: teacher.cookie,
			body: { docs: [copy], new_edits: false }
		});
		expect(replay).toMatchObject({ status: 201, body: [] });
		const put = await call(r.url, `/${A}/${encodeURIComponent(release._id!)}?new_edits=false`, {
			method: 'PUT',
			cookie: teacher.cookie,
			body: copy
		});
		expect(put.status).toBe(201);
	});

	it('refuses a forged mirror and any other revision at a mirror', async () => {
		const r = await start();
		const b = await device(r, 'teacher2', B);
		const child = await childOf(r, A);
		// Written straight into B, claiming to come from A: not A's, and not stored in A.
		const forged = event('handover', 'teacher', {
			groupId: 'svc-3-1',
			studentId: child,
			date: today,
			to: { kind: 'group', groupId: 'svc-3-2' }
		});
		await b.db.put({ ...forged, author: 'teacher2' });
		const res = await b.push();
		expect(res.doc_write_failures).toBe(1);
		const asReplay = await call(r.url, `/${B}/_bulk_docs`, {
			cookie: b.cookie,
			body: { docs: [{ ...forged, _rev: '1-0123456789abcdef0123456789abcdef' }], new_edits: false }
		});
		expect(asReplay.body).toEqual([
			expect.objectContaining({ id: forged._id, error: 'forbidden' })
		]);
		expect(await stored(r, B, forged._id!)).toBeNull();
		expect(await stored(r, A, forged._id!)).toBeNull();

		// A real handover, then a different revision of it pushed into the mirror.
		const a = await device(r, 'teacher', A);
		const real = event('handover', 'teacher', {
			groupId: 'svc-3-1',
			studentId: child,
			date: today,
			to: { kind: 'group', groupId: 'svc-3-2' }
		});
		await a.db.put(real);
		await a.push();
		const changed = await call(r.url, `/${B}/_bulk_docs`, {
			cookie: b.cookie,
			body: {
				docs: [{ ...real, note: '改过', _rev: '1-fedcba9876543210fedcba9876543210' }],
				new_edits: false
			}
		});
		expect(changed.body).toEqual([expect.objectContaining({ error: 'forbidden' })]);
		const edit = await call(r.url, `/${B}/${encodeURIComponent(real._id!)}`, {
			method: 'PUT',
			cookie: b.cookie,
			body: { ...(await stored(r, B, real._id!)), note: '改过' }
		});
		expect(edit.status).toBe(403);
		expect((await stored(r, B, real._id!))?.note).toBeUndefined();
	});

	it('refuses a cross-group event naming a group the school does not have', async () => {
		const r = await start();
		const a = await device(r, 'teacher', A);
		const handover = event('handover', 'teacher', {
			groupId: 'svc-3-1',
			studentId: await childOf(r, A),
			date: today,
			to: { kind: 'group', groupId: 'svc-9-9' }
		});
		const res = await call(r.url, `/${A}`, { cookie: a.cookie, body: handover });
		expect(res.status).toBe(403);
		expect(res.body).toMatchObject({ reason: expect.stringContaining('svc-9-9') });
		const root = await signIn(r.url, 'root', 'kehou-root');
		const dbs = (await call(r.url, '/_all_dbs', { cookie: root })).body as string[];
		expect(dbs).not.toContain('kh-demo--g--svc-9-9');
	});

	it('repairs a copy cut off by a crash: on the next write, and at start', async () => {
		const r = await start();
		const child = await childOf(r, A);
		const handover = (n: number) =>
			event('handover', 'teacher', {
				groupId: 'svc-3-1',
				studentId: child,
				date: today,
				to: { kind: 'group', groupId: 'svc-3-2' },
				note: `第${n}次`
			});
		// The home write happened, the copy did not (written past the server, as a crash leaves it).
		const first = handover(1);
		await r.server.storage.db(A).bulkDocs([first]);
		expect(await stored(r, B, first._id!)).toBeNull();
		const teacher = await signIn(r.url, 'teacher', 'kehou-teacher');
		const m = mark({ groupId: 'svc-3-1', studentId: child });
		expect((await call(r.url, `/${A}`, { cookie: teacher, body: m })).status).toBe(201);
		expect((await stored(r, B, first._id!))?._rev).toBe((await stored(r, A, first._id!))?._rev);

		const second = handover(2);
		await r.server.storage.db(A).bulkDocs([second]);
		await r.stop(true);
		const again = await start({ dataDir: r.dataDir });
		await again.server.init();
		await mirrorsOf(again.server.storage).repaired;
		expect((await stored(again, B, second._id!))?._rev).toBe(
			(await stored(again, A, second._id!))?._rev
		);
	});

	it('scans only the types that can have mirrors', () => {
		const doc = {
			groupId: 'g1',
			adminClassId: 'c1',
			groupIds: ['g2'],
			place: 'gate',
			to: { kind: 'group', groupId: 'g3' },
			fromGroupId: 'g4'
		};
		const withMirrors = ROUTED_TYPES.filter((type) => mirrorDbs('s', { type, ...doc }).length);
		expect([...withMirrors].sort()).toEqual([...MIRRORED_TYPES].sort());
	});
});
