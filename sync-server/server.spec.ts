// The server as a whole: welcome and uuid, longpoll changes, static files and negotiation.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { logPath } from './app';
import {
	FIRST_STUDENT,
	TEACHER_DB,
	TEACHER_DB_SEEDED,
	call,
	mark,
	signIn,
	startServer,
	type Running
} from './test-helpers';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(opts: Parameters<typeof startServer>[0] = {}): Promise<Running> {
	const r = await startServer(opts);
	cleanups.push(() => r.stop());
	return r;
}

describe('the welcome', () => {
	it('answers anonymously with a uuid that survives a restart', async () => {
		const first = await startServer({ demo: false });
		const a = await call(first.url, '/');
		expect(a.status).toBe(200);
		expect(a.body).toMatchObject({ couchdb: 'Welcome', vendor: { name: 'kehou' } });
		const uuid = (a.body as { uuid: string }).uuid;
		expect(uuid).toMatch(/^[0-9a-f]{32}$/);
		await first.stop(true);
		const second = await start({ dataDir: first.dataDir, demo: false });
		expect(((await call(second.url, '/')).body as { uuid: string }).uuid).toBe(uuid);
	});
});

describe('_changes', () => {
	it('returns a longpoll as soon as a document arrives', async () => {
		const { url } = await start();
		const cookie = await signIn(url, 'teacher', 'kehou-teacher');
		const started = Date.now();
		const poll = call(
			url,
			`/${TEACHER_DB}/_changes?feed=longpoll&since=now&heartbeat=1000&timeout=20000`,
			{
				cookie
			}
		);
		await new Promise((r) => setTimeout(r, 300));
		const m = mark({ groupId: 'svc-3-1', studentId: FIRST_STUDENT });
		await call(url, `/${TEACHER_DB}/_bulk_docs`, { cookie, body: { docs: [m] } });
		const res = await poll;
		expect(res.status).toBe(200);
		const body = res.body as { results: Array<{ id: string }>; last_seq: number };
		expect(body.results.map((r) => r.id)).toEqual([m._id]);
		expect(body.last_seq).toBe(TEACHER_DB_SEEDED + 1);
		expect(Date.now() - started).toBeLessThan(5000);
	});

	it('ends a longpoll at its timeout with no results', async () => {
		const { url } = await start();
		const cookie = await signIn(url, 'teacher', 'kehou-teacher');
		const res = await call(url, `/${TEACHER_DB}/_changes?feed=longpoll&since=now&timeout=300`, {
			cookie
		});
		expect(res.body).toEqual({ results: [], last_seq: TEACHER_DB_SEEDED, pending: 0 });
	});

	it('stops waiting when the client goes away', async () => {
		const r = await start();
		const cookie = await signIn(r.url, 'teacher', 'kehou-teacher');
		const controller = new AbortController();
		const poll = fetch(`${r.url}/${TEACHER_DB}/_changes?feed=longpoll&since=now&heartbeat=500`, {
			headers: { Cookie: cookie },
			signal: controller.signal
		}).catch(() => null);
		await new Promise((res) => setTimeout(res, 300));
		const listening = () =>
			(
				r.server.storage as unknown as { changes: { listenerCount(n: string): number } }
			).changes.listenerCount(TEACHER_DB);
		expect(listening()).toBe(1);
		controller.abort();
		await poll;
		await new Promise((res) => setTimeout(res, 100));
		expect(listening()).toBe(0);
	});

	it('pages with limit, reports pending, filters by doc ids and supports style=all_docs', async () => {
		const { url } = await start();
		const cookie = await signIn(url, 'teacher', 'kehou-teacher');
		const page = await call(url, `/${TEACHER_DB}/_changes?limit=10&style=all_docs`, { cookie });
		expect(page.body).toMatchObject({ last_seq: 10, pending: TEACHER_DB_SEEDED - 10 });
		const id = `student:${FIRST_STUDENT}`;
		const filtered = await call(url, `/${TEACHER_DB}/_changes?filter=_doc_ids&include_docs=true`, {
			cookie,
			body: { doc_ids: [id] }
		});
		const results = (filtered.body as { results: Array<{ id: string; doc: { name: string } }> })
			.results;
		expect(results.map((x) => x.id)).toEqual([id]);
		expect(results[0].doc.name).toBeTruthy();
		// No design documents exist here, so a named filter is CouchDB's 404 `missing`.
		const js = await call(url, `/${TEACHER_DB}/_changes?filter=app/by_type`, { cookie });
		expect(js.status).toBe(404);
	});
});

describe('static PWA and content negotiation', () => {
	it('serves files, falls back to index.html for navigations and leaves the rest to the API', async () => {
		const dir = mkdtempSync(join(tmpdir(), 'kehou-static-'));
		cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
		mkdirSync(join(dir, '_app/immutable'), { recursive: true });
		writeFileSync(join(dir, 'index.html'), '<!doctype html><title>课后</title>');
		writeFileSync(join(dir, 'service-worker.js'), 'self.addEventListener("fetch", () => {});');
		writeFileSync(join(dir, '_app/immutable/app.abc123.js'), 'export {};');
		const { url } = await start({ staticDir: dir, demo: false });

		const html = { Accept: 'text/html,application/xhtml+xml' };
		const home = await fetch(`${url}/`, { headers: html });
		expect(home.headers.get('content-type')).toMatch(/text\/html/);
		expect(home.headers.get('cache-control')).toBe('no-cache');
		expect(await home.text()).toContain('课后');
		const deep = await fetch(`${url}/roll/svc-3-1`, { headers: html });
		expect(deep.status).toBe(200);
		expect(await deep.text()).toContain('课后');

		const sw = await fetch(`${url}/service-worker.js`);
		expect(sw.headers.get('content-type')).toMatch(/javascript/);
		expect(sw.headers.get('cache-control')).toBe('no-cache');
		const asset = await fetch(`${url}/_app/immutable/app.abc123.js`);
		expect(asset.headers.get('cache-control')).toContain('immutable');

		expect((await call(url, '/')).body).toMatchObject({ couchdb: 'Welcome' });
		const noAccept = await fetch(`${url}/`);
		expect(((await noAccept.json()) as { couchdb: string }).couchdb).toBe('Welcome');
		expect((await call(url, '/_session')).body).toMatchObject({ ok: true });
	});
});

describe('request logs', () => {
	it('cut document ids (student numbers) out of logged paths', () => {
		expect(logPath('/kh-demo--g--svc-3-1/student:s2024030101')).toBe(
			'/kh-demo--g--svc-3-1/student:…'
		);
		expect(logPath('/kh-demo--g--svc-3-1/_changes')).toBe('/kh-demo--g--svc-3-1/_changes');
		expect(logPath('/_session')).toBe('/_session');
	});
});
