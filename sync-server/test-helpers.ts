// Test helpers for the sync-server specs: a server per test in a fresh temp folder, signed-in
// HTTP calls, PouchDB clients in Node, and mark documents as the app writes them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PouchDB from 'pouchdb-core';
import http from 'pouchdb-adapter-http';
import replication from 'pouchdb-replication';
import { v7 as uuidv7 } from 'uuid';
import { createSyncServer, type SyncServer, type SyncServerOptions } from './app';
import { buildDemoDocs, currentTerm } from './demo';
import type { Doc, PouchDatabase } from './storage';

export interface Running {
	server: SyncServer;
	url: string;
	dataDir: string;
	/** Closes the server; `keepData` leaves the folder for a restart. */
	stop(keepData?: boolean): Promise<void>;
}

export async function startServer(
	opts: Partial<SyncServerOptions> & { dataDir?: string } = {}
): Promise<Running> {
	const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'kehou-test-'));
	const server = createSyncServer({ logLevel: 'silent', demo: true, ...opts, dataDir });
	const { url } = await server.listen(0, '127.0.0.1');
	return {
		server,
		url,
		dataDir,
		async stop(keepData = false) {
			await server.close();
			if (!keepData) rmSync(dataDir, { recursive: true, force: true });
		}
	};
}

/** Signs in and returns the `AuthSession=…` cookie pair. */
export async function signIn(url: string, name: string, password: string): Promise<string> {
	const res = await fetch(`${url}/_session`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ name, password })
	});
	if (res.status !== 200) throw new Error(`sign-in failed: ${res.status}`);
	const cookie = res.headers.get('set-cookie') ?? '';
	return cookie.split(';')[0];
}

export interface Reply {
	status: number;
	body: unknown;
	headers: Headers;
}

/** A JSON call with an optional cookie; the body is parsed when it is JSON. */
export async function call(
	url: string,
	path: string,
	init: { method?: string; cookie?: string; body?: unknown; headers?: Record<string, string> } = {}
): Promise<Reply> {
	const headers: Record<string, string> = { Accept: 'application/json', ...init.headers };
	if (init.cookie) headers.Cookie = init.cookie;
	if (init.body !== undefined && !headers['Content-Type']) {
		headers['Content-Type'] = 'application/json';
	}
	const res = await fetch(url + path, {
		method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
		headers,
		body:
			init.body === undefined
				? undefined
				: typeof init.body === 'string'
					? init.body
					: JSON.stringify(init.body)
	});
	const text = await res.text();
	let body: unknown = text;
	try {
		body = JSON.parse(text);
	} catch {
		// not JSON: keep the text
	}
	return { status: res.status, body, headers: res.headers };
}

/** PouchDB as a Node client uses it: the HTTP adapter plus replication. */
export interface ClientDatabase extends PouchDatabase {
	replicate: {
		to(target: ClientDatabase, opts?: Record<string, unknown>): Promise<ReplicationResult>;
		from(source: ClientDatabase, opts?: Record<string, unknown>): Promise<ReplicationResult>;
	};
	sync(other: ClientDatabase, opts?: Record<string, unknown>): LiveSync;
	destroy(): Promise<void>;
}

export interface ReplicationResult {
	ok: boolean;
	docs_written: number;
	doc_write_failures: number;
	errors: unknown[];
}

export interface LiveSync {
	on(event: string, fn: (info: unknown) => void): LiveSync;
	cancel(): void;
}

/**
 * A cleanup that cancels a live sync and resolves only once both directions
 * have ended, so no request is still in flight when the server stops.
 */
export function stopping(live: LiveSync): () => Promise<void> {
	const ended = new Promise<void>((resolve) => {
		live.on('complete', () => resolve());
		live.on('error', () => resolve());
	});
	return async () => {
		live.cancel();
		await ended;
	};
}

interface ClientConstructor {
	new (name: string, opts?: Record<string, unknown>): ClientDatabase;
	plugin(p: unknown): ClientConstructor;
	replicate(
		source: ClientDatabase,
		target: ClientDatabase,
		opts?: Record<string, unknown>
	): Promise<ReplicationResult>;
	fetch(url: string, opts: { headers: Headers }): Promise<Response>;
}

export const Client = PouchDB as unknown as ClientConstructor;
Client.plugin(http).plugin(replication);

/** A local LevelDB database in a temp folder, as a device would hold it. */
export function localDb(): { db: ClientDatabase; dispose(): Promise<void> } {
	const dir = mkdtempSync(join(tmpdir(), 'kehou-client-'));
	const db = new Client(join(dir, 'db'), { adapter: 'leveldb' });
	return {
		db,
		async dispose() {
			await db.close();
			rmSync(dir, { recursive: true, force: true });
		}
	};
}

/** A remote database reached with the session cookie through a custom `fetch`. */
export function remoteWithCookie(url: string, db: string, cookie: string): ClientDatabase {
	return new Client(`${url}/${db}`, {
		fetch: (u: string, opts: { headers: Headers }) => {
			opts.headers.set('Cookie', cookie);
			return Client.fetch(u, opts);
		}
	});
}

/** A remote database reached with HTTP Basic credentials, as CouchDB accepts them. */
export function remoteWithBasic(url: string, db: string, username: string, password: string) {
	return new Client(`${url}/${db}`, { auth: { username, password } });
}

export function mark(fields: Partial<Doc> & { groupId: string; studentId: string }): Doc {
	const id = uuidv7();
	return {
		_id: `mark:${id}`,
		type: 'mark',
		id,
		date: '2026-11-30',
		status: 'present',
		at: new Date().toISOString(),
		deviceId: 'device-0001',
		author: 'teacher',
		...fields
	};
}

export const TEACHER_DB = 'kh-demo--g--svc-3-1';
export const OTHER_DB = 'kh-demo--g--svc-3-2';
/** Documents the demo seeds into TEACHER_DB: cards, enrollments, pickups, mirrored leave. */
export const TEACHER_DB_SEEDED = buildDemoDocs().filter(
	(d) => d.db === TEACHER_DB || d.mirrors.includes(TEACHER_DB)
).length;
/** The first demo child of svc-3-1 (its number follows the current school year). */
export const FIRST_STUDENT = `s${currentTerm(new Date()).year - 2}030101`;

export async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
	const end = Date.now() + timeoutMs;
	while (Date.now() < end) {
		if (await check()) return;
		await new Promise((r) => setTimeout(r, 50));
	}
	throw new Error('condition not met in time');
}
