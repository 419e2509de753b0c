// `GET|POST /{db}/_changes` as CouchDB 3 answers it: feeds normal, longpoll, continuous
// (newline-delimited rows) and eventsource; filters `_doc_ids`, `_selector` (a Mango
// selector evaluated as data, see couch-mango.ts) and `_design`.
// Invariants: waiting feeds wait on Storage's change notifications (never poll), end at
// their timeout with the current last_seq (unless a heartbeat keeps them open, as in
// CouchDB), end with a last_seq line when the server shuts down, and stop as soon as the
// client goes away. A client holds at most `FeedSlots.perClient` feeds open until a change;
// its further waiting feeds end after `crowdedMs`, as at a timeout (see `FeedSlots`).
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { matches, parseSelector } from './couch-mango';
import { badRequest, notFound, Query, readJsonObject } from './http-util';
import type { ChangesResult, PouchDatabase, Storage } from './storage';

export interface ChangesOptions {
	bodyLimit: number;
	/** Longest a longpoll or continuous feed without heartbeat waits (ms). */
	longpollMaxMs: number;
	/** Ends every waiting feed (server shutdown). */
	closing: AbortSignal;
	/** Waiting feeds per client. */
	feedSlots: FeedSlots;
}

/**
 * Waiting feeds per client. A browser reaches an origin over at most 6 HTTP/1.1
 * connections, and a device that syncs more databases than that keeps a longpoll open for
 * each idle one. Held until a change (as CouchDB holds them when a heartbeat is asked for),
 * 6 idle databases would take every connection, and the device's other requests — another
 * database's first pull — would wait in the browser for a write that may never come. So a
 * client holds at most `perClient` feeds until a change; its other waiting feeds end after
 * `crowdedMs` with what CouchDB answers at a timeout (no rows, the current last_seq), and
 * the client polls again, letting its queued requests through in between.
 */
export class FeedSlots {
	/** Feeds each client holds open now. */
	private readonly held = new Map<string, number>();

	constructor(
		readonly perClient = 4,
		readonly crowdedMs = 250
	) {}

	/** A slot for a feed about to wait up to `ms`: how long it may wait, and its release. */
	take(client: string, ms: number): { ms: number; release: () => void } {
		const n = this.held.get(client) ?? 0;

		if (n >= this.perClient) return { ms: Math.min(ms, this.crowdedMs), release: () => {} };
		this.held.set(client, n + 1);
		let released = false;
		const release = () => {
			if (released) return;
			released = true;
			const left = (this.held.get(client) ?? 1) - 1;
			if (left > 0) this.held.set(client, left);
			else this.held.delete(client);
		};
		return { ms, release };
	}
}

/**
 * Who holds a feed: the session (cookie), else the credentials from one address, else the
 * address; hashed, so no credential is kept as a key.
 */
function clientOf(req: IncomingMessage): string {
	const session = /(?:^|;\s*)AuthSession=([^;]*)/.exec(req.headers.cookie ?? '')?.[1];
	const basis = session
		? `session ${session}`
		: `${req.headers.authorization ?? 'anonymous'} ${req.socket.remoteAddress ?? ''}`;
	return createHash('sha256').update(basis).digest('base64url');
}

type Feed = 'normal' | 'longpoll' | 'continuous' | 'eventsource';
type Row = ChangesResult['results'][number] & { deleted?: boolean; doc?: unknown };

const DEFAULT_HEARTBEAT_MS = 60_000;
const MIN_HEARTBEAT_MS = 100;

/** An update sequence: an integer from LevelDB, an opaque string from CouchDB 2+. */
type Seq = number | string;

/**
 * `since` as the store takes it. LevelDB's sequences are integers (a client may quote
 * them). A CouchDB store's are opaque strings ("12-g1AAAA…"): passed through as given,
 * never parsed or compared, and the store judges them.
 */
function parseSince(value: string | undefined, opaque: boolean): Seq | 'now' {
	if (value === undefined || value === '') return 0;
	if (value === 'now') return 'now';
	if (opaque) return /^".*"$/.test(value) ? value.slice(1, -1) : value;
	const m = /^"?(\d+)(?:-[^"]*)?"?$/.exec(value);
	if (!m) throw badRequest(`Malformed since: ${value}`);
	return Number(m[1]);
}

function parseFeed(value: string | undefined): Feed {
	switch (value ?? 'normal') {
		case 'normal':
			return 'normal';
		case 'longpoll':
			return 'longpoll';
		case 'continuous':
		case 'live':
			return 'continuous';
		case 'eventsource':
			return 'eventsource';
		default:
			throw badRequest('Supported `feed` types: normal, continuous, live, longpoll, eventsource');
	}
}

