// Both store backends: the LevelDB handle bound (LRU with reference counts) and a shared
// remote store — another instance of this very server acting as CouchDB — behind two
// stateless fronts that share sessions and wake each other's longpolls.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage } from 'node:http';
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

	it('knows which ids it holds as PouchDB does, deleted and conflicted ones too, across reopening', async () => {
		const storage = new Storage(tempDir(), { maxOpenDbs: 1 });
		cleanups.push(() => storage.close());
		await storage.init();
		const db = storage.db('known-ids');
		const other = storage.db('known-other');
		const ids = ['plain', 'mark:01JQ中文', 'a b/c?d', 'gone', 'split'];
		await db.bulkDocs(ids.map((_id) => ({ _id, n: 1 })));
		const gone = await db.get('gone');
		await db.remove('gone', gone._rev as string);
		await db.bulkDocs([{ _id: 'split', _rev: '1-abc', n: 2 }], { new_edits: false });
		await other.put({ _id: 'elsewhere' });
		const asked = [...ids, 'never', 'elsewhere', 'plain2', 'plai'];
		// PouchDB's own answer: an id with any leaf (deleted ones too) is held.
		const held = new Set<string>();
		for (const id of asked) {
			const leaves = (await db.get(id, { open_revs: 'all' }).catch(() => [])) as unknown[];
			if (leaves.length) held.add(id);
		}
		expect([...held].sort()).toEqual([...ids].sort());
		expect(await db.knownIds!(asked)).toEqual(held);
		// `other` took the only handle: `db` is closed and opened again for the read.
		await other.info();
		expect((storage.backend as LevelBackend).stats.closed).toBeGreaterThan(0);
		expect(await db.knownIds!(asked)).toEqual(held);
		expect(await other.knownIds!(asked)).toEqual(new Set(['elsewhere']));
		expect(await db.knownIds!([])).toEqual(new Set());
	});

	it('reads changes pages from LevelDB exactly as PouchDB answers them', async () => {
		const storage = new Storage(tempDir(), { maxOpenDbs: 1 });
		cleanups.push(() => storage.close());
		await storage.init();
		const db = storage.db('level-changes');
		// Every kind of entry the by-sequence store holds: plain documents, updated ones
		// (earlier entries superseded), a deletion, conflicts (the losing branch written after
		// the winner, and a deleted branch), attachments, a design document, non-ASCII ids,
		// and a local document (never in the feed).
		await db.bulkDocs(
			['plain', 'mark:01JQ中文', 'a b/c?d', 'gone', 'split', 'edited', 'later'].map((_id, n) => ({
				_id,
				n,
				flag: n % 2 === 0,
				nested: { list: [1, null, 'x'] }
			}))
		);
		const edited = await db.get('edited');
		await db.put({ ...edited, n: 99 });
		const gone = await db.get('gone');
		await db.remove('gone', gone._rev as string);
		await db.bulkDocs(
			[
				{ _id: 'split', _rev: '1-aaa', side: 'a' },
				{ _id: 'split', _rev: '2-zzz', _revisions: { start: 2, ids: ['zzz', 'aaa'] }, side: 'z' },
				{ _id: 'split', _rev: '3-bbb', _revisions: { start: 3, ids: ['bbb', 'b2', 'b1'] } }
			],
			{ new_edits: false }
		);
		await db.bulkDocs([{ _id: 'split', _rev: '1-000', _deleted: true }], { new_edits: false });
		await db.put({
			_id: 'photo',
			_attachments: { 'a.txt': { content_type: 'text/plain', data: 'aGVsbG8=' } }
		});
		await db.put({ _id: '_design/v', views: {} });
		await db.put({ _id: '_local/checkpoint', last_seq: 3 });
		const later = await db.get('later');
		await db.put({ ...later, n: 100 });
		const { update_seq: top } = (await db.info()) as { update_seq: number };

		const cases: { since: number; limit?: number; style: 'all_docs' | 'main_only' }[] = [];
		for (const since of [0, 1, 3, 7, top - 1, top])
			for (const limit of [undefined, 1, 2, 3, 5, 1000])
				for (const style of ['all_docs', 'main_only'] as const) cases.push({ since, limit, style });
		for (const c of cases)
			for (const includeDocs of [true, false])
				for (const conflicts of [true, false]) {
					const opts = { ...c, includeDocs, conflicts };
					const pouch = await db.changes({
						since: c.since,
						style: c.style,
						include_docs: includeDocs,
						conflicts,
						return_docs: true,
						...(c.limit !== undefined ? { limit: c.limit } : {})
					});
					expect(await db.levelChanges!(opts), JSON.stringify(opts)).toEqual({
						results: pouch.results,
						last_seq: pouch.last_seq
					});
				}
		// The handle was closed (another database took it) and is opened again for the read.
		await storage.db('level-other').info();
		const again = await db.levelChanges!({
			since: 0,
			style: 'all_docs',
			includeDocs: true,
			conflicts: true
		});
		expect(again.results.map((r) => r.id)).toEqual([
			'plain',
			'mark:01JQ中文',
			'a b/c?d',
			'edited',
			'gone',
			'split',
			'photo',
			'_design/v',
			'later'
		]);
	});

	it('misses no change when documents are written while its pages are read', async () => {
		const storage = new Storage(tempDir());
		cleanups.push(() => storage.close());
		await storage.init();
		const db = storage.db('level-changes-busy');
		await db.bulkDocs(Array.from({ length: 60 }, (_, i) => ({ _id: `d${i}`, n: 0 })));
		const latest = new Map<string, string>();
		let since = 0;
		for (let round = 0; ; round++) {
			// Writes racing the read: updates of documents already given and not yet given,
			// and new ones.
			const writing =
				round < 25
					? (async () => {
							for (const id of [`d${(round * 7) % 60}`, `d${(round * 13 + 5) % 60}`]) {
								const doc = await db.get(id);
								await db.put({ ...doc, n: round });
							}
							await db.put({ _id: `new${round}`, n: round });
						})()
					: Promise.resolve();
			const page = await db.levelChanges!({
				since,
				limit: 7,
				style: 'main_only',
				includeDocs: false,
				conflicts: false
			});
			await writing;
			for (const row of page.results) latest.set(row.id, row.changes[0].rev);
			if (page.results.length === 0 && round >= 25) break;
			if (page.results.length > 0) {
				expect(page.last_seq).toBeGreaterThan(since);
				since = page.last_seq;
			}
		}
		const all = (await db.allDocs({})) as { rows: { id: string; value: { rev: string } }[] };
		expect(all.rows.length).toBe(85);
		expect(new Map(all.rows.map((r) => [r.id, r.value.rev]))).toEqual(latest);
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

/** CouchDB 3's shape of an update sequence: a number, a dash, an opaque token. */
const opaqueSeq = (n: number) => `${n}-g1AAAA${Buffer.from(`seq:${n}`).toString('base64url')}`;

/**
 * Sequences as CouchDB 3 gives them, over a store that counts in integers: a proxy that
 * turns every `seq`, `last_seq` and `update_seq` it answers into an opaque string and
 * takes back, as `since`, only such a string (or 0, `now`) — anything else, a number the
 * front made up from one, is refused as CouchDB refuses a malformed sequence.
 */
async function opaqueSequences(target: string) {
	const refused: string[] = [];
	const toInt = (since: string) => {
		if (since === '0' || since === 'now') return since;
		const m = /^(\d+)-g1AAAA[\w-]+$/.exec(since);
		return m && opaqueSeq(Number(m[1])) === since ? m[1] : null;
	};
	const rewrite = (v: unknown): unknown => {
		if (Array.isArray(v)) return v.map(rewrite);
		if (typeof v !== 'object' || v === null) return v;
		return Object.fromEntries(
			Object.entries(v).map(([k, x]) => [
				k,
				['seq', 'last_seq', 'update_seq'].includes(k) && typeof x === 'number'
					? opaqueSeq(x)
					: rewrite(x)
			])
		);
	};
	const server = createServer((req, res) => {
		const url = new URL(req.url ?? '/', target);
		const since = url.searchParams.get('since');
		if (since !== null) {
			const n = toInt(since);
			if (n === null) {
				refused.push(since);
				res.writeHead(400, { 'Content-Type': 'application/json' });
				res.end(JSON.stringify({ error: 'bad_request', reason: 'Malformed sequence' }));
				return;
			}
			url.searchParams.set('since', n);
		}
		const headers = { ...req.headers, host: url.host };
		const upstream = request(url, { method: req.method, headers }, (up: IncomingMessage) => {
			if (!String(up.headers['content-type']).startsWith('application/json')) {
				res.writeHead(up.statusCode ?? 502, up.headers);
				up.pipe(res);
				return;
			}
			let text = '';
			up.setEncoding('utf8');
			up.on('data', (c: string) => (text += c));
			up.on('end', () => {
				let body = text;
				try {
					body = JSON.stringify(rewrite(JSON.parse(text)));
				} catch {
					// not one JSON value: as it came
				}
				const out = { ...up.headers };
				delete out['content-length'];
				delete out['transfer-encoding'];
				res.writeHead(up.statusCode ?? 502, out);
				res.end(body);
			});
		});
		upstream.on('error', () => res.destroy());
		req.pipe(upstream);
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	cleanups.push(
		() =>
			new Promise<void>((r) => {
				server.closeAllConnections();
				server.close(() => r());
			})
	);
	const { port } = server.address() as { port: number };
	return { url: `http://127.0.0.1:${port}`, refused };
}

describe('a remote store shared by two stateless fronts', () => {
	async function setup(opts: { opaque?: boolean } = {}) {
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
		const proxy = opts.opaque ? await opaqueSequences(store.url) : null;
		const couchdb = {
			url: proxy?.url ?? store.url,
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
		return { store, a: fronts[0], b: fronts[1], refused: proxy?.refused ?? [] };
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

	it('passes CouchDB 3’s opaque sequences through, never parsing them', async () => {
		const { a, b, refused } = await setup({ opaque: true });
		const cookie = await signIn(a.url, 'teacher', 'kehou-teacher');
		const OPAQUE = /^\d+-g1AAAA[\w-]+$/;
		type Changes = {
			results: Array<{ id: string; seq: unknown }>;
			last_seq: string;
			pending: number;
		};
		const changes = async (r: Running, query: string) => {
			const res = await call(r.url, `/${TEACHER_DB}/_changes?${query}`, { cookie });
			expect(res.status).toBe(200);
			return res.body as Changes;
		};

		const info = (await call(a.url, `/${TEACHER_DB}`, { cookie })).body as { update_seq: string };
		expect(info.update_seq).toMatch(OPAQUE);
		const first = await changes(a, 'limit=5');
		expect(first.results).toHaveLength(5);
		for (const row of first.results) expect(row.seq).toMatch(OPAQUE);
		expect(first.last_seq).toMatch(OPAQUE);
		expect(first.pending).toBe(1);
		// The next page starts after the opaque last_seq, on either front.
		const rest = await changes(b, `since=${encodeURIComponent(first.last_seq)}`);
		expect(rest.results.length).toBeGreaterThan(0);
		const seen = new Set(first.results.map((r) => r.id));
		expect(rest.results.some((r) => seen.has(r.id))).toBe(false);
		expect(rest.pending).toBe(0);
		const quoted = await changes(b, `since=${encodeURIComponent(JSON.stringify(first.last_seq))}`);
		expect(quoted.results.map((r) => r.id)).toEqual(rest.results.map((r) => r.id));
		const now = await changes(a, 'since=now');
		expect(now).toMatchObject({ results: [], last_seq: rest.last_seq });

		// A longpoll from an opaque sequence wakes on a write through the other front.
		const poll = call(
			b.url,
			`/${TEACHER_DB}/_changes?feed=longpoll&since=${encodeURIComponent(now.last_seq)}&timeout=20000`,
			{ cookie }
		);
		const device = localDb();
		cleanups.push(device.dispose);
		const m = mark({ groupId: 'svc-3-1', studentId: FIRST_STUDENT });
		await device.db.put(m);
		expect((await device.db.replicate.to(remoteWithCookie(a.url, TEACHER_DB, cookie))).ok).toBe(
			true
		);
		const woken = (await poll).body as Changes;
		expect(woken.results.map((r) => r.id)).toEqual([m._id]);
		expect(woken.last_seq).toMatch(OPAQUE);

		// A device pulls everything, then again from its checkpoint (an opaque sequence).
		const other = localDb();
		cleanups.push(other.dispose);
		const remote = remoteWithCookie(b.url, TEACHER_DB, cookie);
		expect((await other.db.replicate.from(remote)).ok).toBe(true);
		expect(await other.db.get(m._id!)).toMatchObject({ type: 'mark' });
		const again = await other.db.replicate.from(remote);
		expect(again).toMatchObject({ ok: true, docs_written: 0 });
		expect(refused).toEqual([]);
	});
});
