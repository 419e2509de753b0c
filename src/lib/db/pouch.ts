// The only module that touches PouchDB in the browser. It gives the rest of the app a
// narrow typed interface (the @types/pouchdb-* packages are old and incomplete).
import PouchDBUntyped from 'pouchdb-browser';
import indexedDbAdapter from 'pouchdb-adapter-indexeddb';
import { dbWatch } from './db-watch';
import { backgroundTurn } from './screen-first';

export interface PouchDoc {
	_id: string;
	_rev?: string;
	_deleted?: boolean;
	[key: string]: unknown;
}

/**
 * One row of a `bulkDocs` answer. A refused document comes back as CouchDB's
 * `{error: 'conflict', reason}` over HTTP, but as a PouchDB error object
 * (`{error: true, name: 'conflict', message, status}`) from a local adapter.
 */
export interface WriteResult {
	ok?: boolean;
	id: string;
	rev?: string;
	error?: string | boolean;
	reason?: string;
	name?: string;
	message?: string;
	status?: number;
}

export interface ChangeRow {
	id: string;
	seq: number | string;
	deleted?: boolean;
	doc?: PouchDoc;
}

interface Emitter {
	on(event: string, listener: (...args: never[]) => void): this;
	cancel(): void;
}

export interface ChangesFeed
	extends Emitter, PromiseLike<{ last_seq: number | string; results: ChangeRow[] }> {}

export interface Replication extends Emitter, PromiseLike<unknown> {}

export interface Database {
	readonly name: string;
	put(doc: PouchDoc): Promise<WriteResult>;
	bulkDocs(docs: PouchDoc[], opts?: { new_edits?: boolean }): Promise<WriteResult[]>;
	get(id: string, opts?: { rev?: string; conflicts?: boolean }): Promise<PouchDoc>;
	/** An attachment's bytes (a Blob in the browser). */
	getAttachment(docId: string, name: string): Promise<Blob>;
	allDocs(opts: { include_docs?: boolean; conflicts?: boolean; keys?: string[] }): Promise<{
		rows: {
			id: string;
			value?: { rev: string; deleted?: boolean };
			doc?: PouchDoc | null;
			error?: string;
		}[];
	}>;
	changes(opts: Record<string, unknown>): ChangesFeed;
	revsDiff(diff: Record<string, string[]>): Promise<Record<string, { missing: string[] }>>;
	info(): Promise<{ update_seq: number | string; doc_count: number }>;
	destroy(): Promise<unknown>;
	close(): Promise<unknown>;
}

interface PouchStatic {
	new (name: string, opts?: Record<string, unknown>): Database;
	plugin(p: unknown): PouchStatic;
	replicate(source: Database, target: Database, opts: Record<string, unknown>): Replication;
	sync(a: Database, b: Database, opts: Record<string, unknown>): Replication;
}

const PouchDB = PouchDBUntyped as PouchStatic;
PouchDB.plugin(indexedDbAdapter);

/** Local replica names are prefixed so that they never clash with other IndexedDB use. */
export const localReplicaName = (remoteDb: string) => `kehou-replica-${remoteDb}`;

export function openLocal(remoteDb: string): Database {
	return new PouchDB(localReplicaName(remoteDb), { adapter: 'indexeddb', auto_compaction: false });
}

export function openRemote(remoteDb: string, origin: string): Database {
	return new PouchDB(`${origin}/${remoteDb}`, {
		skip_setup: true,
		fetch: async (url: string, opts: RequestInit) => {
			const init = { ...opts, credentials: 'same-origin' as const };
			const turn = backgroundTurn();
			if (turn) await turn;
			if (!url.includes('feed=longpoll')) return fetch(url, init);
			// One feed says which databases changed (db-watch.ts): then no longpoll waits.
			const watch = dbWatch(origin);
			const since = new URL(url, origin).searchParams.get('since') ?? '';
			if (await watch.held(remoteDb, since, init.signal)) {
				const res = await fetch(url.replace('feed=longpoll', 'feed=normal'), init);
				if (res.ok) watch.answered(remoteDb, since, res.clone());
				return res;
			}
			return longpolls.run(url, init);
		}
	});
}

/**
 * A browser opens at most six HTTP/1.1 connections per host, and each live database keeps
 * a longpoll open. With a dozen databases (an office desktop) the longpolls took every
 * connection and the other requests — a first sync, a push — waited behind them for good.
 * So at most LONGPOLL_SLOTS longpolls are in flight; the others wait their turn here, and
 * each ends after `timeout` (see liveSync) so that all take turns; a change ends one at once.
 * Only while the server's database-updates feed is not followed (db-watch.ts): with it,
 * no longpoll waits at all.
 */
