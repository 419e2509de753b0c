// Document routes of the CouchDB API: `_bulk_docs`, `_bulk_get`, `_revs_diff`, `_all_docs`,
// `_local/{id}` checkpoints and `/{db}/{id}` reads and writes. Every write passes
// `judgeWrite` first, under the database's write lock, so refused documents are never stored.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { judgeWrite, type DbAccess, type Verdict } from './access';
import {
	CouchError,
	Query,
	badRequest,
	notFound,
	readJson,
	readJsonObject,
	sendJson,
	toCouchError
} from './http-util';
import type { Doc, Storage, WriteResult } from './storage';

export interface DocRouteContext {
	req: IncomingMessage;
	res: ServerResponse;
	storage: Storage;
	access: DbAccess;
	query: Query;
	bodyLimit: number;
}

const STATUS: Record<string, number> = {
	bad_request: 400,
	unauthorized: 401,
	forbidden: 403,
	not_found: 404,
	conflict: 409
};

type BulkReply =
	{ ok: true; id: string; rev: string } | { id: string; error: string; reason: string };

/** Shapes PouchDB's per-document error as CouchDB's `{id, error, reason}`. */
function writeError(id: string | undefined, r: WriteResult): BulkReply {
	const e = toCouchError(r);
	return { id: id ?? r.id ?? '', error: e.error, reason: e.reason };
}

/** Stores what the gate lets through; refused documents get a per-document error. */
async function writeDocs(
	ctx: DocRouteContext,
	docs: unknown[],
	newEdits: boolean
): Promise<BulkReply[]> {
	const { storage, access } = ctx;
	const db = storage.db(access.name);
	return storage.withWriteLock(access.name, async () => {
		const verdicts: Verdict[] = [];
		for (const doc of docs) verdicts.push(await judgeWrite(access, db, doc, newEdits));
		const accepted = docs.filter((_d, i) => verdicts[i].ok) as Doc[];
		const written = accepted.length ? await db.bulkDocs(accepted, { new_edits: newEdits }) : [];
		if (accepted.length) storage.notify(access.name);
		const replies: BulkReply[] = [];
		let w = 0;
		docs.forEach((d, i) => {
			const v = verdicts[i];
			const id = (d as Doc | null)?._id;
			if (!v.ok) {
				replies.push({ id: typeof id === 'string' ? id : '', error: v.error, reason: v.reason });
				return;
			}
			// With new_edits:false PouchDB, like CouchDB, reports only failures.
			if (!newEdits) return;
			const r = written[w++];
			replies.push(r?.ok ? { ok: true, id: r.id!, rev: r.rev! } : writeError(id, r ?? {}));
		});
		if (!newEdits) {
			for (const r of written) if (r.error) replies.push(writeError(r.id, r));
		}
		return replies;
	});
}

export async function bulkDocs(ctx: DocRouteContext): Promise<void> {
	const body = await readJsonObject(ctx.req, ctx.bodyLimit);
	if (!Array.isArray(body.docs)) throw badRequest('POST body must include `docs` parameter.');
	const newEdits = body.new_edits !== false;
	sendJson(ctx.res, 201, await writeDocs(ctx, body.docs, newEdits));
}

export async function bulkGet(ctx: DocRouteContext): Promise<void> {
	const body = await readJsonObject(ctx.req, ctx.bodyLimit);
	if (!Array.isArray(body.docs)) throw badRequest('Missing JSON list of `docs`.');
	const { query } = ctx;
	const docs = body.docs as Array<{ id?: unknown; rev?: unknown }>;
	for (const d of docs) {
		if (typeof d?.id !== 'string') throw badRequest('Each requested doc needs a string id.');
	}
	const out = await ctx.storage.db(ctx.access.name).bulkGet({
		docs,
		revs: query.bool('revs'),
		latest: query.bool('latest'),
		attachments: query.bool('attachments'),
		binary: false
	});
	// PouchDB's errors carry stacks; answer CouchDB's `{id, rev, error, reason}` only.
	const results = out.results.map((r, i) => ({
		id: r.id,
		docs: r.docs.map((d) => {
			if ('ok' in d) return d;
			const e = toCouchError(d.error);
			const rev = typeof docs[i].rev === 'string' ? docs[i].rev : 'undefined';
			return { error: { id: r.id, rev, error: e.error, reason: e.reason } };
		})
	}));
	sendJson(ctx.res, 200, { results });
}

export async function revsDiff(ctx: DocRouteContext): Promise<void> {
	const body = await readJsonObject(ctx.req, ctx.bodyLimit);
	for (const revs of Object.values(body)) {
		if (!Array.isArray(revs) || revs.some((r) => typeof r !== 'string')) {
			throw badRequest('Each id must map to a list of revisions.');
		}
	}
	const diff = await ctx.storage.db(ctx.access.name).revsDiff(body as Record<string, string[]>);
	sendJson(ctx.res, 200, diff);
}

