// The administration API over HTTP: who may use it, accounts (changes apply on the next
// request, also through the Basic-auth cache), sessions, databases, backup and restore.
import { afterEach, describe, expect, it } from 'vitest';
import {
	FIRST_STUDENT,
	OTHER_DB,
	TEACHER_DB,
	TEACHER_DB_SEEDED,
	call,
	localDb,
	mark,
	remoteWithBasic,
	remoteWithCookie,
	signIn,
	startServer
} from './test-helpers';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(opts: Parameters<typeof startServer>[0] = {}) {
	const r = await startServer(opts);
	cleanups.push(() => r.stop());
	return { r, root: await signIn(r.url, 'root', 'kehou-root') };
}

const basic = (name: string, password: string) => ({
	Authorization: 'Basic ' + btoa(`${name}:${password}`)
});

describe('/_kehou/admin access', () => {
	it('is for server admins only, with CouchDB-style errors', async () => {
		const { r } = await start();
		const anon = await call(r.url, '/_kehou/admin/users');
		expect(anon.status).toBe(401);
		expect(anon.body).toMatchObject({ error: 'unauthorized' });
		const office = await signIn(r.url, 'admin', 'kehou-admin');
		const denied = await call(r.url, '/_kehou/admin/users', { cookie: office });
		expect(denied.status).toBe(403);
		expect(denied.body).toEqual({ error: 'forbidden', reason: 'You are not a server admin.' });
		const teacher = await call(r.url, '/_kehou/admin/dbs', {
			headers: basic('teacher', 'kehou-teacher')
		});
		expect(teacher.status).toBe(403);
	});
});