const LONGPOLL_SLOTS = 4;

class Slots {
	#free = LONGPOLL_SLOTS;
	#queue: (() => void)[] = [];

	async run(url: string, init: RequestInit): Promise<Response> {
		if (this.#free > 0) this.#free--;
		else await this.#wait(init.signal);
		try {
			return await fetch(url, init);
		} finally {
			const next = this.#queue.shift();
			if (next) next();
			else this.#free++;
		}
	}

	#wait(signal: AbortSignal | null | undefined): Promise<void> {
		return new Promise((resolve, reject) => {
			signal?.throwIfAborted();
			const turn = () => {
				signal?.removeEventListener('abort', onAbort);
				resolve();
			};
			const onAbort = () => {
				this.#queue = this.#queue.filter((t) => t !== turn);
				reject(signal?.reason as Error);
			};
			signal?.addEventListener('abort', onAbort, { once: true });
			this.#queue.push(turn);
		});
	}
}

const longpolls = new Slots();

export interface SyncOptions {
	batchSize: number;
	/**
	 * Where each direction starts when no checkpoint may be trusted yet: after the initial
	 * pull (see initial-pull.ts), `pull` is the server's last sequence it read and `push`
	 * the replica's sequence when it ended. PouchDB writes these as the replication's
	 * checkpoints on both sides before it reads any change, so later runs continue there.
	 */
	since?: { pull: number | string; push: number | string };
}

/**
 * How long the server holds an idle longpoll before answering empty. Not a heartbeat: with
 * a heartbeat CouchDB (and the sync-server) hold a longpoll until a change comes, and a
 * browser has only 6 HTTP/1.1 connections per origin. An office device follows ~14
 * databases, so six idle longpolls held every connection and every other request (a
 * photo's GET during a pull, a push, a checkpoint) waited for a change that might never
 * come. Bounded longpolls free a connection every few seconds.
 */
const LONGPOLL_MS = 10_000;

type FeedHook = (feed: ChangesFeed, opts: Record<string, unknown>) => void;
const feedHooks = new WeakMap<Database, Set<FeedHook>>();
/** Tokens (in `query_params`, see `liveChanges`) of live changes feeds that were cancelled. */
const cancelledFeeds = new Set<string>();
let feedCount = 0;
const newFeedToken = () => `feed-${++feedCount}-${Math.random().toString(36).slice(2, 8)}`;

/**
 * The indexeddb adapter (9.0.0) never unregisters a live changes feed: its `_changes`
 * runs behind a promise that drops the handle whose `cancel` would, so a cancelled feed
 * stays registered and, after every write to the replica, still reads every new document
 * (then throws the result away). Each feed we open carries a token in `query_params`
 * (which a local adapter ignores without a filter); once its feed is cancelled, the reads
 * it would still trigger answer "no change" without touching IndexedDB. The hooks let `liveSync` see the
 * feeds PouchDB's replicator opens.
 */
function guarded(db: Database): Set<FeedHook> {
	let hooks = feedHooks.get(db);
	if (!hooks) {
		const found = new Set<FeedHook>();
		const changes = db.changes.bind(db);
		db.changes = (opts) => {
			const token = (opts.query_params as { kehouFeed?: unknown } | undefined)?.kehouFeed;
			if (!opts.live && typeof token === 'string' && cancelledFeeds.has(token)) return nothing();
			// A live feed's read of new changes waits while the screen shows a local write.
			const turn = opts.live ? null : backgroundTurn();
			if (turn) return later(turn, () => changes(opts));
			const feed = changes(opts);
			for (const hook of found) hook(feed, opts);
			return feed;
		};
		feedHooks.set(db, found);
		hooks = found;
	}
	return hooks;
}

/** What a cancelled feed's leftover listener gets instead of a read: no change, at once. */
function nothing(): ChangesFeed {
	const result = Promise.resolve({ results: [] as ChangeRow[], last_seq: 0 });
	const feed: ChangesFeed = {
		on(event: string, listener: (...args: never[]) => void) {
			if (event === 'complete') void result.then((r) => (listener as (r: unknown) => void)(r));
			return feed;
		},
		cancel() {},
		then: (ok, fail) => result.then(ok, fail)
	};
	return feed;
}

