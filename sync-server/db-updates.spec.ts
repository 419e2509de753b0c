// `/_kehou/db_updates`: which databases changed, for each user only those they may read.
import { afterEach, describe, expect, it } from 'vitest';
import type { DbUpdatesAnswer } from './db-updates';
import {
	FIRST_STUDENT,
	TEACHER_DB,
	call,
	mark,
	signIn,
	startServer,
	type Running
} from './test-helpers';

let running: Running | null = null;
afterEach(async () => {
	await running?.stop();
	running = null;
});

const ROOT = { Authorization: 'Basic ' + btoa('root:kehou-root') };

async function updates(url: string, cookie: string, query: string): Promise<DbUpdatesAnswer> {
	const res = await call(url, `/_kehou/db_updates?${query}`, { cookie });
	expect(res.status).toBe(200);
	return res.body as DbUpdatesAnswer;
}

async function writeMark(url: string, cookie: string) {
	const res = await call(url, `/${TEACHER_DB}/_bulk_docs`, {
		cookie,
		body: { docs: [mark({ groupId: 'svc-3-1', studentId: FIRST_STUDENT })] }
	});
	expect(res.body).toEqual([expect.objectContaining({ ok: true })]);
}

describe('/_kehou/db_updates', () => {
	it('needs a session', async () => {
		running = await startServer();
		const res = await call(running.url, '/_kehou/db_updates');
		expect(res.status).toBe(401);
		expect(res.body).toMatchObject({ error: 'unauthorized' });
	});

	it('names a changed database to those who may read it, and to no one else', async () => {
		running = await startServer();
		const { url } = running;
		const teacher = await signIn(url, 'teacher', 'kehou-teacher');
		const office = await signIn(url, 'admin', 'kehou-admin');
		const other = await signIn(url, 'teacher2', 'kehou-teacher2');
		const start = (await updates(url, teacher, 'since=now')).last_seq;
		expect(start).toMatch(/^[0-9a-f]{8}-\d+$/);

		await writeMark(url, teacher);
		const mine = await updates(url, teacher, `since=${start}`);
		expect(mine.results.map((r) => r.db_name)).toEqual([TEACHER_DB]);
		expect(mine.results[0]).toMatchObject({ type: 'updated', seq: mine.last_seq });
		expect((await updates(url, office, `since=${start}`)).results).toHaveLength(1);
		expect((await updates(url, other, `since=${start}`)).results).toEqual([]);
		// Nothing new since the answer's own sequence.
		expect((await updates(url, teacher, `since=${mine.last_seq}`)).results).toEqual([]);
	});

	it('holds a longpoll until a readable database changes; others only wake it', async () => {
		running = await startServer();
		const { url } = running;
		const teacher = await signIn(url, 'teacher', 'kehou-teacher');
		const start = (await updates(url, teacher, 'since=now')).last_seq;
		const waiting = updates(url, teacher, `feed=longpoll&since=${start}&timeout=20000`);
		// A plain database the teacher cannot read changes: the longpoll goes on (had it
		// answered then, its answer would be empty, not the teacher's database).
		expect((await call(url, '/scratch', { method: 'PUT', headers: ROOT })).status).toBe(201);
		const put = await call(url, '/scratch/note', { method: 'PUT', headers: ROOT, body: { a: 1 } });
		expect(put.status).toBe(201);

		await writeMark(url, teacher);
		const answer = await waiting;
		expect(answer.results.map((r) => r.db_name)).toEqual([TEACHER_DB]);
	});

	it('ends an idle longpoll after its timeout with nothing', async () => {
		running = await startServer();
		const teacher = await signIn(running.url, 'teacher', 'kehou-teacher');
		const start = (await updates(running.url, teacher, 'since=now')).last_seq;
		const answer = await updates(running.url, teacher, `feed=longpoll&since=${start}&timeout=50`);
		expect(answer).toEqual({ results: [], last_seq: start });
	});

	it('says reset for a sequence it does not know (another start, or nonsense)', async () => {
		running = await startServer();
		const teacher = await signIn(running.url, 'teacher', 'kehou-teacher');
		for (const since of ['deadbeef-3', 'garbage', '0']) {
			const answer = await updates(running.url, teacher, `feed=longpoll&since=${since}`);
			expect(answer).toMatchObject({ results: [], reset: true });
		}
	});

	it('refuses a bad feed and a write method', async () => {
		running = await startServer();
		const teacher = await signIn(running.url, 'teacher', 'kehou-teacher');
		const feed = await call(running.url, '/_kehou/db_updates?feed=continuous', { cookie: teacher });
		expect(feed.status).toBe(400);
		expect(feed.body).toMatchObject({ error: 'bad_request' });
		const post = await call(running.url, '/_kehou/db_updates', { cookie: teacher, body: {} });
		expect(post.status).toBe(405);
	});
});
