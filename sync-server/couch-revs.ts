// Reading revisions as CouchDB does: `open_revs` (JSON or `multipart/mixed`), `latest`,
// `meta`, and `_bulk_get` with one result per requested entry, in order.
// PouchDB's own `latest` throws outside any promise (crashing the process) for a revision
// it does not know, and its bulkGet merges entries of one id; both are done here instead.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { REV } from './couch-validate';
import { badRequest, toCouchError } from './http-util';
import type { Doc, PouchDatabase } from './storage';

export type OpenRev = { ok: Doc } | { missing: string };

export interface ReadOptions {
	revs?: boolean;
	attachments?: boolean;
	atts_since?: string[];
	latest?: boolean;
}

const revisionsOf = (leaf: Doc) => leaf._revisions as { start: number; ids: string[] } | undefined;

/** Does `leaf`'s history contain `rev`? */
function descendsFrom(leaf: Doc, rev: string): boolean {
	const h = revisionsOf(leaf);
	if (!h) return leaf._rev === rev;
	const dash = rev.indexOf('-');
	const pos = Number(rev.slice(0, dash));
	const i = h.start - pos;
	return i >= 0 && i < h.ids.length && h.ids[i] === rev.slice(dash + 1);
}

/** `open_revs` of one document; `revs` is `'all'` or a list of revisions. */
export async function openRevs(
	db: PouchDatabase,
	id: string,
	revs: 'all' | string[],
	opts: ReadOptions
): Promise<OpenRev[]> {
	if (revs !== 'all') {
		for (const r of revs) if (!REV.test(r)) throw badRequest('Invalid rev format');
	}
	const read = {
		revs: !!opts.revs,
		...(opts.attachments ? { attachments: true, binary: false } : {}),
		...(opts.attachments && opts.atts_since ? { atts_since: opts.atts_since } : {})
	};
	if (revs === 'all' || !opts.latest) {
		const found = (await db.get(id, { ...read, open_revs: revs })) as unknown as OpenRev[];
		// PouchDB answers in the order its reads complete; CouchDB in the order asked.
		if (revs === 'all') return found;
		const at = (r: OpenRev) => revs.indexOf('ok' in r ? (r.ok._rev ?? '') : r.missing);
		return found.sort((a, b) => at(a) - at(b));
	}
	// The replicator's case: one revision, usually the winning leaf, whose latest is itself
	// (a leaf has no descendants). Read the winner first: two LevelDB reads instead of five.
	if (revs.length === 1 && !opts.attachments && !id.startsWith('_local/')) {
		const winner = (await db.get(id, { revs: !!opts.revs }).catch(() => null)) as Doc | null;
		if (winner?._rev === revs[0]) return [{ ok: winner }];
	}
	// latest: each requested revision is answered by the leaves that descend from it.
	const leaves = (await db
		.get(id, { open_revs: 'all', revs: true })
		.catch(() => [])) as unknown as Array<{ ok?: Doc }>;
	const wanted: string[] = [];
	const out: Array<OpenRev | string> = [];
	for (const rev of revs) {
		const found = leaves.filter((l) => l.ok && descendsFrom(l.ok, rev)).map((l) => l.ok!._rev!);
		if (found.length === 0) out.push({ missing: rev });
		for (const f of found) {
			if (!wanted.includes(f)) {
				wanted.push(f);
				out.push(f);
			}
		}
	}
	if (wanted.length === 0) return out as OpenRev[];
	const docs = (await db.get(id, { ...read, open_revs: wanted })) as unknown as OpenRev[];
	const byRev = new Map(docs.map((d) => ['ok' in d ? d.ok._rev : d.missing, d]));
	return out.map((o) => (typeof o === 'string' ? byRev.get(o)! : o));
}

/** CouchDB's key order: `_id`, `_rev` first, then the body, then the special fields. */
export function orderDoc(doc: Doc): Doc {
	const out: Doc = { _id: doc._id, _rev: doc._rev };
	for (const [k, v] of Object.entries(doc)) if (!k.startsWith('_')) out[k] = v;
	for (const [k, v] of Object.entries(doc)) if (k.startsWith('_') && !(k in out)) out[k] = v;
	if (out._rev === undefined) delete out._rev;
	return out;
}

/**
 * `meta=true` is conflicts, deleted_conflicts and revs_info together; without `all`, only
 * `_deleted_conflicts` (which PouchDB does not give).
 */
export async function readMeta(db: PouchDatabase, doc: Doc, all: boolean): Promise<Doc> {
	const leaves = (await db.get(doc._id!, { open_revs: 'all' })) as unknown as Array<{ ok?: Doc }>;
	const others = leaves.map((l) => l.ok).filter((d): d is Doc => !!d && d._rev !== doc._rev);
	const conflicts = others.filter((d) => !d._deleted).map((d) => d._rev!);
	const deleted = others.filter((d) => d._deleted).map((d) => d._rev!);
	if (!all) return { ...doc, ...(deleted.length ? { _deleted_conflicts: deleted } : {}) };
	const info = (await db.get(doc._id!, { rev: doc._rev, revs_info: true })) as Doc;
	return {
		...doc,
		...(conflicts.length ? { _conflicts: conflicts } : {}),
		...(deleted.length ? { _deleted_conflicts: deleted } : {}),
		_revs_info: info._revs_info
	};
}

