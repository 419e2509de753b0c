// `/{db}` itself as CouchDB 3 answers it: info (GET/HEAD), creation and deletion by server
// admins, `POST /{db}` for a new document, and the small per-database endpoints
// (`_ensure_full_commit`, `_compact`, `_view_cleanup`, `_revs_limit`, `_security`).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isServerAdmin } from './access';
import type { Caller } from './auth';
import { postDoc, type DocRouteContext } from './couch-docs';
import {
	CouchError,
	badRequest,
	forbidden,
	mediaType,
	methodNotAllowed,
	notFound,
	readJson,
	sendJson,
	unauthorized
} from './http-util';
import { safeName, type PouchDatabase, type Storage } from './storage';

export const notServerAdmin = () => unauthorized('You are not a server admin.');
export const dbMissing = () => notFound('Database does not exist.');

/** Deleted documents per database, counted incrementally from the changes feed. */
const deletedCounts = new WeakMap<PouchDatabase, { seq: number | string; deleted: Set<string> }>();

/**
 * The count in progress per database: callers queue behind it, so tablets that start
 * together share one scan of the feed instead of each reading it from the start.
 */
const counting = new WeakMap<PouchDatabase, Promise<number>>();

function docDelCount(db: PouchDatabase): Promise<number> {
	const previous = counting.get(db);
	const next = previous
		? previous.then(
				() => countDeleted(db),
				() => countDeleted(db)
			)
		: countDeleted(db);
	counting.set(db, next);
	const clear = () => {
		if (counting.get(db) === next) counting.delete(db);
	};
	next.then(clear, clear);
	return next;
}

async function countDeleted(db: PouchDatabase): Promise<number> {
	let cached = deletedCounts.get(db) ?? { seq: 0, deleted: new Set<string>() };
	// A database deleted and made again under the same name starts over. (Integer
	// sequences only: a CouchDB store's are opaque and never compared.)
	const { update_seq: updateSeq } = await db.info();
	if (typeof updateSeq === 'number' && typeof cached.seq === 'number' && updateSeq < cached.seq) {
		cached = { seq: 0, deleted: new Set<string>() };
	}
	// Nothing written since the last count: the feed need not be opened (integer sequences).
	if (typeof updateSeq === 'number' && updateSeq === cached.seq) return cached.deleted.size;
	const changes = (await db.changes({ since: cached.seq, return_docs: true })) as {
		results: Array<{ id: string; deleted?: boolean }>;
		last_seq: number | string;
	};
	for (const c of changes.results) {
		if (c.deleted) cached.deleted.add(c.id);
		else cached.deleted.delete(c.id);
	}
	cached.seq = changes.last_seq;
	deletedCounts.set(db, cached);
	return cached.deleted.size;
}

/**
 * Keeps the deleted count over a write without reading the feed back: called under the
 * database's write lock with the sequences read around the write (integer sequences: the
 * LevelDB store, which this process alone writes, every sequence-moving write under that
 * lock), so (from, to] is this write alone. A write without deletions can only add live
 * leaves, which win over deleted ones: no id outside the deleted set becomes deleted, so
 * when none of its ids is in the set, the set stays as it is. Otherwise the next count
 * reads the feed as before.
 */
export function countPassesOver(
	db: PouchDatabase,
	from: number | string,
	to: number | string,
	ids: string[],
	deletions: boolean
): void {
	const cached = deletedCounts.get(db);
	if (!cached || cached.seq !== from || typeof to !== 'number' || deletions) return;
	if (ids.some((id) => cached.deleted.has(id))) return;
	cached.seq = to;
}

function folderSize(dir: string): number {
	try {
		let total = 0;
		for (const f of readdirSync(dir)) total += statSync(join(dir, f)).size;
		return total;
	} catch {
		return 0;
	}
}

/**
 * Sizes per database, measured again after a write or after `SIZE_MAX_AGE_MS` (LevelDB
 * compacts in the background): a replicator asks `GET /{db}` several times a cycle and
 * never reads `sizes`, while a directory listing and a stat per file block the thread.
 */
const sizes = new Map<string, { seq: number | string; at: number; bytes: number }>();
const SIZE_MAX_AGE_MS = 10_000;
/** When expired sizes were last dropped: the map holds only recently asked databases. */
let sweptAt = 0;

