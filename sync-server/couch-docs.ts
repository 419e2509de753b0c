// Document routes of the CouchDB API: `_bulk_docs`, `_bulk_get`, `_revs_diff`, `_all_docs`,
// `_local/{id}` checkpoints and `/{db}/{id}` reads and writes (PUT, DELETE, COPY, POST).
// Every write passes CouchDB's structural checks (couch-validate.ts), then `judgeWrites`
// (one read of what the database holds for the whole batch) under the database's write
// lock, so refused documents are never stored. After the lock is released, what the write
// changed is copied into its mirrors (mirrors.ts) before the reply, so a push acknowledged
// to the writer has reached the other side too.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { judgeWrites, noteUnknownIds, type DbAccess } from './access';
import { countPassesOver } from './couch-db';
import {
	bulkGetResults,
	openRevs,
	orderDoc,
	readMeta,
	sendMultipartRevs,
	wantsMultipart
} from './couch-revs';
import { REV, checkDoc, checkDocId } from './couch-validate';
import { mirrorsOf, type WrittenBatch } from './mirrors';
import {
	CouchError,
	Query,
	badRequest,
	notFound,
	readJson,
	readJsonObject,
	sendJson,
	sendJsonText,
	toCouchError
} from './http-util';
import type { Doc, PouchDatabase, Storage, WriteResult } from './storage';

export interface DocRouteContext {
	req: IncomingMessage;
	res: ServerResponse;
	storage: Storage;
	access: DbAccess;
	query: Query;
	bodyLimit: number;
	maxAttachmentBytes: number;
}

const STATUS: Record<string, number> = {
	bad_request: 400,
	unauthorized: 401,
	forbidden: 403,
	not_found: 404,
	conflict: 409,
	missing_stub: 412
};
const CONFLICT = 'Document update conflict.';
export const conflict = () => new CouchError(409, 'conflict', CONFLICT);

type BulkReply =
	{ ok: true; id: string; rev: string } | { id: string; error: string; reason: string };

/** Shapes PouchDB's per-document error as CouchDB's `{id, error, reason}`. */
function writeError(id: string | undefined, r: WriteResult): BulkReply {
	const e = toCouchError(r);
	const reason = e.error === 'conflict' ? CONFLICT : e.reason;
	return { id: id ?? r.id ?? '', error: e.error, reason };
}

/** Stores what the gate lets through; refused documents get a per-document error. */
export async function writeDocs(
	ctx: DocRouteContext,
	docs: Doc[],
	newEdits: boolean
): Promise<BulkReply[]> {
	const { storage, access } = ctx;
	const db = storage.db(access.name);
	const dbOf = (name: string) => storage.db(name);
	let stored: WrittenBatch | null = null;
	const replies = await storage.withWriteLock(access.name, async () => {
		const verdicts = await judgeWrites(access, db, docs, newEdits, dbOf);
		const accepted = docs.filter((_d, i) => verdicts[i].ok);
		let written: WriteResult[] = [];
		if (accepted.length) {
			// Sequences around the write, under the lock: the mirrors' pass may skip re-reading it.
			const from = (await db.info()).update_seq;
			written = await db.bulkDocs(accepted, { new_edits: newEdits });
			const to = (await db.info()).update_seq;
			storage.notify(access.name);
			stored = { from, to, ids: accepted.map((d) => d._id ?? '') };
			const deletions = accepted.some((d) => d._deleted === true);
			countPassesOver(db, from, to, stored.ids, deletions);
		}
		const replies: BulkReply[] = [];
		let w = 0;
		docs.forEach((d, i) => {
			const v = verdicts[i];
			if (!v.ok) {
				replies.push({ id: d._id ?? '', error: v.error, reason: v.reason });
				return;
			}
			// With new_edits:false PouchDB, like CouchDB, reports only failures.
			if (!newEdits) return;
			const r = written[w++];
			replies.push(r?.ok ? { ok: true, id: r.id!, rev: r.rev! } : writeError(d._id, r ?? {}));
		});
		if (!newEdits) {
			for (const r of written) if (r.error) replies.push(writeError(r.id, r));
		}
		return replies;
	});
	// Outside the lock: copying takes the mirrors' locks, never the other way round.
	if (stored && access.ref) {
		await mirrorsOf(storage).afterWrite(access.name, stored);
	}
	return replies;
}

