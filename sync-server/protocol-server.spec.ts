// Server- and database-level endpoints compared with CouchDB 3's documented answers:
// welcome, _up, _uuids, _all_dbs, PUT/GET/HEAD/DELETE /{db}, errors, security headers,
// CORS and the Content-Security-Policy computed from the built index.html.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { keptSizes } from './couch-db';
import { TEACHER, freshDb, raw, sharedServer } from './protocol-helpers';
import { TEACHER_DB, startServer } from './test-helpers';

const s = sharedServer();
beforeAll(() => s.start());
afterAll(() => s.stop());

describe('server endpoints', () => {
	it('GET / is anonymous and CouchDB-shaped', async () => {
		const r = await raw(s.url, '/', { auth: null });
		expect(r.status).toBe(200);
		expect(r.json).toMatchObject({ couchdb: 'Welcome', version: expect.stringMatching(/^3\./) });
		expect((r.json as { uuid: string }).uuid).toMatch(/^[0-9a-f]{32}$/);
		expect((r.json as { vendor: { name: string } }).vendor.name).toBe('kehou');
		const post = await raw(s.url, '/', { method: 'POST', body: {} });
		expect(post.status).toBe(405);
		expect(post.json).toEqual({ error: 'method_not_allowed', reason: 'Only GET,HEAD allowed' });
	});

	it('_up reports the store, _uuids gives 32-hex ids and caps count', async () => {
		const up = await raw(s.url, '/_up', { auth: null });
		expect(up.status).toBe(200);
		expect(up.json).toMatchObject({ status: 'ok', store: { status: 'ok' } });
		const ids = await raw(s.url, '/_uuids?count=3', { auth: null });
		const uuids = (ids.json as { uuids: string[] }).uuids;
		expect(uuids).toHaveLength(3);
		for (const u of uuids) expect(u).toMatch(/^[0-9a-f]{32}$/);
		expect(new Set(uuids).size).toBe(3);
		expect((await raw(s.url, '/_uuids?count=1001')).json).toEqual({
			error: 'bad_request',
			reason: 'count parameter too large'
		});
	});

	it('_all_dbs is for server admins and takes CouchDB options', async () => {
		const [a, b] = [freshDb('alldbs-a'), freshDb('alldbs-b')];
		await raw(s.url, `/${a}`, { method: 'PUT' });
		await raw(s.url, `/${b}`, { method: 'PUT' });
		const all = (await raw(s.url, '/_all_dbs')).json as string[];
		expect(all).toEqual([...all].sort());
		expect(all).toEqual(expect.arrayContaining([a, b, TEACHER_DB]));
		const some = await raw(s.url, `/_all_dbs?startkey=${JSON.stringify(a)}&limit=1`);
		expect(some.json).toEqual([a]);
		const anon = await raw(s.url, '/_all_dbs', { auth: null });
		expect(anon.status).toBe(401);
		expect((await raw(s.url, '/_all_dbs', { auth: TEACHER })).status).toBe(401);
	});

	it('unknown _ paths are illegal database names, as in CouchDB', async () => {
		const r = await raw(s.url, '/_nope');
		expect(r.status).toBe(400);
		expect(r.json).toMatchObject({ error: 'illegal_database_name' });
	});
});