function dbSize(storage: Storage, name: string, seq: number | string): number {
	if (storage.backend.kind !== 'leveldb') return 0;
	const now = Date.now();
	if (now - sweptAt >= SIZE_MAX_AGE_MS) {
		// An expired size is measured again anyway; a deleted database's is never asked again.
		for (const [key, entry] of sizes) if (now - entry.at >= SIZE_MAX_AGE_MS) sizes.delete(key);
		sweptAt = now;
	}
	const known = sizes.get(`${storage.dataDir}\0${name}`);
	if (known && known.seq === seq && now - known.at < SIZE_MAX_AGE_MS) return known.bytes;
	const bytes = folderSize(join(storage.dataDir, 'dbs', safeName(name)));
	sizes.set(`${storage.dataDir}\0${name}`, { seq, at: now, bytes });
	return bytes;
}

/** How many database sizes are kept (for tests). */
export const keptSizes = () => sizes.size;

export async function dbInfo(storage: Storage, name: string): Promise<Record<string, unknown>> {
	const db = storage.db(name);
	const info = await db.info();
	const file = dbSize(storage, name, info.update_seq);
	return {
		db_name: name,
		purge_seq: '0',
		update_seq: info.update_seq,
		sizes: { file, external: file, active: file },
		props: {},
		doc_del_count: await docDelCount(db),
		doc_count: info.doc_count,
		disk_format_version: 8,
		compact_running: false,
		cluster: { q: 1, n: 1, w: 1, r: 1 },
		instance_start_time: '0'
	};
}

export async function routeDb(
	ctx: DocRouteContext | null,
	req: IncomingMessage,
	res: ServerResponse,
	storage: Storage,
	name: string,
	caller: Caller
): Promise<void> {
	switch (req.method) {
		case 'GET':
		case 'HEAD':
			// An app database a user may read is created on first use, so a new class works at once.
			if (!ctx?.access.ref && !storage.exists(name)) throw dbMissing();
			return sendJson(res, 200, await dbInfo(storage, name));
		case 'POST':
			if (!ctx) throw dbMissing();
			if (!ctx.access.ref && !storage.exists(name)) throw dbMissing();
			return postDoc(ctx);
		case 'PUT': {
			if (!isServerAdmin(caller.user)) throw notServerAdmin();
			if (!(await storage.create(name))) {
				throw new CouchError(
					412,
					'file_exists',
					'The database could not be created, the file already exists.'
				);
			}
			return sendJson(res, 201, { ok: true }, { Location: `/${encodeURIComponent(name)}` });
		}
		case 'DELETE': {
			if (!isServerAdmin(caller.user)) throw notServerAdmin();
			if (new URL(req.url ?? '/', 'http://x').searchParams.has('rev')) {
				throw badRequest(
					'You tried to DELETE a database with a ?rev= parameter. Did you mean to DELETE a document instead?'
				);
			}
			if (!(await storage.backend.destroy(name))) throw dbMissing();
			storage.notify(name);
			return sendJson(res, 200, { ok: true });
		}
		default:
			throw methodNotAllowed('DELETE,GET,HEAD,POST,PUT');
	}
}

/** The maintenance endpoints a client may call; none has work to do on this store. */
export async function routeDbEndpoint(
	ctx: DocRouteContext,
	segment: string,
	caller: Caller
): Promise<boolean> {
	const { req, res } = ctx;
	const admin = isServerAdmin(caller.user);
	const only = (method: string) => {
		if (req.method !== method) throw methodNotAllowed(method);
	};
	switch (segment) {
		case '_ensure_full_commit':
			only('POST');
			sendJson(res, 201, { ok: true, instance_start_time: '0' });
			return true;
		case '_compact':
		case '_view_cleanup':
			only('POST');
			if (!admin) throw notServerAdmin();
			requireJsonType(req);
			sendJson(res, 202, { ok: true });
			return true;
		case '_revs_limit':
			if (req.method === 'GET') {
				sendJson(res, 200, 1000);
				return true;
			}
			only('PUT');
			if (!admin) throw notServerAdmin();
			if (!Number.isInteger(await readJson(req, ctx.bodyLimit, false))) {
				throw badRequest('Rev limit has to be an integer');
			}
			sendJson(res, 200, { ok: true });
			return true;
		case '_security':
			if (req.method === 'GET' && admin) {
				sendJson(res, 200, { admins: { names: [], roles: ['_admin'] }, members: {} });
				return true;
			}
			throw forbidden('Database security is managed by the server.');
	}
	return false;
}

function requireJsonType(req: IncomingMessage): void {
	if (mediaType(req) !== 'application/json') {
		throw new CouchError(415, 'bad_content_type', 'Content-Type must be application/json');
	}
	req.resume();
}
