// `GET /_kehou/db_updates`: which of the caller's databases changed, so that a device
// following many databases (an office desktop follows ~15) needs one waiting request
// instead of one longpoll per database. A browser has six connections per host, so
// longpolls for every database cannot all be open; without this feed a quiet database's
// change reached the office only when its turn came (tens of seconds).
//
// Shaped like CouchDB's `/_db_updates` (`results: [{db_name, type, seq}]`, `last_seq`,
// `feed=normal|longpoll`, `since`, `timeout`), but answered to any signed-in user, for
// the app databases they may read only. Sequences are `<boot>-<n>` and live in this
// process: after a restart, or when `since` is older than the updates kept, the answer
// says `reset: true` and the client treats every database as changed. With a shared
// CouchDB store another process's writes do not pass here, so the feed is not offered
// (404) and clients fall back to their own longpolls.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { canRead, parseDbName } from '../src/lib/domain/index';
import {
	badRequest,
	methodNotAllowed,
	notFound,
	sendJson,
	unauthorized,
	type Query
} from './http-util';
import type { User } from './users';

/** Updates kept; a client further behind gets `reset`. */
const KEPT = 2000;
const DEFAULT_TIMEOUT_MS = 25_000;
const MAX_TIMEOUT_MS = 60_000;

export interface DbUpdatesAnswer {
	results: { db_name: string; type: 'updated'; seq: string }[];
	last_seq: string;
	/** The updates since `since` are not known any more: every database may have changed. */
	reset?: true;
}

export class DbUpdates {
	readonly #boot = randomUUID().slice(0, 8);
	#n = 0;
	/** The last KEPT updates, oldest first. */
	#log: { n: number; db: string }[] = [];
	readonly #wake = new EventEmitter();

	constructor() {
		// Every waiting feed listens; there is no leak to warn about.
		this.#wake.setMaxListeners(0);
	}

	get lastSeq(): string {
		return `${this.#boot}-${this.#n}`;
	}

	/** Called for every write that changes database `db` (Storage.notify). */
	record(db: string): void {
		this.#n++;
		this.#log.push({ n: this.#n, db });
		if (this.#log.length > KEPT * 1.25) this.#log = this.#log.slice(-KEPT);
		this.#wake.emit('update');
	}

	/**
	 * The databases changed after `since` (each once, with the latest sequence), or `null`
	 * when that is not known: another boot's sequence, a future one, or one older than kept.
	 */
	after(since: string, visible: (db: string) => boolean): DbUpdatesAnswer {
		const last_seq = this.lastSeq;
		if (since === 'now') return { results: [], last_seq };
		const m = /^([0-9a-f]{8})-(\d+)$/.exec(since);
		const from = m && m[1] === this.#boot ? Number(m[2]) : NaN;
		const oldest = this.#log[0]?.n ?? this.#n + 1;
		if (!(from >= oldest - 1 && from <= this.#n)) return { results: [], last_seq, reset: true };
		const latest = new Map<string, number>();
		for (const u of this.#log) if (u.n > from && visible(u.db)) latest.set(u.db, u.n);
		const results = [...latest].map(([db_name, n]) => ({
			db_name,
			type: 'updated' as const,
			seq: `${this.#boot}-${n}`
		}));
		return { results, last_seq };
	}

	/** Resolves at the next update, after `ms`, or when `signal` aborts. */
	next(ms: number, signal: AbortSignal): Promise<void> {
		return new Promise((resolve) => {
			const done = () => {
				clearTimeout(timer);
				this.#wake.off('update', done);
				signal.removeEventListener('abort', done);
				resolve();
			};
			const timer = setTimeout(done, ms);
			this.#wake.on('update', done);
			signal.addEventListener('abort', done, { once: true });
		});
	}
}

/** The route: `feed=normal` answers at once, `feed=longpoll` waits for an update. */
export async function handleDbUpdates(
	updates: DbUpdates | null,
	req: IncomingMessage,
	res: ServerResponse,
	query: Query,
	user: User | null | undefined,
	authError: string | undefined,
	closing: AbortSignal
): Promise<void> {
	const method = req.method ?? 'GET';
	if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed('GET,HEAD');
	if (!user) throw unauthorized(authError ?? 'Authentication required.');
	if (!updates) throw notFound('Database updates are not followed by this server (shared store).');
	const feed = query.string('feed') ?? 'normal';
	if (feed !== 'normal' && feed !== 'longpoll') {
		throw badRequest('feed must be normal or longpoll');
	}
	const since = query.string('since') ?? 'now';
	const timeout = Math.min(query.int('timeout') ?? DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS);
	const visible = (db: string) => {
		const ref = parseDbName(db);
		return ref !== null && ref.schoolId === user.schoolId && canRead(user, ref);
	};
	let answer = updates.after(since, visible);
	if (feed === 'longpoll' && answer.results.length === 0 && !answer.reset) {
		const gone = new AbortController();
		const stop = () => gone.abort();
		req.socket.once('close', stop);
		closing.addEventListener('abort', stop, { once: true });
		const deadline = Date.now() + timeout;
		try {
			// Updates to databases the caller may not read wake the wait but answer nothing.
			while (answer.results.length === 0 && !answer.reset && !gone.signal.aborted) {
				const left = deadline - Date.now();
				if (left <= 0) break;
				await updates.next(left, gone.signal);
				answer = updates.after(since, visible);
			}
		} finally {
			req.socket.off('close', stop);
			closing.removeEventListener('abort', stop);
		}
		if (res.destroyed) return;
	}
	sendJson(res, 200, answer, { 'Cache-Control': 'must-revalidate, no-cache' });
}