describe('accounts', () => {
	it('creates users with validated bodies and never returns password hashes', async () => {
		const { r, root } = await start();
		const bad = await call(r.url, '/_kehou/admin/users', {
			cookie: root,
			body: {
				name: 'li',
				password: 'long-enough',
				displayName: '李',
				schoolId: 'demo',
				roles: ['wizard']
			}
		});
		expect(bad.status).toBe(400);
		expect((bad.body as { reason: string }).reason).toMatch(/^roles\.0: /);
		const short = await call(r.url, '/_kehou/admin/users', {
			cookie: root,
			body: {
				name: 'li',
				password: 'short',
				displayName: '李',
				schoolId: 'demo',
				roles: ['teacher']
			}
		});
		expect(short.body).toMatchObject({
			error: 'bad_request',
			reason: expect.stringMatching(/^password: /)
		});
		const body = {
			name: 'li',
			password: 'li-password',
			displayName: '李老师',
			schoolId: 'demo',
			roles: ['teacher'],
			groups: ['svc-3-2']
		};
		const made = await call(r.url, '/_kehou/admin/users', { cookie: root, body });
		expect(made.status).toBe(201);
		expect(JSON.stringify(made.body)).not.toContain('li-password');
		expect(JSON.stringify(made.body)).not.toContain('salt');
		expect((await call(r.url, '/_kehou/admin/users', { cookie: root, body })).status).toBe(409);
		const cookie = await signIn(r.url, 'li', 'li-password');
		expect((await call(r.url, `/${OTHER_DB}`, { cookie })).status).toBe(200);
		const list = (await call(r.url, '/_kehou/admin/users', { cookie: root })).body as {
			users: Array<{ name: string }>;
		};
		expect(list.users.map((u) => u.name)).toEqual([
			'admin',
			'club',
			'gate',
			'head',
			'late',
			'li',
			'root',
			'teacher',
			'teacher2'
		]);
		expect(JSON.stringify(list)).not.toContain('hash');
	});

	it('applies new roles and assignments on the next request, cookie or Basic', async () => {
		const { r, root } = await start();
		const cookie = await signIn(r.url, 'teacher', 'kehou-teacher');
		const auth = basic('teacher', 'kehou-teacher');
		// Warm the Basic cache first.
		expect((await call(r.url, `/${TEACHER_DB}`, { headers: auth })).status).toBe(200);
		expect((await call(r.url, `/${OTHER_DB}`, { cookie })).status).toBe(403);
		const patched = await call(r.url, '/_kehou/admin/users/teacher', {
			method: 'PATCH',
			cookie: root,
			body: { groups: ['svc-3-1', 'svc-3-2'] }
		});
		expect(patched.status).toBe(200);
		expect((await call(r.url, `/${OTHER_DB}`, { cookie })).status).toBe(200);
		expect((await call(r.url, `/${OTHER_DB}`, { headers: auth })).status).toBe(200);
		await call(r.url, '/_kehou/admin/users/teacher', {
			method: 'PATCH',
			cookie: root,
			body: { groups: [] }
		});
		expect((await call(r.url, `/${TEACHER_DB}`, { headers: auth })).status).toBe(403);
		const unknownField = await call(r.url, '/_kehou/admin/users/teacher', {
			method: 'PATCH',
			cookie: root,
			body: { password: 'sneaky-password' }
		});
		expect(unknownField.status).toBe(400);
		const ghost = await call(r.url, '/_kehou/admin/users/ghost', {
			method: 'PATCH',
			cookie: root,
			body: { groups: [] }
		});
		expect(ghost.status).toBe(404);
	});

	it('ends sessions and cached Basic credentials at once on a password reset or disabling', async () => {
		const { r, root } = await start();
		const cookie = await signIn(r.url, 'teacher', 'kehou-teacher');
		const old = basic('teacher', 'kehou-teacher');
		expect((await call(r.url, `/${TEACHER_DB}`, { headers: old })).status).toBe(200);
		const reset = await call(r.url, '/_kehou/admin/users/teacher/password', {
			method: 'PUT',
			cookie: root,
			body: { password: 'brand-new-secret' }
		});
		expect(reset.body).toEqual({ ok: true, revokedSessions: 1 });
		expect((await call(r.url, `/${TEACHER_DB}`, { headers: old })).status).toBe(401);
		expect((await call(r.url, `/${TEACHER_DB}`, { cookie })).status).toBe(401);
		const fresh = basic('teacher', 'brand-new-secret');
		expect((await call(r.url, `/${TEACHER_DB}`, { headers: fresh })).status).toBe(200);

		const cookie2 = await signIn(r.url, 'teacher', 'brand-new-secret');
		const off = await call(r.url, '/_kehou/admin/users/teacher/disable', {
			method: 'POST',
			cookie: root
		});
		expect(off.body).toMatchObject({ ok: true, user: { disabled: true }, revokedSessions: 1 });
		expect((await call(r.url, `/${TEACHER_DB}`, { headers: fresh })).status).toBe(401);
		expect((await call(r.url, `/${TEACHER_DB}`, { cookie: cookie2 })).status).toBe(401);
		const refused = await call(r.url, '/_session', {
			body: { name: 'teacher', password: 'brand-new-secret' }
		});
		expect(refused.status).toBe(401);
		await call(r.url, '/_kehou/admin/users/teacher/enable', { method: 'POST', cookie: root });
		expect((await call(r.url, `/${TEACHER_DB}`, { headers: fresh })).status).toBe(200);
	});
});

describe('sessions', () => {
	it('lists and revokes sessions by id, by user and all', async () => {
		const { r, root } = await start();
		const t1 = await signIn(r.url, 'teacher', 'kehou-teacher');
		const t2 = await signIn(r.url, 'teacher', 'kehou-teacher');
		const other = await signIn(r.url, 'teacher2', 'kehou-teacher2');
		const listed = (await call(r.url, '/_kehou/admin/sessions?user=teacher', { cookie: root }))
			.body as { sessions: Array<{ id: string; user: string }> };
		expect(listed.sessions).toHaveLength(2);
		expect(listed.sessions[0].id).toMatch(/^[0-9a-f]{16}$/);
		const one = await call(r.url, `/_kehou/admin/sessions/${listed.sessions[0].id}`, {
			method: 'DELETE',
			cookie: root
		});
		expect(one.body).toEqual({ ok: true, revoked: 1 });
		const alive = await Promise.all(
			[t1, t2].map((c) => call(r.url, `/${TEACHER_DB}`, { cookie: c }).then((x) => x.status))
		);
		expect(alive.sort()).toEqual([200, 401]);
		const unsure = await call(r.url, '/_kehou/admin/sessions', { method: 'DELETE', cookie: root });
		expect(unsure.status).toBe(400);
		const byUser = await call(r.url, '/_kehou/admin/sessions?user=teacher2', {
			method: 'DELETE',
			cookie: root
		});
		expect(byUser.body).toEqual({ ok: true, revoked: 1 });
		expect((await call(r.url, `/${OTHER_DB}`, { cookie: other })).status).toBe(401);
		const all = await call(r.url, '/_kehou/admin/sessions?all=true', {
			method: 'DELETE',
			cookie: root
		});
		// The remaining teacher session and root's own.
		expect(all.body).toEqual({ ok: true, revoked: 2 });
		expect((await call(r.url, '/_kehou/admin/users', { cookie: root })).status).toBe(401);
	});
});