/** CouchDB's filter names; the server holds no design documents, so named filters are 404. */
async function buildFilter(
	req: IncomingMessage,
	query: Query,
	bodyLimit: number
): Promise<Record<string, unknown>> {
	const body = req.method === 'POST' ? await readJsonObject(req, bodyLimit) : {};
	const filter = query.string('filter');
	if (filter === undefined) return {};
	switch (filter) {
		case '_doc_ids': {
			const ids = body.doc_ids ?? query.json('doc_ids');
			if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
				throw badRequest('`doc_ids` filter parameter is not a list of doc ids.');
			}
			return { doc_ids: ids };
		}
		case '_selector': {
			if (body.selector === undefined) {
				throw badRequest('Selector must be specified in POST payload');
			}
			const selector = parseSelector(body.selector);
			return { filter: (doc: unknown) => matches(selector, doc) };
		}
		case '_design':
			return { filter: (doc: { _id?: string }) => !!doc._id?.startsWith('_design/') };
		case '_view':
			if (!query.string('view')) throw badRequest('`view` filter parameter is not provided.');
			throw notFound('missing');
	}
	if (!/^[^/]+\/[^/]+$/.test(filter)) {
		throw badRequest('`filter` must be of the form `designname/filtername`');
	}
	throw notFound('missing');
}

function heartbeatOf(query: Query): number {
	const v = query.string('heartbeat');
	if (v === undefined || v === 'false') return 0;
	if (v === 'true' || v === '') return DEFAULT_HEARTBEAT_MS;
	const n = Number(v);
	if (!Number.isInteger(n) || n < 0) throw badRequest('Invalid heartbeat value.');
	return n === 0 ? 0 : Math.max(MIN_HEARTBEAT_MS, n);
}

/** A row in CouchDB's key order: seq, id, changes, deleted, doc. */
function row(r: Row): Record<string, unknown> {
	return {
		seq: r.seq,
		id: r.id,
		changes: r.changes,
		...(r.deleted ? { deleted: true } : {}),
		...(r.doc !== undefined ? { doc: r.doc } : {})
	};
}

export async function handleChanges(
	req: IncomingMessage,
	res: ServerResponse,
	storage: Storage,
	name: string,
	query: Query,
	opts: ChangesOptions
): Promise<void> {
	const feed = parseFeed(query.string('feed'));
	const filterOpts = await buildFilter(req, query, opts.bodyLimit);
	const limit = query.int('limit');
	const descending = query.bool('descending');
	const heartbeat = heartbeatOf(query);
	const timeout = Math.min(query.int('timeout') ?? opts.longpollMaxMs, opts.longpollMaxMs);
	const db = () => storage.db(name);
	const opaque = storage.backend.kind === 'couchdb';
	let since = parseSince(query.string('since'), opaque);
	if (since === 'now') since = (await db().info()).update_seq;

	const base: Record<string, unknown> = {
		style: query.string('style') === 'all_docs' ? 'all_docs' : 'main_only',
		include_docs: query.bool('include_docs'),
		conflicts: query.bool('conflicts'),
		attachments: query.bool('attachments'),
		descending,
		return_docs: true,
		...filterOpts
	};
	// Where the store can, an unfiltered ascending page is read in batches (level-changes.ts)
	// instead of PouchDB's one metadata read per row; the answer is the same.
	const direct =
		Object.keys(filterOpts).length === 0 && !descending && !base.attachments
			? db().levelChanges
			: undefined;
	const run = (from: Seq, max?: number) =>
		direct && typeof from === 'number'
			? direct({
					since: from,
					limit: max === undefined ? undefined : max === 0 ? 1 : max,
					style: base.style as 'all_docs' | 'main_only',
					includeDocs: base.include_docs === true,
					conflicts: base.conflicts === true
				})
			: (db().changes({
					...base,
					since: from,
					...(max !== undefined ? { limit: max === 0 ? 1 : max } : {})
				}) as Promise<{ results: Row[]; last_seq: number | string }>);

	const wait = new Waiter(res, storage, name, opts.closing);
	const slots = opts.feedSlots;
	const serialise = async (result: { results: Row[]; last_seq: Seq }) =>
		JSON.stringify({
			results: result.results.map(row),
			last_seq: result.last_seq,
			pending: await pending(db(), result, limit)
		}) + '\n';
	try {
		// A page of the feed is a function of the database's state: tablets that catch up
		// from the same point share one read (read-cache.ts).
		if (feed === 'normal' && req.method === 'GET' && storage.reads) {
			const from = since;
			const text = await storage.reads.answer(name, db(), `_changes ${req.url ?? ''}`, async () =>
				serialise(await run(from, limit))
			);
			startStream(res, 'application/json');
			res.end(text);
			return;
		}
		if (feed === 'normal' || feed === 'longpoll') {
			let result = await run(since, limit);
			if (feed === 'longpoll' && !descending && result.results.length === 0) {
				if (heartbeat) startStream(res, 'application/json');
				const stopBeat = heartbeat ? wait.heartbeat(heartbeat, () => res.write('\n')) : null;
				const slot = slots.take(clientOf(req), heartbeat ? Infinity : timeout);
				const outcome = await wait.next(slot.ms).finally(slot.release);
				stopBeat?.();
				if (outcome === 'gone') return;
				// Re-read even on timeout: last_seq should be current when we answer empty.
				result = await run(since, limit);
			}
			const text = await serialise(result);
			if (!res.headersSent) startStream(res, 'application/json');
			res.end(text);
			return;
		}
		const slot = slots.take(clientOf(req), heartbeat ? Infinity : timeout);
		try {
			await stream(res, feed, { run, wait, since, limit, descending, heartbeat, waitMs: slot.ms });
		} finally {
			slot.release();
		}
	} finally {
		wait.dispose();
	}
}

