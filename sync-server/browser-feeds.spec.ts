// An office browser's first sync, as Chromium makes it: one live two-way sync per database
// the user may read (15 for the demo's office), all through at most 6 HTTP/1.1 connections
// to the origin. Each caught-up database keeps a longpoll open; if the server held every
// one of them until a change, 6 idle databases would hold every connection and the others'
// first pulls would wait, queued in the browser, for a write that may never come (the
// afternoon e2e once saw the office miss a class's releases this way). The server holds
// only a few waiting feeds per client (couch-changes.ts, `FeedSlots`).
import { Agent, request } from 'node:http';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
	Client,
	call,
	localDb,
	signIn,
	startServer,
	stopping,
	until,
	type ClientDatabase,
	type Running
} from './test-helpers';

/** Chromium's limit of HTTP/1.1 connections per origin. */
const BROWSER_CONNECTIONS = 6;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

interface FetchInit {
	method?: string;
	headers: Headers;
	body?: string;
	signal?: AbortSignal;
}

/**
 * `fetch` over node:http through `agent`, whose `maxSockets` queues requests beyond the
 * limit as a browser does. (PouchDB's node-fetch misreads chunked bodies on sockets that
 * an agent with a limit reuses: "Premature close".)
 */
function agentFetch(agent: Agent, cookie: string) {
	return (url: string, init: FetchInit) =>
		new Promise<Response>((resolve, reject) => {
			const headers: Record<string, string> = { Cookie: cookie };
			init.headers.forEach((v, k) => (headers[k] = v));
			const req = request(
				url,
				{ method: init.method ?? 'GET', headers, agent, signal: init.signal },
				(res) => {
					const empty = res.statusCode === 204 || res.statusCode === 304;
					const body = empty ? null : (Readable.toWeb(res) as ReadableStream);
					const out = new Headers();
					for (const [k, v] of Object.entries(res.headers)) {
						if (v !== undefined) out.set(k, Array.isArray(v) ? v.join(', ') : v);
					}
					resolve(new Response(body, { status: res.statusCode, headers: out }));
				}
			);
			req.on('error', reject);
			req.end(init.body);
		});
}

/** A remote database whose requests share the browser's few connections, with the cookie. */
function browserRemote(url: string, db: string, cookie: string, agent: Agent): ClientDatabase {
	return new Client(`${url}/${db}`, { fetch: agentFetch(agent, cookie) });
}

async function docCount(r: Running, root: string, db: string): Promise<number> {
	const res = await call(r.url, `/${db}/_all_docs?limit=0`, { cookie: root });
	return (res.body as { total_rows: number }).total_rows;
}

describe('a browser syncing many databases through 6 connections', () => {
	it('the office’s first sync brings every database it may read', async () => {
		const r = await startServer();
		cleanups.push(() => r.stop());
		const root = await signIn(r.url, 'root', 'kehou-root');
		const cookie = await signIn(r.url, 'admin', 'kehou-admin');
		const me = (await call(r.url, '/_kehou/me', { cookie })).body as { databases: string[] };
		expect(me.databases.length).toBeGreaterThan(BROWSER_CONNECTIONS);
		const expected = new Map<string, number>();
		for (const db of me.databases) expected.set(db, await docCount(r, root, db));

		const agent = new Agent({ maxSockets: BROWSER_CONNECTIONS });
		cleanups.push(async () => agent.destroy());
		const locals = new Map<string, ClientDatabase>();
		for (const db of me.databases) {
			const local = localDb();
			cleanups.push(local.dispose);
			locals.set(db, local.db);
			// As the app's liveSync: live both ways, heartbeat, no retry.
			const live = local.db.sync(browserRemote(r.url, db, cookie, agent), {
				live: true,
				retry: false,
				batch_size: 1000,
				batches_limit: 5,
				heartbeat: 25_000
			});
			cleanups.push(stopping(live));
		}

		const missing = async () => {
			const out: string[] = [];
			for (const [db, n] of expected) {
				const info = (await locals.get(db)!.info()) as { doc_count: number };
				if (info.doc_count < n) out.push(`${db}: ${info.doc_count}/${n}`);
			}
			return out;
		};
		// Nothing is written meanwhile: no change would ever free a held connection.
		await until(async () => (await missing()).length === 0, 20_000).catch(() => undefined);
		expect(await missing()).toEqual([]);
	}, 40_000);
});
