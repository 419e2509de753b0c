// Sign-in, sessions, per-database access and the document gate, over HTTP.
import { afterEach, describe, expect, it } from 'vitest';
import {
	FIRST_STUDENT,
	OTHER_DB,
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

async function start(opts: Parameters<typeof startServer>[0] = {}) {
	running = await startServer(opts);
	return running.url;
}

describe('sign-in and sessions', () => {
	it('refuses a wrong password with 401 and a clear reason', async () => {
		const url = await start();
		const res = await call(url, '/_session', { body: { name: 'teacher', password: 'nope' } });
		expect(res.status).toBe(401);
		expect(res.body).toEqual({ error: 'unauthorized', reason: 'Name or password is incorrect.' });
		const unknown = await call(url, '/_session', { body: { name: 'ghost', password: 'nope' } });
		expect(unknown.status).toBe(401);
	});

	it('accepts HTTP Basic credentials and refuses wrong ones with 401', async () => {
		const url = await start();
		const basic = (p: string) => ({ Authorization: 'Basic ' + btoa(`teacher:${p}`) });
		const ok = await call(url, `/${TEACHER_DB}`, { headers: basic('kehou-teacher') });
		expect(ok.status).toBe(200);
		const bad = await call(url, `/${TEACHER_DB}`, { headers: basic('wrong') });
		expect(bad.status).toBe(401);
		expect(bad.body).toEqual({ error: 'unauthorized', reason: 'Name or password is incorrect.' });
	});

	it('signs in with JSON or a form, reports the session, and revokes it on DELETE', async () => {
		const url = await start();
		const form = await call(url, '/_session', {
			body: 'name=teacher&password=kehou-teacher',
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' }
		});
		expect(form.status).toBe(200);
		expect(form.body).toEqual({ ok: true, name: 'teacher', roles: ['teacher'] });
		const setCookie = form.headers.get('set-cookie') ?? '';
		expect(setCookie).toMatch(/^AuthSession=[\w-]{20,};/);
		expect(setCookie).toContain('HttpOnly');
		expect(setCookie).toContain('SameSite=Strict');
		expect(setCookie).not.toContain('Secure');

		const cookie = await signIn(url, 'teacher', 'kehou-teacher');
		const me = await call(url, '/_session', { cookie });
		expect(me.body).toMatchObject({
			ok: true,
			userCtx: { name: 'teacher', roles: ['teacher'] },
			info: { authenticated: 'cookie' }
		});
		const anon = await call(url, '/_session');
		expect(anon.body).toMatchObject({ ok: true, userCtx: { name: null, roles: [] } });

		expect((await call(url, '/_session', { method: 'DELETE', cookie })).status).toBe(200);
		const after = await call(url, `/${TEACHER_DB}`, { cookie });
		expect(after.status).toBe(401);
		expect(after.body).toEqual({
			error: 'unauthorized',
			reason: 'Session expired, sign in again.'
		});
	});

	it('expires idle sessions', async () => {
		const url = await start({ auth: { sessionIdleMs: 1 } });
		const cookie = await signIn(url, 'teacher', 'kehou-teacher');
		await new Promise((r) => setTimeout(r, 20));
		const res = await call(url, '/_kehou/me', { cookie });
		expect(res.status).toBe(401);
		expect(res.body).toEqual({ error: 'unauthorized', reason: 'Session expired, sign in again.' });
	});

	it('limits failed sign-ins per account and address with 429', async () => {
		const url = await start({ auth: { maxFailures: 3 } });
		for (let i = 0; i < 3; i++) {
			expect(
				(await call(url, '/_session', { body: { name: 'admin', password: 'x' } })).status
			).toBe(401);
		}
		const limited = await call(url, '/_session', {
			body: { name: 'admin', password: 'kehou-admin' }
		});
		expect(limited.status).toBe(429);
		expect((limited.body as { error: string }).error).toBe('too_many_requests');
		// Another account from the same address is not locked out.
		expect(
			(await call(url, '/_session', { body: { name: 'teacher', password: 'kehou-teacher' } }))
				.status
		).toBe(200);
	});

	it('describes the signed-in user and the databases to replicate', async () => {
		const url = await start();
		expect((await call(url, '/_kehou/me')).status).toBe(401);
		const teacher = await call(url, '/_kehou/me', {
			cookie: await signIn(url, 'teacher', 'kehou-teacher')
		});
		expect(teacher.body).toEqual({
			name: 'teacher',
			displayName: '林晓燕',
			schoolId: 'demo',
			staffId: 't-lin',
			roles: ['teacher'],
			groups: ['svc-3-1'],
			databases: ['kh-demo--school', 'kh-demo--g--svc-3-1']
		});
		const admin = await call(url, '/_kehou/me', {
			cookie: await signIn(url, 'admin', 'kehou-admin')
		});
		expect((admin.body as { databases: string[] }).databases).toEqual([
			'kh-demo--school',
			'kh-demo--g--club-weiqi',
			'kh-demo--g--ext-care',
			'kh-demo--g--svc-3-1',
			'kh-demo--g--svc-3-2',
			'kh-demo--g--svc-4-1',
			'kh-demo--c--3-1',
			'kh-demo--c--3-2',
			'kh-demo--c--3-3',
			'kh-demo--c--3-4',
			'kh-demo--c--4-1',
			'kh-demo--c--4-2',
			'kh-demo--gate',
			'kh-demo--admin',
			'kh-demo--supervision'
		]);
		const head = await call(url, '/_kehou/me', {
			cookie: await signIn(url, 'head', 'kehou-head')
		});
		expect(head.body).toMatchObject({
			name: 'head',
			roles: ['head-teacher'],
			groups: [],
			classes: ['3-1'],
			databases: ['kh-demo--school', 'kh-demo--c--3-1']
		});
		const gate = await call(url, '/_kehou/me', {
			cookie: await signIn(url, 'gate', 'kehou-gate')
		});
		expect((gate.body as { databases: string[] }).databases).toEqual([
			'kh-demo--school',
			'kh-demo--gate'
		]);
		const club = await call(url, '/_kehou/me', {
			cookie: await signIn(url, 'club', 'kehou-club')
		});
		expect((club.body as { databases: string[] }).databases).toEqual([
			'kh-demo--school',
			'kh-demo--g--club-weiqi'
		]);
		const root = await call(url, '/_kehou/me', {
			cookie: await signIn(url, 'root', 'kehou-root')
		});
		expect((root.body as { databases: string[] }).databases).toHaveLength(15);
	});
});

describe('database access', () => {
	it('answers 401 to anonymous callers and 403 on another class', async () => {
		const url = await start();
		const anon = await call(url, `/${TEACHER_DB}/_changes`);
		expect(anon.status).toBe(401);
		expect((anon.body as { error: string }).error).toBe('unauthorized');
		const cookie = await signIn(url, 'teacher', 'kehou-teacher');
		for (const path of [`/${OTHER_DB}`, `/${OTHER_DB}/_changes`, `/${OTHER_DB}/_all_docs`]) {
			const res = await call(url, path, { cookie });
			expect(res.status).toBe(403);
			expect((res.body as { error: string }).error).toBe('forbidden');
		}
		expect((await call(url, `/${TEACHER_DB}`, { cookie })).status).toBe(200);
		// Plain CouchDB databases are for server admins only (401, as CouchDB answers a non-admin).
		expect((await call(url, '/scratch', { cookie, method: 'PUT' })).status).toBe(401);
		const root = await signIn(url, 'root', 'kehou-root');
		expect((await call(url, '/scratch', { cookie: root, method: 'PUT' })).status).toBe(201);
		const again = await call(url, '/scratch', { cookie: root, method: 'PUT' });
		expect(again.status).toBe(412);
		expect((again.body as { error: string }).error).toBe('file_exists');
		expect((await call(url, '/_nope', { cookie: root })).status).toBe(400);
	});

	it('answers malformed JSON with 400, wrong types with 415 and big bodies with 413', async () => {
		const url = await start({ maxBodyBytes: 1000 });
		const cookie = await signIn(url, 'teacher', 'kehou-teacher');
		const bad = await call(url, `/${TEACHER_DB}/_bulk_docs`, { cookie, body: '{"docs": [' });
		expect(bad.status).toBe(400);
		expect((bad.body as { error: string }).error).toBe('bad_request');
		const type = await call(url, `/${TEACHER_DB}/_bulk_docs`, {
			cookie,
			body: '{"docs":[]}',
			headers: { 'Content-Type': 'text/plain' }
		});
		expect(type.status).toBe(415);
		const big = await call(url, `/${TEACHER_DB}/_bulk_docs`, {
			cookie,
			body: { docs: [{ _id: 'x', pad: 'x'.repeat(2000) }] }
		});
		expect(big.status).toBe(413);
	});
});

describe('the document gate', () => {
	it('refuses a doc failing the schema per document and stores the rest of the batch', async () => {
		const url = await start();
		const cookie = await signIn(url, 'teacher', 'kehou-teacher');
		const good = mark({ groupId: 'svc-3-1', studentId: FIRST_STUDENT });
		const bad = mark({ groupId: 'svc-3-1', studentId: FIRST_STUDENT, date: '30/11/2026' });
		const elsewhere = mark({ groupId: 'svc-3-2', studentId: FIRST_STUDENT });
		const design = { _id: '_design/evil', views: {} };
		const res = await call(url, `/${TEACHER_DB}/_bulk_docs`, {
			cookie,
			body: { docs: [good, bad, elsewhere, design] }
		});
		expect(res.status).toBe(201);
		const [r0, r1, r2, r3] = res.body as Array<Record<string, string>>;
		expect(r0).toMatchObject({ ok: true, id: good._id });
		expect(r1).toMatchObject({ id: bad._id, error: 'forbidden' });
		expect(r1.reason).toContain('date');
		expect(r2).toMatchObject({ id: elsewhere._id, error: 'forbidden' });
		expect(r2.reason).toContain('kh-demo--g--svc-3-2');
		expect(r3).toMatchObject({ id: '_design/evil', error: 'forbidden' });
		expect((await call(url, `/${TEACHER_DB}/${bad._id}`, { cookie })).status).toBe(404);
		expect((await call(url, `/${TEACHER_DB}/${good._id}`, { cookie })).status).toBe(200);
	});

	it('refuses a forged author, in replication writes too', async () => {
		const url = await start();
		const cookie = await signIn(url, 'teacher', 'kehou-teacher');
		const forged = mark({ groupId: 'svc-3-1', studentId: FIRST_STUDENT, author: 'teacher2' });
		const res = await call(url, `/${TEACHER_DB}/_bulk_docs`, {
			cookie,
			body: { docs: [{ ...forged, _rev: '1-abc' }], new_edits: false }
		});
		expect(res.body).toEqual([
			{
				id: forged._id,
				error: 'forbidden',
				reason: 'The author of an event must be the signed-in user.'
			}
		]);
		const put = await call(url, `/${TEACHER_DB}/${forged._id}`, {
			cookie,
			method: 'PUT',
			body: forged
		});
		expect(put.status).toBe(403);
	});

	it('refuses to change or delete a stored event but accepts an identical replay', async () => {
		const url = await start();
		const cookie = await signIn(url, 'teacher', 'kehou-teacher');
		const m = mark({ groupId: 'svc-3-1', studentId: FIRST_STUDENT });
		const path = `/${TEACHER_DB}/${m._id}`;
		const created = await call(url, path, { cookie, method: 'PUT', body: m });
		expect(created.status).toBe(201);
		const rev = (created.body as { rev: string }).rev;

		const edit = await call(url, path, {
			cookie,
			method: 'PUT',
			body: { ...m, _rev: rev, status: 'absent' }
		});
		expect(edit.status).toBe(403);
		expect((edit.body as { reason: string }).reason).toMatch(/never changed/);
		const del = await call(url, `${path}?rev=${rev}`, { cookie, method: 'DELETE' });
		expect(del.status).toBe(403);
		const sideways = await call(url, `/${TEACHER_DB}/_bulk_docs`, {
			cookie,
			body: { docs: [{ ...m, _rev: '1-ffff', status: 'absent' }], new_edits: false }
		});
		expect((sideways.body as Array<{ error: string }>)[0].error).toBe('forbidden');
		const replay = await call(url, `/${TEACHER_DB}/_bulk_docs`, {
			cookie,
			body: { docs: [{ ...m, _rev: rev }], new_edits: false }
		});
		expect(replay.body).toEqual([]);
		const stored = await call(url, `${path}?open_revs=all`, { cookie });
		expect((stored.body as unknown[]).length).toBe(1);
		expect((await call(url, path, { cookie })).body).toMatchObject({
			status: 'present',
			_rev: rev
		});
	});

	it('lets the office edit mutable documents but not teachers', async () => {
		const url = await start();
		const teacher = await signIn(url, 'teacher', 'kehou-teacher');
		const admin = await signIn(url, 'admin', 'kehou-admin');
		const path = `/${TEACHER_DB}/student:${FIRST_STUDENT}`;
		const student = (await call(url, path, { cookie: teacher })).body as Record<string, unknown>;
		const renamed = { ...student, name: '王小明' };
		expect((await call(url, path, { cookie: teacher, method: 'PUT', body: renamed })).status).toBe(
			403
		);
		expect((await call(url, path, { cookie: admin, method: 'PUT', body: renamed })).status).toBe(
			201
		);
		expect(
			(await call(url, '/kh-demo--school/_security', { cookie: admin, method: 'PUT', body: {} }))
				.status
		).toBe(403);
	});
});