/**
 * A changes read that starts when `turn` resolves: the listeners given meanwhile are
 * handed to it then. A cancel before it starts cancels it right after (PouchDB's live
 * listeners wait for its 'complete' before they read again, so it must run).
 */
function later(turn: Promise<void>, start: () => ChangesFeed): ChangesFeed {
	const pending: [string, (...args: never[]) => void][] = [];
	let real: ChangesFeed | null = null;
	let cancelled = false;
	const result = turn.then(() => {
		real = start();
		for (const [event, listener] of pending) real.on(event, listener);
		if (cancelled) real.cancel();
		return real;
	});
	const feed: ChangesFeed = {
		on(event: string, listener: (...args: never[]) => void) {
			if (real) real.on(event, listener);
			else pending.push([event, listener]);
			return feed;
		},
		cancel() {
			cancelled = true;
			real?.cancel();
		},
		then: (ok, fail) => result.then(ok, fail)
	};
	return feed;
}

/** A live changes feed of a local replica that really stops listening when cancelled. */
export function liveChanges(
	db: Database,
	opts: Record<string, unknown>
): ChangesFeed & { stop(): void } {
	guarded(db);
	const token = newFeedToken();
	const feed = db.changes({ ...opts, live: true, query_params: { kehouFeed: token } });
	return Object.assign(feed, {
		stop() {
			cancelledFeeds.add(token);
			feed.cancel();
		}
	});
}

/**
 * Two-way live replication; the caller owns retries (see src/lib/sync). Invariant: a
 * `paused` without an error means both directions have caught up at least once; once the
 * sync has ended (error, cancel), no changes feed of its push is left listening.
 */
export function liveSync(local: Database, remote: Database, opts: SyncOptions): Replication {
	// Besides the adapter's leak (see `guarded`), PouchDB's replicator forgets its own live
	// feed on the source when it fails (`completeReplication` removes every listener, the
	// feed's `cancel` hook among them). So each failed push (a 413, a dropped connection)
	// left a feed re-reading the replica after every local write, for good. The push's feeds
	// carry a token and are cancelled when the sync ends.
	const token = newFeedToken();
	const pushFeeds = new Set<ChangesFeed>();
	const hooks = guarded(local);
	const collect: FeedHook = (feed, o) => {
		const t = (o.query_params as { kehouFeed?: unknown } | undefined)?.kehouFeed;
		if (o.live && t === token) pushFeeds.add(feed);
	};
	hooks.add(collect);
	const release = () => {
		hooks.delete(collect);
		cancelledFeeds.add(token);
		for (const feed of pushFeeds) feed.cancel();
		pushFeeds.clear();
	};
	const sync = PouchDB.sync(local, remote, {
		live: true,
		retry: false,
		batch_size: opts.batchSize,
		batches_limit: 5,
		// Longpolls end after LONGPOLL_MS (no heartbeat keeps them open), so that more
		// databases than connection slots take turns (see `Slots`).
		heartbeat: false,
		timeout: LONGPOLL_MS,
		// The pull's query_params would go to the server: only the push carries the token.
		pull: opts.since ? { since: opts.since.pull } : {},
		push: {
			query_params: { kehouFeed: token },
			...(opts.since ? { since: opts.since.push } : {})
		}
	}) as Replication & {
		push: Emitter;
		pull: Emitter;
		emit(event: string, ...args: unknown[]): boolean;
	};
	// PouchDB's Sync counts both directions as paused from the start, so its first `paused`
	// can come from the push alone while the pull is still reading its checkpoint: the app
	// would say "synced" before the first pull has brought anything. Hold such a `paused`
	// back until each direction has caught up once. (These listeners are added before the
	// Sync's own, so they run first.)
	const caughtUp = { push: false, pull: false };
	sync.push.on('paused', (err?: never) => void (caughtUp.push ||= !err));
	sync.pull.on('paused', (err?: never) => void (caughtUp.pull ||= !err));
	const emit = sync.emit.bind(sync);
	sync.emit = (event, ...args) => {
		if (event === 'error' || event === 'complete') release();
		return event === 'paused' && !args[0] && !(caughtUp.push && caughtUp.pull)
			? false
			: emit(event, ...args);
	};
	const cancel = sync.cancel.bind(sync);
	sync.cancel = () => {
		cancel();
		release();
	};
	return sync;
}

/** One-shot push, used before sign-out. */
export function pushOnce(local: Database, remote: Database): Replication {
	return PouchDB.replicate(local, remote, { batch_size: 500 });
}