/** One document written through the gate; a refusal is an HTTP error as CouchDB answers it. */
async function writeOne(ctx: DocRouteContext, doc: Doc, newEdits = true): Promise<string> {
	const [reply] = await writeDocs(ctx, [doc], newEdits);
	if (reply && 'error' in reply) {
		throw new CouchError(STATUS[reply.error] ?? 400, reply.error, reply.reason);
	}
	return reply?.rev ?? doc._rev ?? '';
}

export async function bulkDocs(ctx: DocRouteContext): Promise<void> {
	const body = await readJsonObject(ctx.req, ctx.bodyLimit);
	if (!Array.isArray(body.docs)) throw badRequest('POST body must include `docs` parameter.');
	if (body.new_edits !== undefined && typeof body.new_edits !== 'boolean') {
		throw badRequest('`new_edits` parameter must be a boolean.');
	}
	const newEdits = body.new_edits !== false;
	const docs = body.docs.map((d) => checkDoc(d, newEdits, ctx.maxAttachmentBytes));
	sendJson(ctx.res, 201, await writeDocs(ctx, docs, newEdits));
}

export async function bulkGet(ctx: DocRouteContext): Promise<void> {
	const body = await readJsonObject(ctx.req, ctx.bodyLimit);
	if (!Array.isArray(body.docs)) throw badRequest("Missing JSON list of 'docs'.");
	const { query, storage } = ctx;
	const name = ctx.access.name;
	const db = storage.db(name);
	const entries = body.docs;
	const opts = {
		revs: query.bool('revs'),
		latest: query.bool('latest'),
		attachments: query.bool('attachments')
	};
	const compute = async () =>
		JSON.stringify({ results: await bulkGetResults(db, entries, opts) }) + '\n';
	// `_local` documents change without moving the update sequence: never from the cache.
	const local = entries.some((e) =>
		String((e as { id?: unknown } | null)?.id).startsWith('_local')
	);
	const text =
		storage.reads && !local
			? await storage.reads.answer(
					name,
					db,
					`_bulk_get ${JSON.stringify([opts, entries])}`,
					compute
				)
			: await compute();
	sendJsonText(ctx.res, 200, text);
}

export async function revsDiff(ctx: DocRouteContext): Promise<void> {
	const body = await readJsonObject(ctx.req, ctx.bodyLimit);
	for (const revs of Object.values(body)) {
		if (!Array.isArray(revs) || revs.some((r) => typeof r !== 'string' || !REV.test(r))) {
			throw badRequest('Each id must map to a list of valid revisions.');
		}
	}
	const db = ctx.storage.db(ctx.access.name);
	sendJson(ctx.res, 200, await diffRevs(db, body as Record<string, string[]>));
}

const pos = (rev: string) => parseInt(rev, 10);

type RevsDiff = Record<string, { missing: string[]; possible_ancestors?: string[] }>;

/**
 * `_revs_diff` as CouchDB answers it: per id the revisions not stored, and beside them the
 * stored leaves of a lower generation (`possible_ancestors`), so a replicator can send
 * attachments since them. Each id's leaves are read first (unknown documents: one read for
 * all of them where the store can, else one each; all their revisions missing); PouchDB's
 * `revsDiff` then judges only ids that exist. The unknown ids are noted for the
 * `_bulk_docs` that follows (access.ts `noteUnknownIds`).
 */