describe('databases', () => {
	it('creates the database of a new club, which its teacher can then use', async () => {
		const { r, root } = await start();
		const made = await call(r.url, '/_kehou/admin/dbs', {
			cookie: root,
			body: { schoolId: 'demo', kind: 'group', groupId: 'club-art' }
		});
		expect(made.status).toBe(201);
		expect(made.body).toMatchObject({ db: { name: 'kh-demo--g--club-art', kind: 'group' } });
		const again = await call(r.url, '/_kehou/admin/dbs', {
			cookie: root,
			body: { schoolId: 'demo', kind: 'group', groupId: 'club-art' }
		});
		expect(again.status).toBe(412);
		const wrong = await call(r.url, '/_kehou/admin/dbs', {
			cookie: root,
			body: { schoolId: 'demo', kind: 'group' }
		});
		expect(wrong.status).toBe(400);
		const dbs = (await call(r.url, '/_kehou/admin/dbs', { cookie: root })).body as {
			dbs: Array<{ name: string }>;
		};
		expect(dbs.dbs.map((d) => d.name)).toContain('kh-demo--g--club-art');
		await call(r.url, '/_kehou/admin/users/teacher', {
			method: 'PATCH',
			cookie: root,
			body: { groups: ['svc-3-1', 'club-art'] }
		});
		const teacher = await signIn(r.url, 'teacher', 'kehou-teacher');
		const pushed = await call(r.url, '/kh-demo--g--club-art/_bulk_docs', {
			cookie: teacher,
			body: { docs: [mark({ groupId: 'club-art', studentId: FIRST_STUDENT })] }
		});
		expect((pushed.body as Array<{ ok?: boolean }>)[0].ok).toBe(true);
	});

	it('backs up every leaf revision with attachments, and restores it exactly', async () => {
		const { r, root } = await start();
		const db = 'scratch';
		await call(r.url, `/${db}`, { method: 'PUT', cookie: root });
		const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').toString('base64');
		const docs = [
			{
				_id: 'a',
				_rev: '1-aaaa',
				v: 1,
				_attachments: { 'p.png': { content_type: 'image/png', data: png } }
			},
			{ _id: 'b', _rev: '1-bbbb', v: 1 },
			{ _id: 'b', _rev: '2-cccc', v: 2, _revisions: { start: 2, ids: ['cccc', 'bbbb'] } },
			// A conflict on b and a deleted document c.
			{ _id: 'b', _rev: '2-dddd', v: 3, _revisions: { start: 2, ids: ['dddd', 'bbbb'] } },
			{ _id: 'c', _rev: '1-eeee', v: 1 },
			{ _id: 'c', _rev: '2-ffff', _deleted: true, _revisions: { start: 2, ids: ['ffff', 'eeee'] } }
		];
		await call(r.url, `/${db}/_bulk_docs`, { cookie: root, body: { docs, new_edits: false } });
		const backup = await fetch(`${r.url}/_kehou/admin/dbs/${db}/backup`, {
			headers: { Cookie: root }
		});
		expect(backup.headers.get('content-type')).toMatch(/ndjson/);
		const text = await backup.text();
		const lines = text
			.trim()
			.split('\n')
			.map((l) => JSON.parse(l) as Record<string, unknown>);
		expect(lines[0]).toMatchObject({ kehou: 'backup', version: 1, db });
		expect(lines.at(-1)).toEqual({ end: true, docs: 3, revisions: 4, attachments: 1 });

		const restored = await call(r.url, '/_kehou/admin/dbs/copy/restore', {
			cookie: root,
			body: text,
			headers: { 'Content-Type': 'application/x-ndjson' }
		});
		expect(restored.body).toMatchObject({ ok: true, docs: 3, revisions: 4, attachments: 1 });
		const again = await call(r.url, '/_kehou/admin/dbs/copy/restore', {
			cookie: root,
			body: text,
			headers: { 'Content-Type': 'application/x-ndjson' }
		});
		expect(again.status).toBe(412);
		const leaves = async (name: string, id: string) =>
			(
				(await call(r.url, `/${name}/${id}?open_revs=all&revs=true`, { cookie: root }))
					.body as Array<{ ok: { _rev: string; _deleted?: boolean } }>
			)
				.map((x) => `${x.ok._rev}${x.ok._deleted ? ' deleted' : ''}`)
				.sort();
		for (const id of ['a', 'b', 'c'])
			expect(await leaves('copy', id)).toEqual(await leaves(db, id));
		const att = await fetch(`${r.url}/copy/a/p.png`, { headers: { Cookie: root } });
		expect(Buffer.from(await att.arrayBuffer()).toString('base64')).toBe(png);
		const truncated = text.split('\n').slice(0, 2).join('\n');
		const cut = await call(r.url, '/_kehou/admin/dbs/copy2/restore', {
			cookie: root,
			body: truncated,
			headers: { 'Content-Type': 'application/x-ndjson' }
		});
		expect(cut.status).toBe(400);
		expect((cut.body as { reason: string }).reason).toMatch(/truncated/);
	});

	it('restores a class database on a new server so that devices carry on cleanly', async () => {
		const { r: first, root } = await start();
		const cookie = await signIn(first.url, 'teacher', 'kehou-teacher');
		const device = localDb();
		cleanups.push(device.dispose);
		const marks = [0, 1, 2].map(() => mark({ groupId: 'svc-3-1', studentId: FIRST_STUDENT }));
		await device.db.bulkDocs(marks);
		const firstRemote = remoteWithCookie(first.url, TEACHER_DB, cookie);
		await device.db.replicate.to(firstRemote);
		await device.db.replicate.from(firstRemote);
		const backup = await (
			await fetch(`${first.url}/_kehou/admin/dbs/${TEACHER_DB}/backup`, {
				headers: { Cookie: root }
			})
		).text();

		// The machine is lost: a new server, the accounts again, the class restored.
		const second = await startServer({ demo: false });
		cleanups.push(() => second.stop());
		for (const [name, roles, groups] of [
			['root', ['server-admin'], []],
			['teacher', ['teacher'], ['svc-3-1']]
		] as const) {
			await second.server.createUser({
				name,
				password: `kehou-${name}`,
				displayName: name,
				schoolId: 'demo',
				roles: [...roles],
				groups: [...groups]
			});
		}
		const root2 = await signIn(second.url, 'root', 'kehou-root');
		const restored = await call(second.url, `/_kehou/admin/dbs/${TEACHER_DB}/restore`, {
			cookie: root2,
			body: backup,
			headers: { 'Content-Type': 'application/x-ndjson' }
		});
		expect(restored.body).toMatchObject({ ok: true, docs: TEACHER_DB_SEEDED + 3 });
		const remote = remoteWithBasic(second.url, TEACHER_DB, 'teacher', 'kehou-teacher');
		const push = await device.db.replicate.to(remote);
		const pull = await device.db.replicate.from(remote);
		expect([push.docs_written, pull.docs_written, push.doc_write_failures]).toEqual([0, 0, 0]);
		// And new work flows again.
		await device.db.put(mark({ groupId: 'svc-3-1', studentId: FIRST_STUDENT }));
		expect((await device.db.replicate.to(remote)).docs_written).toBe(1);
	});
});