export async function allDocs(ctx: DocRouteContext): Promise<void> {
	const { query, req } = ctx;
	let keys = query.json('keys');
	if (req.method === 'POST') keys = (await readJsonObject(req, ctx.bodyLimit)).keys ?? keys;
	if (keys !== undefined && !Array.isArray(keys)) throw badRequest('`keys` must be an array.');
	const opts: Record<string, unknown> = {
		include_docs: query.bool('include_docs'),
		conflicts: query.bool('conflicts'),
		descending: query.bool('descending'),
		inclusive_end: query.has('inclusive_end') ? query.bool('inclusive_end') : true
	};
	const set = (k: string, v: unknown) => {
		if (v !== undefined) opts[k] = v;
	};
	set('keys', keys);
	set('key', query.json('key'));
	set('startkey', query.jsonOf('startkey', 'start_key'));
	set('endkey', query.jsonOf('endkey', 'end_key'));
	set('limit', query.int('limit'));
	set('skip', query.int('skip'));
	sendJson(ctx.res, 200, await ctx.storage.db(ctx.access.name).allDocs(opts));
}

/** `_local/{id}`: replication checkpoints; anyone who may read the database may keep them. */
export async function localDoc(ctx: DocRouteContext, localId: string): Promise<void> {
	const { req, res, query } = ctx;
	const db = ctx.storage.db(ctx.access.name);
	const id = `_local/${localId}`;
	if (req.method === 'GET' || req.method === 'HEAD') {
		sendJson(res, 200, await db.get(id));
	} else if (req.method === 'PUT') {
		const doc = await readJsonObject(req, ctx.bodyLimit, false);
		const out = await db.put({ ...doc, _id: id });
		sendJson(res, 201, { ok: true, id, rev: out.rev });
	} else if (req.method === 'DELETE') {
		const rev = query.string('rev') ?? (await db.get(id))._rev;
		if (!rev) throw notFound();
		const out = await db.remove(id, rev);
		sendJson(res, 200, { ok: true, id, rev: out.rev });
	} else {
		throw new CouchError(405, 'method_not_allowed', 'Only GET,HEAD,PUT,DELETE allowed');
	}
}

/** `GET /{db}/{id}` with CouchDB's read options, including `open_revs` (answered as JSON). */
export async function getDoc(ctx: DocRouteContext, id: string): Promise<void> {
	const { query } = ctx;
	const opts: Record<string, unknown> = {};
	for (const flag of ['revs', 'revs_info', 'conflicts', 'deleted_conflicts', 'latest']) {
		if (query.has(flag)) opts[flag] = query.bool(flag);
	}
	if (query.bool('attachments')) {
		opts.attachments = true;
		opts.binary = false;
	}
	const rev = query.string('rev');
	if (rev) opts.rev = rev;
	const openRevs = query.string('open_revs');
	if (openRevs !== undefined) {
		opts.open_revs = openRevs === 'all' ? 'all' : query.json('open_revs');
		if (opts.open_revs !== 'all' && !Array.isArray(opts.open_revs)) {
			throw badRequest('open_revs must be "all" or a JSON array of revisions.');
		}
	}
	const doc: unknown = await ctx.storage.db(ctx.access.name).get(id, opts);
	const docRev = Array.isArray(doc) ? undefined : (doc as Doc)._rev;
	sendJson(ctx.res, 200, doc, docRev ? { ETag: `"${docRev}"` } : {});
}

/** `PUT /{db}/{id}` (and `DELETE` as a tombstone write): one document through the gate. */
export async function putDoc(ctx: DocRouteContext, id: string, remove: boolean): Promise<void> {
	const { req, query } = ctx;
	let doc: Doc;
	if (remove) {
		const rev = query.string('rev') ?? req.headers['if-match']?.replaceAll('"', '');
		if (!rev) throw new CouchError(409, 'conflict', 'Document update conflict.');
		doc = { _id: id, _rev: rev, _deleted: true };
	} else {
		const body = await readJson(req, ctx.bodyLimit, false);
		if (typeof body !== 'object' || body === null || Array.isArray(body)) {
			throw badRequest('Document must be a JSON object');
		}
		doc = { ...(body as Doc), _id: id };
		const rev = query.string('rev');
		if (rev) doc._rev = rev;
	}
	const newEdits = !(query.has('new_edits') && !query.bool('new_edits'));
	const [reply] = await writeDocs(ctx, [doc], newEdits);
	if (reply && 'error' in reply) {
		throw new CouchError(STATUS[reply.error] ?? 500, reply.error, reply.reason);
	}
	const rev = reply?.rev ?? doc._rev ?? '';
	sendJson(ctx.res, remove ? 200 : 201, { ok: true, id, rev }, { ETag: `"${rev}"` });
}

/** `GET /{db}/{id}/{attachment}`: the attachment's bytes. */
export async function getAttachment(ctx: DocRouteContext, id: string, att: string): Promise<void> {
	const db = ctx.storage.db(ctx.access.name);
	const rev = ctx.query.string('rev');
	const doc = await db.get(id, rev ? { rev } : {});
	const stub = (doc._attachments as Record<string, { content_type?: string }> | undefined)?.[att];
	if (!stub) throw notFound('Document is missing attachment');
	const data = await db.getAttachment(id, att, rev ? { rev } : {});
	ctx.res.writeHead(200, {
		'Content-Type': stub.content_type ?? 'application/octet-stream',
		'Content-Length': data.length
	});
	ctx.res.end(ctx.req.method === 'HEAD' ? undefined : data);
}