async function diffRevs(db: PouchDatabase, req: Record<string, string[]>): Promise<RevsDiff> {
	const ids = Object.keys(req);
	if (ids.length === 0) return {};
	const seq = (await db.info()).update_seq;
	const leavesOf = new Map<string, Array<{ ok?: Doc }>>();
	// Where the store can say in one read which ids it holds, only those are read one by one.
	const known = db.knownIds ? await db.knownIds(ids) : null;
	await Promise.all(
		(known ? ids.filter((id) => known.has(id)) : ids).map(async (id) => {
			const leaves = await db.get(id, { open_revs: 'all' }).catch((e: { status?: number }) => {
				if (e?.status === 404) return null;
				throw e;
			});
			if (leaves && (leaves as unknown[]).length) {
				leavesOf.set(id, leaves as unknown as Array<{ ok?: Doc }>);
			}
		})
	);
	const unknown = ids.filter((id) => !leavesOf.has(id));
	if (unknown.length && (await db.info()).update_seq === seq) noteUnknownIds(db, seq, unknown);
	const existing: Record<string, string[]> = {};
	for (const id of leavesOf.keys()) existing[id] = req[id];
	const judged = leavesOf.size ? await db.revsDiff(existing) : {};
	const diff: RevsDiff = {};
	for (const id of ids) {
		const leaves = leavesOf.get(id);
		if (!leaves) {
			// As PouchDB's revsDiff: an id asked about no revision is not listed.
			if (req[id].length) diff[id] = { missing: [...req[id]] };
			continue;
		}
		const found = judged[id];
		if (!found?.missing.length) continue;
		const maxMissing = Math.max(...found.missing.map(pos));
		const ancestors = leaves
			.map((l) => l.ok?._rev)
			.filter((r): r is string => !!r && pos(r) < maxMissing);
		diff[id] = {
			missing: found.missing,
			...(ancestors.length ? { possible_ancestors: ancestors } : {})
		};
	}
	return diff;
}

const ALL_DOCS_JSON = ['key', 'keys', 'startkey', 'start_key', 'endkey', 'end_key'];

export async function allDocs(ctx: DocRouteContext): Promise<void> {
	const { query, req } = ctx;
	// POST takes the same options in its body; `keys` usually comes that way.
	const body = req.method === 'POST' ? await readJsonObject(req, ctx.bodyLimit) : {};
	const get = (name: string): unknown =>
		name in body ? body[name] : ALL_DOCS_JSON.includes(name) ? query.json(name) : undefined;
	const flag = (name: string, fallback: boolean): boolean => {
		if (name in body) {
			if (typeof body[name] !== 'boolean') throw queryError(`Invalid boolean parameter: "${name}"`);
			return body[name] as boolean;
		}
		return query.has(name) ? query.bool(name) : fallback;
	};
	const count = (name: string): number | undefined => {
		const v = name in body ? body[name] : query.int(name);
		if (v === undefined) return undefined;
		if (!Number.isInteger(v) || (v as number) < 0) {
			throw queryError(`Invalid value for positive integer: "${String(v)}"`);
		}
		return v as number;
	};
	const keys = get('keys');
	if (keys !== undefined && !Array.isArray(keys))
		throw badRequest('`keys` body member must be an array.');
	const startkey = get('startkey') ?? get('start_key');
	const endkey = get('endkey') ?? get('end_key');
	const key = get('key');
	if (keys !== undefined && (key !== undefined || startkey !== undefined || endkey !== undefined)) {
		throw queryError('`keys` is incompatible with `key`, `start_key` and `end_key`');
	}
	const opts: Record<string, unknown> = {
		include_docs: flag('include_docs', false),
		conflicts: flag('conflicts', false),
		descending: flag('descending', false),
		inclusive_end: flag('inclusive_end', true),
		update_seq: flag('update_seq', false)
	};
	if (flag('attachments', false)) Object.assign(opts, { attachments: true, binary: false });
	const set = (k: string, v: unknown) => {
		if (v !== undefined) opts[k] = v;
	};
	set('keys', keys);
	set('key', key);
	set('startkey', startkey);
	set('endkey', endkey);
	set('limit', count('limit'));
	set('skip', count('skip'));
	const out = (await ctx.storage.db(ctx.access.name).allDocs(opts)) as {
		rows: Array<{ doc?: Doc | null }>;
	};
	for (const r of out.rows) if (r.doc) r.doc = orderDoc(r.doc);
	sendJson(ctx.res, 200, out);
}

const queryError = (reason: string) => new CouchError(400, 'query_parse_error', reason);