describe('databases', () => {
	it('creates, describes, heads and deletes a plain database', async () => {
		const name = freshDb();
		const created = await raw(s.url, `/${name}`, { method: 'PUT' });
		expect(created.status).toBe(201);
		expect(created.json).toEqual({ ok: true });
		const again = await raw(s.url, `/${name}`, { method: 'PUT' });
		expect(again.status).toBe(412);
		expect(again.json).toEqual({
			error: 'file_exists',
			reason: 'The database could not be created, the file already exists.'
		});
		await raw(s.url, `/${name}/a`, { method: 'PUT', body: { x: 1 } });
		const b = await raw(s.url, `/${name}/b`, { method: 'PUT', body: { x: 2 } });
		const rev = (b.json as { rev: string }).rev;
		await raw(s.url, `/${name}/b?rev=${rev}`, { method: 'DELETE' });
		const info = await raw(s.url, `/${name}`);
		expect(info.status).toBe(200);
		expect(info.json).toMatchObject({
			db_name: name,
			doc_count: 1,
			doc_del_count: 1,
			update_seq: 3,
			purge_seq: expect.anything(),
			instance_start_time: '0',
			compact_running: false,
			disk_format_version: expect.any(Number),
			sizes: { file: expect.any(Number), external: expect.any(Number), active: expect.any(Number) },
			props: {}
		});
		const head = await fetch(`${s.url}/${name}`, {
			method: 'HEAD',
			headers: { Authorization: (await import('./protocol-helpers')).ROOT }
		});
		expect(head.status).toBe(200);
		expect(await head.text()).toBe('');

		const withRev = await raw(s.url, `/${name}?rev=1-abc`, { method: 'DELETE' });
		expect(withRev.status).toBe(400);
		expect((await raw(s.url, `/${name}`, { method: 'DELETE' })).json).toEqual({ ok: true });
		const gone = await raw(s.url, `/${name}`);
		expect(gone.status).toBe(404);
		expect(gone.json).toEqual({ error: 'not_found', reason: 'Database does not exist.' });
		const twice = await raw(s.url, `/${name}`, { method: 'DELETE' });
		expect(twice.status).toBe(404);
		// Made again under the same name, it starts empty.
		await raw(s.url, `/${name}`, { method: 'PUT' });
		expect((await raw(s.url, `/${name}`)).json).toMatchObject({ doc_count: 0, doc_del_count: 0 });
	});

	it('keeps the sizes of recently described databases only', async () => {
		const names = [freshDb(), freshDb(), freshDb()];
		for (const name of names) await raw(s.url, `/${name}`, { method: 'PUT' });
		vi.useFakeTimers({ toFake: ['Date'] });
		try {
			for (const name of names) await raw(s.url, `/${name}`);
			expect(keptSizes()).toBeGreaterThanOrEqual(3);
			// Once a size has expired it is measured again anyway: older ones are dropped.
			vi.setSystemTime(Date.now() + 60_000);
			const info = await raw(s.url, `/${names[0]}`);
			expect(info.json).toMatchObject({ db_name: names[0], sizes: { file: expect.any(Number) } });
			expect(keptSizes()).toBe(1);
		} finally {
			vi.useRealTimers();
		}
	});

	it('refuses bad names with CouchDB’s reason and non-admins with 401', async () => {
		const bad = await raw(s.url, '/Bad-Name', { method: 'PUT' });
		expect(bad.status).toBe(400);
		expect(bad.json).toEqual({
			error: 'illegal_database_name',
			reason:
				"Name: 'Bad-Name'. Only lowercase characters (a-z), digits (0-9), and any of the characters _, $, (, ), +, -, and / are allowed. Must begin with a letter."
		});
		const teacher = await raw(s.url, `/${freshDb()}`, { method: 'PUT', auth: TEACHER });
		expect(teacher.status).toBe(401);
		expect(teacher.json).toEqual({ error: 'unauthorized', reason: 'You are not a server admin.' });
		const anon = await raw(s.url, `/${TEACHER_DB}`, { method: 'DELETE', auth: null });
		expect(anon.status).toBe(401);
		expect((await raw(s.url, `/${freshDb()}`)).status).toBe(404);
		// A database name with an encoded slash is one name.
		const slashed = await raw(s.url, `/${encodeURIComponent('a/b')}`, { method: 'PUT' });
		expect(slashed.status).toBe(201);
		expect((await raw(s.url, `/${encodeURIComponent('a/b')}`)).json).toMatchObject({
			db_name: 'a/b'
		});
	});

	it('answers unsupported methods with 405 and an Allow header', async () => {
		const name = freshDb();
		await raw(s.url, `/${name}`, { method: 'PUT' });
		const r = await raw(s.url, `/${name}/_bulk_docs`);
		expect(r.status).toBe(405);
		expect(r.json).toMatchObject({ error: 'method_not_allowed' });
		expect(r.headers.get('allow')).toBe('POST');
	});
});