/** Sends `open_revs` results as `multipart/mixed`, one JSON part per revision. */
export function sendMultipartRevs(res: ServerResponse, results: OpenRev[]): void {
	const boundary = randomBytes(16).toString('hex');
	const chunks: Uint8Array[] = [];
	const push = (s: string | Uint8Array) =>
		chunks.push(typeof s === 'string' ? new TextEncoder().encode(s) : s);
	for (const r of results) {
		push(`--${boundary}\r\n`);
		if ('missing' in r) {
			push(`Content-Type: application/json; error="true"\r\n\r\n`);
			push(JSON.stringify({ missing: r.missing }));
		} else {
			const atts = r.ok._attachments as Record<string, { data?: string }> | undefined;
			const inline = atts && Object.values(atts).some((a) => typeof a.data === 'string');
			if (!inline) {
				push('Content-Type: application/json\r\n\r\n');
				push(JSON.stringify(orderDoc(r.ok)));
			} else {
				pushRelated(push, r.ok, atts);
			}
		}
		push('\r\n');
	}
	push(`--${boundary}--`);
	const body = Buffer.concat(chunks);
	res.writeHead(200, {
		'Content-Type': `multipart/mixed; boundary="${boundary}"`,
		'Content-Length': body.length
	});
	res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** A document with attachments as CouchDB nests it: `multipart/related`, JSON then bodies. */
function pushRelated(
	push: (s: string | Uint8Array) => void,
	doc: Doc,
	atts: Record<string, { data?: string; content_type?: string }>
): void {
	const inner = randomBytes(16).toString('hex');
	const stubs: Record<string, unknown> = {};
	const bodies: Array<[string, Uint8Array, string]> = [];
	for (const [name, a] of Object.entries(atts)) {
		if (typeof a.data !== 'string') {
			stubs[name] = a;
			continue;
		}
		const bytes = new Uint8Array(Buffer.from(a.data, 'base64'));
		const rest: Record<string, unknown> = { ...a };
		delete rest.data;
		stubs[name] = { ...rest, length: bytes.length, follows: true };
		bodies.push([name, bytes, a.content_type ?? 'application/octet-stream']);
	}
	push(`Content-Type: multipart/related; boundary="${inner}"\r\n\r\n`);
	push(`--${inner}\r\nContent-Type: application/json\r\n\r\n`);
	push(JSON.stringify(orderDoc({ ...doc, _attachments: stubs })));
	for (const [name, bytes, type] of bodies) {
		push(`\r\n--${inner}\r\n`);
		push(`Content-Disposition: attachment; filename=${JSON.stringify(name)}\r\n`);
		push(`Content-Type: ${type}\r\nContent-Length: ${bytes.length}\r\n\r\n`);
		push(bytes);
	}
	push(`\r\n--${inner}--`);
}

/** Does the client ask for `multipart/mixed` (as CouchDB's own replicator does)? */
export function wantsMultipart(req: IncomingMessage): boolean {
	return /(^|,)\s*multipart\/mixed\s*(;|,|$)/i.test(req.headers.accept ?? '');
}

interface BulkGetEntry {
	id?: unknown;
	rev?: unknown;
	atts_since?: unknown;
}

const entryError = (id: unknown, rev: unknown, error: string, reason: string) => ({
	error: {
		id: typeof id === 'string' ? id : null,
		rev: typeof rev === 'string' ? rev : null,
		error,
		reason
	}
});

/** Entries of one `_bulk_get` read at the same time (LevelDB reads run side by side). */
const BULK_GET_CONCURRENCY = 32;

/** `_bulk_get`: one result per requested entry, in order, errors per entry. */
export async function bulkGetResults(
	db: PouchDatabase,
	entries: unknown[],
	opts: ReadOptions
): Promise<Array<{ id: string | null; docs: unknown[] }>> {
	const out: Array<{ id: string | null; docs: unknown[] }> = new Array(entries.length);
	let next = 0;
	const worker = async () => {
		while (next < entries.length) {
			const i = next++;
			out[i] = await bulkGetEntry(db, entries[i], opts);
		}
	};
	const workers = Math.min(BULK_GET_CONCURRENCY, entries.length);
	await Promise.all(Array.from({ length: workers }, worker));
	return out;
}

async function bulkGetEntry(
	db: PouchDatabase,
	raw: unknown,
	opts: ReadOptions
): Promise<{ id: string | null; docs: unknown[] }> {
	const e = (typeof raw === 'object' && raw !== null ? raw : {}) as BulkGetEntry;
	const id = typeof e.id === 'string' ? e.id : null;
	if (id === null || id === '') {
		return { id, docs: [entryError(e.id, e.rev, 'bad_request', 'docid must be specified')] };
	}
	if (e.rev !== undefined && (typeof e.rev !== 'string' || !REV.test(e.rev))) {
		return { id, docs: [entryError(id, e.rev, 'bad_request', 'Invalid rev format')] };
	}
	const attsSince =
		Array.isArray(e.atts_since) && e.atts_since.every((r) => typeof r === 'string' && REV.test(r))
			? (e.atts_since as string[])
			: undefined;
	try {
		let results: OpenRev[];
		if (typeof e.rev === 'string') {
			results = await openRevs(db, id, [e.rev], { ...opts, atts_since: attsSince });
		} else {
			const read = opts.attachments ? { attachments: true, binary: false } : {};
			const doc = (await db.get(id, { ...read, revs: !!opts.revs })) as Doc;
			results = [{ ok: doc }];
		}
		return {
			id,
			docs: results.map((r) =>
				'ok' in r ? { ok: orderDoc(r.ok) } : entryError(id, r.missing, 'not_found', 'missing')
			)
		};
	} catch (err) {
		const c = toCouchError(err);
		if (c.status >= 500) throw err;
		return { id, docs: [entryError(id, e.rev ?? 'undefined', c.error, c.reason)] };
	}
}