/** The revision a write names: `?rev=`, the body's `_rev` or `If-Match`, which must agree. */
function explicitRev(req: IncomingMessage, query: Query, bodyRev?: unknown): string | undefined {
	const fromQuery = query.string('rev');
	const ifMatch = req.headers['if-match']?.replace(/^"|"$/g, '');
	if (bodyRev !== undefined && fromQuery !== undefined && bodyRev !== fromQuery) {
		throw badRequest('Document rev from request body and query string have different values');
	}
	const rev = fromQuery ?? (typeof bodyRev === 'string' ? bodyRev : undefined);
	if (ifMatch !== undefined && rev !== undefined && ifMatch !== rev) {
		throw badRequest('Document rev and etag have different values');
	}
	const out = rev ?? ifMatch;
	if (out !== undefined && !REV.test(out)) throw badRequest('Invalid rev format');
	return out;
}

/** `_local/{id}`: replication checkpoints; anyone who may read the database may keep them. */
export async function localDoc(ctx: DocRouteContext, localId: string): Promise<void> {
	const { req, res, query } = ctx;
	const db = ctx.storage.db(ctx.access.name);
	const id = `_local/${localId}`;
	switch (req.method) {
		case 'GET':
		case 'HEAD':
			return sendJson(res, 200, orderDoc(await db.get(id)));
		case 'PUT': {
			const doc = await readJsonObject(req, ctx.bodyLimit, false);
			const rev = query.string('rev') ?? doc._rev;
			const out = await db
				.put({ ...doc, _id: id, ...(typeof rev === 'string' ? { _rev: rev } : {}) })
				.catch(rethrowConflict);
			return sendJson(res, 201, { ok: true, id, rev: out.rev });
		}
		case 'DELETE': {
			await db.get(id);
			const rev = query.string('rev') ?? req.headers['if-match']?.replace(/^"|"$/g, '');
			if (!rev) throw conflict();
			const out = await db.remove(id, rev).catch(rethrowConflict);
			return sendJson(res, 200, { ok: true, id, rev: out.rev });
		}
		default:
			throw new CouchError(405, 'method_not_allowed', 'Only GET,HEAD,PUT,DELETE allowed', {
				Allow: 'GET,HEAD,PUT,DELETE'
			});
	}
}

function rethrowConflict(e: unknown): never {
	if ((e as { status?: number }).status === 409) throw conflict();
	throw e;
}

/** `GET /{db}/{id}` with CouchDB's read options, `open_revs` as JSON or multipart/mixed. */
export async function getDoc(ctx: DocRouteContext, id: string): Promise<void> {
	const { query, req, res } = ctx;
	const db = ctx.storage.db(ctx.access.name);
	const attachments = query.bool('attachments');
	const latest = query.bool('latest');
	const attsSince = query.json('atts_since');
	const atts_since =
		Array.isArray(attsSince) && attsSince.every((r) => typeof r === 'string' && REV.test(r))
			? (attsSince as string[])
			: undefined;
	const openRevsParam = query.string('open_revs');
	if (openRevsParam !== undefined) {
		const revs = openRevsParam === 'all' ? 'all' : query.json('open_revs');
		if (revs !== 'all' && (!Array.isArray(revs) || revs.some((r) => typeof r !== 'string'))) {
			throw badRequest('Invalid open_revs value: must be "all" or a JSON list of revisions.');
		}
		const results = await openRevs(db, id, revs as 'all' | string[], {
			revs: query.bool('revs'),
			attachments,
			atts_since,
			latest
		});
		if (wantsMultipart(req)) return sendMultipartRevs(res, results);
		const body = results.map((r) => ('ok' in r ? { ok: orderDoc(r.ok) } : r));
		return sendJson(res, 200, body);
	}

	const opts: Record<string, unknown> = {};
	for (const flag of ['revs', 'revs_info', 'conflicts', 'deleted_conflicts']) {
		if (query.has(flag)) opts[flag] = query.bool(flag);
	}
	if (attachments) Object.assign(opts, { attachments: true, binary: false, atts_since });
	let rev = query.string('rev');
	if (rev !== undefined && !REV.test(rev)) throw badRequest('Invalid rev format');
	if (rev && latest) {
		const [found] = await openRevs(db, id, [rev], { latest: true });
		if (!found || 'missing' in found) throw notFound('missing');
		rev = found.ok._rev;
	}
	if (rev) opts.rev = rev;
	const deletedConflicts = opts.deleted_conflicts === true;
	delete opts.deleted_conflicts;
	let doc = (await db.get(id, opts)) as Doc;
	if (query.bool('meta')) doc = await readMeta(db, doc, true);
	else if (deletedConflicts) doc = await readMeta(db, doc, false);
	const etag = `"${doc._rev}"`;
	if (!rev && req.headers['if-none-match'] === etag) {
		res.writeHead(304, { ETag: etag });
		res.end();
		return;
	}
	sendJson(res, 200, orderDoc(doc), { ETag: etag });
}

