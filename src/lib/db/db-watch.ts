// Follows the sync-server's `/_kehou/db_updates` (which of the user's databases changed),
// so that live replication needs no waiting connection per database.
//
// A browser opens six HTTP/1.1 connections per host. Each live database used to keep a
// longpoll open; an office desktop follows ~15 databases, so they took turns for four
// slots (pouch.ts `Slots`) and a change in a quiet database showed only when its turn
// came — tens of seconds. With this feed one request waits for all of them: a database's
// next `_changes` is held here, without a connection, until the feed names that database,
// and then goes out as `feed=normal` (answered at once).
//
// Invariants:
// - While the feed is not followed (not yet answered, failed, offline, or a server
//   without it: 404), `held` answers `false` at once and the caller longpolls as before.
// - Only a request the server has already answered empty is held: same database, same
//   `since`, and that answer had no results (`answered`). Any other — a replication's
//   first, one after changes, one repeating a `since` whose answer was not used (a
//   cancelled replication) — goes out at once.
// - A database notified while none of its requests waits is remembered (`#dirty`, cleared
//   when a request goes out) and its next request passes; a request waiting when the
//   notice comes passes at once. A change is on the server before the feed reports it,
//   so a request sent after the notice sees it, and one sent before it is followed by
//   another.
// - After the feed (re)connects or answers `reset`, nothing is known to be quiet.
// - A held request goes out after HOLD_MAX_MS anyway (as a `feed=normal` check).

/** A held `_changes` goes out after this long even without a notice. */
const HOLD_MAX_MS = 120_000;
/** How long the server holds the feed's own longpoll. */
const FEED_TIMEOUT_MS = 25_000;
/** The feed stops after this long without a held request (signed out, all stopped). */
const IDLE_MS = 60_000;
const RETRY_MIN_MS = 2_000;
const RETRY_MAX_MS = 60_000;

interface Answer {
	results: { db_name: string }[];
	last_seq: string;
	reset?: boolean;
}

class FeedGone extends Error {}

export class DbWatch {
	#running = false;
	#connected = false;
	#unsupported = false;
	#lastUse = 0;
	/** Per database, the `since` of its last request answered with no results. */
	#quiet = new Map<string, string>();
	/** Answers being read (`answered`), awaited before a request with the same `since`. */
	#reading = new Map<string, Promise<void>>();
	#dirty = new Set<string>();
	#waiting = new Map<string, Set<() => void>>();
	#wakeRetry: (() => void) | null = null;
	/** While the feed's first answer is awaited: settles when it connects or fails. */
	#connecting: Promise<void> | null = null;
	#settleConnecting: (() => void) | null = null;

	constructor(readonly origin: string) {}

