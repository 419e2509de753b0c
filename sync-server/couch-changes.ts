// `GET|POST /{db}/_changes`, normal and longpoll, as PouchDB's replicator reads it.
// Invariants: a longpoll waits on Storage's change notifications (never polls), ends at its
// timeout with an empty result and the current last_seq, and stops waiting as soon as the
// client goes away.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, Query, readJsonObject } from './http-util';
import type { ChangesResult, PouchDatabase, Storage } from './storage';

export interface ChangesOptions {
	bodyLimit: number;
	/** Longest a longpoll waits before answering with no results (ms). */
	longpollMaxMs: number;
	/** Ends every waiting longpoll (server shutdown). */
	closing: AbortSignal;
}

const DEFAULT_HEARTBEAT_MS = 60_000;

function parseSince(value: string | undefined): number | 'now' {
	if (value === undefined || value === '') return 0;
	if (value === 'now') return 'now';
	// CouchDB 2+ sequences look like "12-g1AAAA…"; ours are numbers, possibly quoted.
	const n = parseInt(value.replace(/^"/, ''), 10);
	if (!Number.isFinite(n) || n < 0) throw badRequest(`Malformed since: ${value}`);
	return n;
}

export async function handleChanges(
	req: IncomingMessage,
	res: ServerResponse,
	storage: Storage,
	name: string,
	query: Query,
	opts: ChangesOptions
): Promise<void> {
	const db = storage.db(name);
	const feed = query.string('feed') ?? 'normal';
	if (feed !== 'normal' && feed !== 'longpoll') {
		throw badRequest('Only feed=normal and feed=longpoll are supported.');
	}
	let docIds: unknown = query.json('doc_ids');
	if (req.method === 'POST') {
		const body = await readJsonObject(req, opts.bodyLimit);
		if (body.doc_ids !== undefined) docIds = body.doc_ids;
	}
	const filter = query.string('filter');
	if (filter !== undefined && filter !== '_doc_ids') {
		throw badRequest('Only filter=_doc_ids is supported: this server runs no filter code.');
	}
	if (filter === '_doc_ids' && !Array.isArray(docIds)) {
		throw badRequest('filter=_doc_ids needs a doc_ids array.');
	}
	const limit = query.int('limit');
	const descending = query.bool('descending');
	let since = parseSince(query.string('since'));
	if (since === 'now') since = Number((await db.info()).update_seq);

	const changesOpts: Record<string, unknown> = {
		since,
		style: query.string('style') === 'all_docs' ? 'all_docs' : 'main_only',
		include_docs: query.bool('include_docs'),
		conflicts: query.bool('conflicts'),
		attachments: query.bool('attachments'),
		descending,
		return_docs: true,
		...(limit !== undefined ? { limit: limit === 0 ? 1 : limit } : {}),
		...(filter === '_doc_ids' ? { doc_ids: docIds } : {})
	};
	const run = () => db.changes(changesOpts);

	let result = await run();
	if (feed === 'longpoll' && !descending && result.results.length === 0) {
		result = await waitForChange(res, storage, name, query, opts, run, result);
		if (res.destroyed) return;
	}
	const body = JSON.stringify({ ...result, pending: await pending(db, result, limit) }) + '\n';
	if (!res.headersSent) {
		res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'must-revalidate' });
	}
	res.end(body);
}

/** Changes after `last_seq`; exact when the page was not full, an upper bound otherwise. */
async function pending(
	db: PouchDatabase,
	result: ChangesResult,
	limit: number | undefined
): Promise<number> {
	if (limit === undefined || result.results.length < limit) return 0;
	const updateSeq = Number((await db.info()).update_seq);
	const lastSeq = Number(result.last_seq);
	return Number.isFinite(lastSeq) ? Math.max(0, updateSeq - lastSeq) : 0;
}

async function waitForChange(
	res: ServerResponse,
	storage: Storage,
	name: string,
	query: Query,
	opts: ChangesOptions,
	run: () => Promise<ChangesResult>,
	empty: ChangesResult
): Promise<ChangesResult> {
	const heartbeatParam = query.string('heartbeat');
	const heartbeat =
		heartbeatParam === undefined
			? 0
			: heartbeatParam === 'true'
				? DEFAULT_HEARTBEAT_MS
				: Math.max(1000, query.int('heartbeat') ?? DEFAULT_HEARTBEAT_MS);
	const timeout = Math.min(query.int('timeout') ?? opts.longpollMaxMs, opts.longpollMaxMs);
	if (heartbeat) {
		// Heartbeats are newlines before the JSON, so the status must be sent first.
		res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'must-revalidate' });
	}
	const deadline = Date.now() + timeout;
	let result = empty;
	while (result.results.length === 0 && Date.now() < deadline && !res.destroyed) {
		const changed = await new Promise<boolean>((resolve) => {
			const timers: NodeJS.Timeout[] = [];
			const finish = (value: boolean) => {
				for (const t of timers) clearTimeout(t);
				stop();
				res.off('close', onClose);
				opts.closing.removeEventListener('abort', onClose);
				resolve(value);
			};
			const onClose = () => finish(false);
			const stop = storage.onChange(name, () => finish(true));
			res.on('close', onClose);
			opts.closing.addEventListener('abort', onClose);
			timers.push(setTimeout(() => finish(false), Math.max(0, deadline - Date.now())));
			if (heartbeat) {
				const beat = () => {
					if (!res.destroyed) res.write('\n');
					timers.push(setTimeout(beat, heartbeat));
				};
				timers.push(setTimeout(beat, heartbeat));
			}
		});
		if (res.destroyed || opts.closing.aborted) break;
		// Re-read even on timeout: last_seq should be current when we answer empty.
		result = await run();
		if (!changed) break;
	}
	return result;
}