function batchReply(ctx: DocRouteContext, status: number, id: string, rev: string): void {
	if (ctx.query.string('batch') === 'ok') {
		sendJson(ctx.res, 202, { ok: true, id });
		return;
	}
	sendJson(ctx.res, status, { ok: true, id, rev }, { ETag: `"${rev}"` });
}

/** `PUT /{db}/{id}`: one document through the gate. */
export async function putDoc(ctx: DocRouteContext, id: string): Promise<void> {
	const { req, query } = ctx;
	const body = await readJson(req, ctx.bodyLimit, false);
	if (typeof body !== 'object' || body === null || Array.isArray(body)) {
		throw badRequest('Document must be a JSON object');
	}
	const input = body as Doc;
	const rev = explicitRev(req, query, input._rev);
	const newEdits = !(query.has('new_edits') && !query.bool('new_edits'));
	const doc = checkDoc({ ...input, _id: id }, newEdits, ctx.maxAttachmentBytes);
	if (rev) doc._rev = rev;
	const written = await writeOne(ctx, doc, newEdits);
	batchReply(ctx, 201, id, written);
}

/** `POST /{db}`: a new document, its id given or made by the server. */
export async function postDoc(ctx: DocRouteContext): Promise<void> {
	const body = await readJsonObject(ctx.req, ctx.bodyLimit);
	const doc = checkDoc(body, true, ctx.maxAttachmentBytes);
	const rev = await writeOne(ctx, doc);
	const id = doc._id!;
	ctx.res.setHeader(
		'Location',
		`/${encodeURIComponent(ctx.access.name)}/${encodeURIComponent(id)}`
	);
	batchReply(ctx, 201, id, rev);
}

/** `DELETE /{db}/{id}`: 404 unless the document exists, 409 without a revision, as CouchDB. */
export async function deleteDoc(ctx: DocRouteContext, id: string): Promise<void> {
	const db = ctx.storage.db(ctx.access.name);
	await db.get(id);
	const rev = explicitRev(ctx.req, ctx.query);
	if (!rev) throw conflict();
	const written = await writeOne(ctx, { _id: id, _rev: rev, _deleted: true });
	sendJson(ctx.res, 200, { ok: true, id, rev: written }, { ETag: `"${written}"` });
}

/** `COPY /{db}/{id}` with `Destination: new-id[?rev=…]`. */
export async function copyDoc(ctx: DocRouteContext, id: string): Promise<void> {
	const dest = ctx.req.headers.destination;
	if (typeof dest !== 'string' || dest === '') {
		throw badRequest('Destination header is mandatory for COPY.');
	}
	const q = dest.indexOf('?');
	let destId: string;
	try {
		destId = decodeURIComponent(q < 0 ? dest : dest.slice(0, q));
	} catch {
		throw badRequest('Malformed Destination header.');
	}
	checkDocId(destId);
	const destRev =
		q < 0 ? undefined : (new URLSearchParams(dest.slice(q + 1)).get('rev') ?? undefined);
	if (destRev !== undefined && !REV.test(destRev)) throw badRequest('Invalid rev format');
	const rev = ctx.query.string('rev');
	const source = (await ctx.storage
		.db(ctx.access.name)
		.get(id, { attachments: true, binary: false, ...(rev ? { rev } : {}) })) as Doc;
	const fields: Doc = { ...source };
	delete fields._rev;
	delete fields._id;
	const copy: Doc = { ...fields, _id: destId, ...(destRev ? { _rev: destRev } : {}) };
	const written = await writeOne(ctx, copy);
	sendJson(ctx.res, 201, { ok: true, id: destId, rev: written }, { ETag: `"${written}"` });
}
