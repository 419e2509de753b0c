// Both store backends: the LevelDB handle bound (LRU with reference counts) and a shared
// remote store — another instance of this very server acting as CouchDB — behind two
// stateless fronts that share sessions and wake each other's longpolls.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Storage } from './storage';
import type { LevelBackend } from './storage-level';
import {
	FIRST_STUDENT,
	TEACHER_DB,
	call,
	localDb,
	mark,
	remoteWithCookie,
	signIn,
	startServer,
	type Running
} from './test-helpers';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
	const dir = mkdtempSync(join(tmpdir(), 'kehou-storage-'));
	cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
	return dir;
}

describe('LevelDB handles (LRU)', () => {
	it('keeps at most 3 open while 20 databases are busy, and loses nothing', async () => {
		const storage = new Storage(tempDir(), { maxOpenDbs: 3 });
		cleanups.push(() => storage.close());
		await storage.init();
		const level = storage.backend as LevelBackend;
		const names = Array.from({ length: 20 }, (_, i) => `plain-${i}`);
		// Rounds of interleaved writes and reads on all 20, many calls in flight at once.
		for (let round = 0; round < 5; round++) {
			await Promise.all(
				names.flatMap((n, i) => [
					storage.db(n).put({ _id: `doc-${round}`, n, round }),
					storage
						.db(names[(i + 7) % names.length])
						.info()
						.then(() => undefined)
				])
			);
			// Idle again: everything beyond the limit has been closed.
			expect(level.openCount).toBeLessThanOrEqual(3);
		}
		for (const n of names) {
			const all = (await storage.db(n).allDocs({ include_docs: true })) as {
				rows: Array<{ doc: { n: string } }>;
			};
			expect(all.rows.length).toBe(5);
			expect(all.rows.every((r) => r.doc.n === n)).toBe(true);
		}
		expect(level.openCount).toBeLessThanOrEqual(3);
		expect(level.stats.closed).toBeGreaterThan(20);
		expect(storage.list()).toEqual([...names].sort());
	});

	it('never closes a handle under a call in flight, and reopens after a racing close', async () => {
		const storage = new Storage(tempDir(), { maxOpenDbs: 1 });
		cleanups.push(() => storage.close());
		await storage.init();
		const a = storage.db('race-a');
		const b = storage.db('race-b');
		await a.bulkDocs(Array.from({ length: 200 }, (_, i) => ({ _id: `d${i}` })));
		// A long read on `a` while `b` is opened over and over: `a` is over the limit but busy.
		const reads = Array.from({ length: 10 }, () =>
			a.allDocs({ include_docs: true }).then((r) => (r as { rows: unknown[] }).rows.length)
		);
		const writes = Array.from({ length: 10 }, (_, i) => b.put({ _id: `b${i}` }));
		// `a` may be closing when these arrive; they wait for the close and reopen it.
		const late = Array.from({ length: 5 }, (_, i) => a.put({ _id: `late-${i}` }));
		const counts = await Promise.all(reads);
		await Promise.all([...writes, ...late]);
		expect(counts.every((c) => c >= 200)).toBe(true);
		expect(((await a.info()) as { doc_count: number }).doc_count).toBe(205);
		expect(((await b.info()) as { doc_count: number }).doc_count).toBe(10);
		expect((storage.backend as LevelBackend).openCount).toBeLessThanOrEqual(1);
	});

	it('serves 20 databases over HTTP with KEHOU_MAX_OPEN_DBS=3', async () => {
		const r = await startServer({ demo: false, storage: { maxOpenDbs: 3 } });
		cleanups.push(() => r.stop());
		await r.server.createUser({
			name: 'root',
			password: 'root-password',
			displayName: 'Root',
			schoolId: 'demo',
			roles: ['server-admin']
		});
		const cookie = await signIn(r.url, 'root', 'root-password');
		const names = Array.from({ length: 20 }, (_, i) => `kh-demo--g--club-${i}`);
		const replies = await Promise.all(
			names.map((n, i) =>
				call(r.url, `/${n}/_bulk_docs`, {
					cookie,
					body: {
						docs: [
							{ ...mark({ groupId: `club-${i}`, studentId: 's1' }), author: 'root' },
							{ ...mark({ groupId: `club-${i}`, studentId: 's2' }), author: 'root' }
						]
					}
				})
			)
		);
		for (const reply of replies) expect(reply.status).toBe(201);
		const infos = await Promise.all(names.map((n) => call(r.url, `/${n}`, { cookie })));
		expect(infos.map((i) => (i.body as { doc_count: number }).doc_count)).toEqual(
			names.map(() => 2)
		);
		expect((r.server.storage.backend as LevelBackend).openCount).toBeLessThanOrEqual(3);
	});
});