	/**
	 * Waits until `db` may have changed after `since`. `true`: the feed is followed, ask
	 * with `feed=normal`; `false`: it is not, longpoll as usual.
	 */
	async held(db: string, since: string, signal?: AbortSignal | null): Promise<boolean> {
		this.#lastUse = Date.now();
		this.#start();
		// At start-up, wait for the feed's first answer (a round trip) rather than fill the
		// longpoll slots with requests that would each hold a connection for seconds.
		if (!this.#connected && this.#connecting) await this.#connecting;
		if (!this.#connected) return false;
		await this.#reading.get(db);
		if (this.#quiet.get(db) === since && !this.#dirty.has(db)) {
			await new Promise<void>((resolve) => {
				const waiters = this.#waiting.get(db) ?? new Set<() => void>();
				this.#waiting.set(db, waiters);
				const done = () => {
					clearTimeout(timer);
					signal?.removeEventListener('abort', done);
					waiters.delete(done);
					if (waiters.size === 0 && this.#waiting.get(db) === waiters) this.#waiting.delete(db);
					resolve();
				};
				const timer = setTimeout(done, HOLD_MAX_MS);
				signal?.addEventListener('abort', done, { once: true });
				waiters.add(done);
			});
			this.#lastUse = Date.now();
		}
		this.#dirty.delete(db);
		return this.#connected;
	}

	/** Reads a passed request's answer (a clone): was anything new after `since`? */
	answered(db: string, since: string, res: Response): void {
		const reading = res
			.json()
			.then(
				(body: { results?: unknown[] }) => {
					if (Array.isArray(body.results) && body.results.length === 0) {
						this.#quiet.set(db, since);
					} else this.#quiet.delete(db);
				},
				() => void this.#quiet.delete(db)
			)
			.finally(() => {
				if (this.#reading.get(db) === reading) this.#reading.delete(db);
			});
		this.#reading.set(db, reading);
	}

	/** The network is back (`online`): try the feed again now rather than after backoff. */
	retryNow(): void {
		this.#wakeRetry?.();
	}

	#start(): void {
		if (this.#running || this.#unsupported) return;
		this.#running = true;
		this.#connecting = new Promise((resolve) => (this.#settleConnecting = resolve));
		void this.#follow().finally(() => {
			this.#running = false;
			this.#disconnect();
		});
	}

	async #follow(): Promise<void> {
		let since: string | null = null;
		let retry = RETRY_MIN_MS;
		while (Date.now() - this.#lastUse < IDLE_MS || this.#waiting.size > 0) {
			try {
				if (since === null) {
					since = (await this.#ask('feed=normal&since=now')).last_seq;
					this.#connect();
				}
				const answer = await this.#ask(
					`feed=longpoll&since=${encodeURIComponent(since)}&timeout=${FEED_TIMEOUT_MS}`
				);
				if (answer.reset) this.#connect();
				for (const r of answer.results) this.#notify(r.db_name);
				since = answer.last_seq;
				retry = RETRY_MIN_MS;
			} catch (e) {
				since = null;
				this.#disconnect();
				if (e instanceof FeedGone) {
					this.#unsupported = true;
					return;
				}
				await this.#pause(retry * (0.75 + Math.random() / 2));
				retry = Math.min(retry * 2, RETRY_MAX_MS);
			}
		}
	}

	async #ask(query: string): Promise<Answer> {
		const res = await fetch(`${this.origin}/_kehou/db_updates?${query}`, {
			credentials: 'same-origin',
			headers: { Accept: 'application/json' }
		});
		if (res.status === 404) throw new FeedGone('no db_updates feed');
		if (!res.ok) throw new Error(`db_updates: ${res.status}`);
		return (await res.json()) as Answer;
	}

	#pause(ms: number): Promise<void> {
		return new Promise((resolve) => {
			const timer = setTimeout(done, ms);
			(timer as { unref?: () => void }).unref?.();
			function done() {
				clearTimeout(timer);
				resolve();
			}
			this.#wakeRetry = () => {
				this.#wakeRetry = null;
				done();
			};
		});
	}

	/** Every database passes once: what changed in between is not known. */
	#connect(): void {
		this.#connected = true;
		this.#firstAnswer();
		this.#quiet.clear();
		this.#dirty.clear();
		this.#wakeAll();
	}

	#disconnect(): void {
		this.#firstAnswer();
		if (!this.#connected) return;
		this.#connected = false;
		this.#wakeAll();
	}

	#firstAnswer(): void {
		this.#settleConnecting?.();
		this.#settleConnecting = null;
		this.#connecting = null;
	}

	#notify(db: string): void {
		const waiters = this.#waiting.get(db);
		if (waiters?.size) for (const wake of [...waiters]) wake();
		else this.#dirty.add(db);
	}

	#wakeAll(): void {
		for (const waiters of [...this.#waiting.values()]) for (const wake of [...waiters]) wake();
	}
}

const watches = new Map<string, DbWatch>();

/** The feed of one server (origin), made on first use. */
export function dbWatch(origin: string): DbWatch {
	let w = watches.get(origin);
	if (!w) {
		w = new DbWatch(origin);
		watches.set(origin, w);
	}
	return w;
}

if (typeof window !== 'undefined') {
	window.addEventListener('online', () => {
		for (const w of watches.values()) w.retryNow();
	});
}