function startStream(res: ServerResponse, type: string): void {
	res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'must-revalidate' });
	res.flushHeaders();
}

interface StreamParams {
	run: (from: Seq, max?: number) => Promise<{ results: Row[]; last_seq: Seq }>;
	wait: Waiter;
	since: Seq;
	limit: number | undefined;
	descending: boolean;
	heartbeat: number;
	/** How long to wait for a change before the feed ends (Infinity: until one comes). */
	waitMs: number;
}

/** continuous and eventsource: rows as they come, a heartbeat while idle, a last_seq line to end. */
async function stream(res: ServerResponse, feed: Feed, p: StreamParams): Promise<void> {
	const events = feed === 'eventsource';
	startStream(res, events ? 'text/event-stream' : 'application/json');
	const write = (r: Row) =>
		res.write(
			events ? `data: ${JSON.stringify(row(r))}\nid: ${r.seq}\n\n` : JSON.stringify(row(r)) + '\n'
		);
	let lastSeq: Seq = p.since;
	let sent = 0;
	const stopBeat = p.heartbeat
		? p.wait.heartbeat(p.heartbeat, () => res.write(events ? 'event: heartbeat\ndata: \n\n' : '\n'))
		: null;
	try {
		for (;;) {
			const left = p.limit === undefined ? undefined : Math.max(1, p.limit - sent);
			const result = await p.run(lastSeq, left);
			if (res.destroyed) return;
			for (const r of result.results) write(r);
			sent += result.results.length;
			if (result.results.length || !p.descending) lastSeq = result.last_seq;
			const done = (p.limit !== undefined && sent >= Math.max(1, p.limit)) || p.descending;
			if (done) break;
			const outcome = await p.wait.next(p.waitMs);
			if (outcome === 'gone') return;
			if (outcome === 'timeout' || outcome === 'closing') break;
		}
	} finally {
		stopBeat?.();
	}
	if (res.destroyed) return;
	if (events) res.end();
	else res.end(JSON.stringify({ last_seq: lastSeq, pending: 0 }) + '\n');
}

/**
 * Changes after `last_seq`: exact when the page was not full; otherwise an upper bound
 * with integer sequences (update_seq − last_seq), and with opaque ones (a CouchDB store,
 * whose sequences cannot be subtracted) 1 when at least one more change follows, else 0.
 */
async function pending(
	db: PouchDatabase,
	result: ChangesResult,
	limit: number | undefined
): Promise<number> {
	if (limit === undefined || result.results.length < Math.max(1, limit)) return 0;
	const { update_seq: updateSeq } = await db.info();
	const lastSeq = result.last_seq;
	if (typeof updateSeq === 'number' && typeof lastSeq === 'number') {
		return Math.max(0, updateSeq - lastSeq);
	}
	const next = await db.changes({ since: lastSeq, limit: 1 });
	return next.results.length;
}

type Outcome = 'change' | 'timeout' | 'closing' | 'gone';

/**
 * Waits for the next change notification of one database. A change that arrives between
 * two waits is remembered, so none is lost while a batch is being written out.
 */
class Waiter {
	private pendingChange = false;
	private wake: ((o: Outcome) => void) | null = null;
	private readonly unsubscribe: () => void;
	private readonly onGone = () => this.wake?.('gone');
	private readonly onClosing = () => this.wake?.('closing');

	constructor(
		private readonly res: ServerResponse,
		storage: Storage,
		name: string,
		private readonly closing: AbortSignal
	) {
		this.unsubscribe = storage.onChange(name, () => {
			if (this.wake) this.wake('change');
			else this.pendingChange = true;
		});
		res.on('close', this.onGone);
		closing.addEventListener('abort', this.onClosing);
	}

	next(ms: number): Promise<Outcome> {
		if (this.res.destroyed) return Promise.resolve('gone');
		if (this.closing.aborted) return Promise.resolve('closing');
		if (this.pendingChange) {
			this.pendingChange = false;
			return Promise.resolve('change');
		}
		return new Promise<Outcome>((resolve) => {
			const timer = Number.isFinite(ms) ? setTimeout(() => this.wake?.('timeout'), ms) : null;
			this.wake = (o) => {
				if (timer) clearTimeout(timer);
				this.wake = null;
				resolve(o);
			};
		});
	}

	/** Writes a heartbeat every `ms` until the returned function is called. */
	heartbeat(ms: number, beat: () => void): () => void {
		const timer = setInterval(() => {
			if (!this.res.destroyed) beat();
		}, ms);
		return () => clearInterval(timer);
	}

	dispose(): void {
		this.unsubscribe();
		this.res.off('close', this.onGone);
		this.closing.removeEventListener('abort', this.onClosing);
		this.wake?.('gone');
	}
}