describe('a remote store shared by two stateless fronts', () => {
	async function setup() {
		// The store: another instance of this server, with a server-admin account.
		const store = await startServer({ demo: false });
		cleanups.push(() => store.stop());
		await store.server.createUser({
			name: 'storeadmin',
			password: 'store-admin-password',
			displayName: 'Store',
			schoolId: 'demo',
			roles: ['server-admin']
		});
		const couchdb = {
			url: store.url,
			username: 'storeadmin',
			password: 'store-admin-password'
		};
		const fronts: Running[] = [];
		// The first front seeds the demo school into the store; the second finds it there.
		for (let i = 0; i < 2; i++) {
			const f = await startServer({ demo: true, storage: { couchdb } });
			cleanups.push(() => f.stop());
			fronts.push(f);
		}
		return { store, a: fronts[0], b: fronts[1] };
	}

	it('shares the uuid, accounts and sessions, and stores under the prefix', async () => {
		const { store, a, b } = await setup();
		const uuid = (r: Running) => call(r.url, '/').then((x) => (x.body as { uuid: string }).uuid);
		expect(await uuid(a)).toBe(await uuid(b));
		expect(await uuid(a)).not.toBe(await uuid(store));

		// A session made on one front is valid on the other, and signing out ends it on both.
		const cookie = await signIn(a.url, 'teacher', 'kehou-teacher');
		expect((await call(b.url, `/${TEACHER_DB}`, { cookie })).status).toBe(200);
		const storeCookie = await signIn(store.url, 'storeadmin', 'store-admin-password');
		const dbs = (await call(store.url, '/_all_dbs', { cookie: storeCookie })).body as string[];
		expect(dbs).toContain(`kehou-${TEACHER_DB}`);
		expect(dbs).toContain('kehou-_system');
		expect((await call(a.url, '/_session', { method: 'DELETE', cookie })).status).toBe(200);
		expect((await call(b.url, `/${TEACHER_DB}`, { cookie })).status).toBe(401);
	});

	it('replicates through one front and wakes a longpoll waiting on the other', async () => {
		const { a, b } = await setup();
		const cookie = await signIn(a.url, 'teacher', 'kehou-teacher');
		const since = (
			(await call(b.url, `/${TEACHER_DB}/_changes?since=now`, { cookie })).body as {
				last_seq: number;
			}
		).last_seq;
		const poll = call(
			b.url,
			`/${TEACHER_DB}/_changes?feed=longpoll&since=${since}&timeout=20000&heartbeat=1000`,
			{ cookie }
		);
		await new Promise((r) => setTimeout(r, 300));

		const device = localDb();
		cleanups.push(device.dispose);
		const m = mark({ groupId: 'svc-3-1', studentId: FIRST_STUDENT });
		await device.db.put(m);
		const started = Date.now();
		const pushed = await device.db.replicate.to(remoteWithCookie(a.url, TEACHER_DB, cookie));
		expect(pushed.docs_written).toBe(1);
		const woken = await poll;
		expect((woken.body as { results: Array<{ id: string }> }).results.map((x) => x.id)).toEqual([
			m._id
		]);
		expect(Date.now() - started).toBeLessThan(5000);

		// A second device pulls everything through the other front.
		const other = localDb();
		cleanups.push(other.dispose);
		const pulled = await other.db.replicate.from(remoteWithCookie(b.url, TEACHER_DB, cookie));
		expect(pulled.ok).toBe(true);
		expect(await other.db.get(m._id!)).toMatchObject({ type: 'mark', status: 'present' });
		// The gate still runs in the fronts: a mark for another class is refused.
		const wrong = await call(a.url, `/${TEACHER_DB}/_bulk_docs`, {
			cookie,
			body: { docs: [mark({ groupId: 'svc-3-2', studentId: FIRST_STUDENT })] }
		});
		expect((wrong.body as Array<{ error?: string }>)[0].error).toBe('forbidden');
	});
});
