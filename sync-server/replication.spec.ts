// PouchDB's own replicator against the server, both ways and live, as the app will use it.
import { afterEach, describe, expect, it } from 'vitest';
import {
	FIRST_STUDENT,
	TEACHER_DB,
	TEACHER_DB_SEEDED,
	call,
	localDb,
	mark,
	remoteWithBasic,
	remoteWithCookie,
	signIn,
	startServer,
	until,
	type Running,
	stopping
} from './test-helpers';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
	const running: Running = await startServer();
	cleanups.push(() => running.stop());
	const a = localDb();
	const b = localDb();
	cleanups.push(a.dispose, b.dispose);
	const cookie = await signIn(running.url, 'teacher', 'kehou-teacher');
	return { running, a: a.db, b: b.db, cookie };
}

describe('replication with PouchDB', () => {
	it('pushes marks from one device and pulls them into another', async () => {
		const { running, a, b, cookie } = await setup();
		const marks = [0, 1, 2].map((i) =>
			mark({ groupId: 'svc-3-1', studentId: FIRST_STUDENT, status: i === 1 ? 'late' : 'present' })
		);
		await a.bulkDocs(marks);
		const remote = remoteWithCookie(running.url, TEACHER_DB, cookie);
		const pushed = await a.replicate.to(remote);
		expect(pushed.ok).toBe(true);
		expect(pushed.docs_written).toBe(3);
		expect(pushed.doc_write_failures).toBe(0);

		// The second device signs in with Basic credentials, as CouchDB allows.
		const remoteB = remoteWithBasic(running.url, TEACHER_DB, 'teacher', 'kehou-teacher');
		const pulled = await b.replicate.from(remoteB);
		expect(pulled.ok).toBe(true);
		const all = (await b.allDocs({ include_docs: true })) as {
			rows: Array<{ id: string; doc: { type: string } }>;
		};
		expect(
			all.rows
				.filter((r) => r.doc.type === 'mark')
				.map((r) => r.id)
				.sort()
		).toEqual(marks.map((m) => m._id).sort());
		expect(all.rows.filter((r) => r.doc.type === 'student').length).toBe(45);

		// A second push is a no-op: checkpoints in _local documents work.
		const again = await a.replicate.to(remote);
		expect(again.docs_written).toBe(0);
		const local = await call(running.url, `/${TEACHER_DB}/_all_docs`, { cookie });
		expect((local.body as { total_rows: number }).total_rows).toBe(TEACHER_DB_SEEDED + 3);
	});

	it('keeps a live sync going and picks up a new mark from another device', async () => {
		const { running, a, b, cookie } = await setup();
		const remoteA = remoteWithCookie(running.url, TEACHER_DB, cookie);
		const remoteB = remoteWithCookie(running.url, TEACHER_DB, cookie);
		await b.replicate.from(remoteB);
		const live = b.sync(remoteB, { live: true, retry: false, heartbeat: 2000 });
		cleanups.push(stopping(live));
		const errors: unknown[] = [];
		live.on('error', (e) => errors.push(e));

		const m = mark({ groupId: 'svc-3-1', studentId: FIRST_STUDENT });
		await a.put(m);
		await a.replicate.to(remoteA);
		await until(async () => !!(await b.get(m._id!).catch(() => null)));

		// And the other way: a mark made on B reaches the server while live.
		const m2 = mark({ groupId: 'svc-3-1', studentId: FIRST_STUDENT, status: 'leave' });
		await b.put(m2);
		await until(
			async () => (await call(running.url, `/${TEACHER_DB}/${m2._id}`, { cookie })).status === 200
		);
		expect(errors).toEqual([]);
	});

	it('stores the valid documents of a push and refuses the invalid one, so replication goes on', async () => {
		const { running, a, cookie } = await setup();
		const good = mark({ groupId: 'svc-3-1', studentId: FIRST_STUDENT });
		const bad = mark({ groupId: 'svc-3-1', studentId: FIRST_STUDENT, status: 'maybe' });
		await a.bulkDocs([good, bad]);
		const remote = remoteWithCookie(running.url, TEACHER_DB, cookie);
		const result = await a.replicate.to(remote);
		expect(result.docs_written).toBe(1);
		expect(result.doc_write_failures).toBe(1);
		expect((await call(running.url, `/${TEACHER_DB}/${good._id}`, { cookie })).status).toBe(200);
		const missing = await call(running.url, `/${TEACHER_DB}/${bad._id}`, { cookie });
		expect(missing.status).toBe(404);
		expect(missing.body).toEqual({ error: 'not_found', reason: 'missing' });
	});
});