describe('security headers and CORS', () => {
	it('puts the security headers on API answers and errors', async () => {
		for (const path of ['/', '/_nope', `/${TEACHER_DB}`]) {
			const r = await raw(s.url, path, { auth: null });
			expect(r.headers.get('x-content-type-options')).toBe('nosniff');
			expect(r.headers.get('x-frame-options')).toBe('DENY');
			expect(r.headers.get('referrer-policy')).toBe('no-referrer');
			const csp = r.headers.get('content-security-policy') ?? '';
			expect(csp).toContain("frame-ancestors 'none'");
			expect(csp).toContain("connect-src 'self'");
		}
		// Same origin only by default: no CORS answer for any origin.
		const cors = await raw(s.url, '/', { headers: { Origin: 'https://evil.example' } });
		expect(cors.headers.get('access-control-allow-origin')).toBeNull();
	});

	it('allows the built index.html inline scripts by hash and answers CORS for listed origins only', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'kehou-static-'));
		const script = 'window.__kehou = { start: Date.now() };';
		writeFileSync(
			join(dir, 'index.html'),
			`<!doctype html><html><head><script>${script}</script><script src="/app.js"></script></head></html>`
		);
		const r = await startServer({
			demo: false,
			staticDir: dir,
			allowedOrigins: ['https://school.example']
		});
		try {
			const page = await fetch(`${r.url}/`, { headers: { Accept: 'text/html' } });
			const csp = page.headers.get('content-security-policy') ?? '';
			const hash = createHash('sha256').update(script).digest('base64');
			expect(csp).toContain(`script-src 'self' 'sha256-${hash}'`);
			for (const part of [
				"worker-src 'self'",
				"img-src 'self' data: blob:",
				"style-src 'self' 'unsafe-inline'"
			]) {
				expect(csp).toContain(part);
			}
			expect(page.headers.get('x-frame-options')).toBe('DENY');

			const pre = await fetch(`${r.url}/${TEACHER_DB}/_changes`, {
				method: 'OPTIONS',
				headers: {
					Origin: 'https://school.example',
					'Access-Control-Request-Method': 'GET',
					'Access-Control-Request-Headers': 'authorization'
				}
			});
			expect(pre.status).toBe(204);
			expect(pre.headers.get('access-control-allow-origin')).toBe('https://school.example');
			expect(pre.headers.get('access-control-allow-credentials')).toBe('true');
			expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
			const ok = await raw(r.url, '/', { headers: { Origin: 'https://school.example' } });
			expect(ok.headers.get('access-control-allow-origin')).toBe('https://school.example');
			expect(ok.headers.get('vary')).toContain('Origin');
			const other = await raw(r.url, '/', { headers: { Origin: 'https://other.example' } });
			expect(other.headers.get('access-control-allow-origin')).toBeNull();
		} finally {
			await r.stop();
			rmSync(dir, { recursive: true, force: true });
		}
	});
});

describe('graceful shutdown', () => {
	it('ends waiting feeds and lets a write in flight finish before the store closes', async () => {
		const r = await startServer({ demo: true });
		const name = freshDb();
		await raw(r.url, `/${name}`, { method: 'PUT' });
		const feed = raw(r.url, `/${name}/_changes?feed=longpoll&since=now&heartbeat=200`);
		const docs = Array.from({ length: 2000 }, (_, i) => ({ _id: `d${i}`, n: i }));
		const write = raw(r.url, `/${name}/_bulk_docs`, { body: { docs } });
		await new Promise((res) => setTimeout(res, 100));
		const closed = r.server.close();
		const [w, f] = await Promise.all([write, feed]);
		await closed;
		expect(w.status).toBe(201);
		expect((w.json as unknown[]).length).toBe(2000);
		expect(f.status).toBe(200);
		// Everything acknowledged is on disk after a restart.
		const again = await startServer({ dataDir: r.dataDir, demo: true });
		try {
			expect((await raw(again.url, `/${name}`)).json).toMatchObject({ doc_count: 2000 });
		} finally {
			await again.stop();
		}
	});
});
