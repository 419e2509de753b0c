// The server's storage behind one interface (`StoreBackend`) with two implementations:
// PouchDB on LevelDB under the data folder (`storage-level.ts`, the default) and a remote
// CouchDB 3 reached over HTTP (`storage-couch.ts`), so several stateless sync-server
// processes can share one store. `Storage` adds what both need: change notifications for
// longpoll `_changes` and per-database write locks.
// Invariants: every write this process makes to a served database goes through `Storage`
// and calls `notify`; with a remote store, writes by other processes arrive through the
// backend's `watch` (the remote `_changes` feed). Users, sessions and the server's uuid
// live in the store's system database, never reachable as a served database.
import { EventEmitter } from 'node:events';
import { DbUpdates } from './db-updates';
import { ReadCache } from './read-cache';
import { CouchBackend, type CouchOptions } from './storage-couch';
import { LevelBackend } from './storage-level';
import type { LevelChangeRow, LevelChangesOptions } from './level-changes';

export { safeName } from './storage-level';

export type Doc = Record<string, unknown> & { _id?: string; _rev?: string; _deleted?: boolean };

export interface WriteResult {
	ok?: boolean;
	id?: string;
	rev?: string;
	error?: unknown;
	name?: string;
	status?: number;
	message?: string;
	reason?: string;
}

export interface ChangesResult {
	results: Array<{ id: string; seq: number | string; changes: Array<{ rev: string }> }>;
	last_seq: number | string;
}

/** The part of PouchDB's API the server uses, typed here because `@types/pouchdb-*` lag. */
export interface PouchDatabase {
	info(): Promise<{ doc_count: number; update_seq: number | string }>;
	get(id: string, opts?: Record<string, unknown>): Promise<Doc & Doc[]>;
	put(doc: Doc, opts?: Record<string, unknown>): Promise<{ ok: boolean; id: string; rev: string }>;
	remove(id: string, rev: string): Promise<{ ok: boolean; id: string; rev: string }>;
	bulkDocs(docs: Doc[], opts?: { new_edits?: boolean }): Promise<WriteResult[]>;
	bulkGet(opts: Record<string, unknown>): Promise<{ results: BulkGetResult[] }>;
	allDocs(opts: Record<string, unknown>): Promise<Record<string, unknown>>;
	changes(opts: Record<string, unknown>): Promise<ChangesResult>;
	revsDiff(
		req: Record<string, string[]>
	): Promise<Record<string, { missing: string[]; possible_ancestors?: string[] }>>;
	getAttachment(id: string, name: string, opts?: Record<string, unknown>): Promise<Buffer>;
	close(): Promise<void>;
	/**
	 * Which of `ids` have a stored document (any revision, deleted or not), in one read of
	 * the store; only where the store can (the LevelDB store), else callers read each id.
	 */
	knownIds?(ids: string[]): Promise<Set<string>>;
	/**
	 * A page of the changes feed as PouchDB's `changes` answers it (no filter, ascending, no
	 * attachment bodies), read in batches; only where the store can (the LevelDB store).
	 */
	levelChanges?(
		opts: LevelChangesOptions
	): Promise<{ results: LevelChangeRow[]; last_seq: number }>;
}

export interface BulkGetResult {
	id: string;
	docs: Array<{ ok: Doc } | { error: Record<string, unknown> }>;
}

/** What a store must provide; `Storage` wraps one. */
export interface StoreBackend {
	readonly kind: 'leveldb' | 'couchdb';
	/** Prepares the store; reads or makes the server's uuid. `fresh`: the store was new. */
	init(): Promise<{ uuid: string; fresh: boolean }>;
	/** Users and sessions: never served over HTTP. */
	readonly system: PouchDatabase;
	/** A served database, created on first use. The handle stays valid for the store's life. */
	db(name: string): PouchDatabase;
	/** Does `name` exist? Remote stores answer from a list refreshed every few seconds. */
	exists(name: string): boolean;
	/** Like `exists`, but asks the store itself. */
	existsNow(name: string): Promise<boolean>;
	create(name: string): Promise<boolean>;
	/** Deletes a database and its data; `false` when there was none. */
	destroy(name: string): Promise<boolean>;
	/** Served databases, sorted; remote stores answer from their cached list. */
	list(): string[];
	/** Served databases, sorted, asking the store itself. */
	listNow(): Promise<string[]>;
	/** Calls `onChange` when another process changes `name`; returns the stop function. */
	watch?(name: string, onChange: () => void): () => void;
	close(): Promise<void>;
}

export interface StorageOptions {
	/** A remote CouchDB 3 server instead of LevelDB under the data folder. */
	couchdb?: CouchOptions;
	/** Most LevelDB databases open at once; idle ones are closed (default 32). */
	maxOpenDbs?: number;
}

/** Storage settings from `KEHOU_COUCHDB_URL|USER|PASSWORD|PREFIX` and `KEHOU_MAX_OPEN_DBS`. */
export function storageOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): StorageOptions {
	const opts: StorageOptions = {};
	const max = env.KEHOU_MAX_OPEN_DBS;
	if (max !== undefined && max !== '') {
		const n = Number(max);
		if (!Number.isInteger(n) || n < 1)
			throw new Error(`KEHOU_MAX_OPEN_DBS must be ≥ 1, not ${max}`);
		opts.maxOpenDbs = n;
	}
	if (env.KEHOU_COUCHDB_URL) {
		opts.couchdb = {
			url: env.KEHOU_COUCHDB_URL,
			username: env.KEHOU_COUCHDB_USER,
			password: env.KEHOU_COUCHDB_PASSWORD,
			prefix: env.KEHOU_COUCHDB_PREFIX
		};
	}
	return opts;
}

/** CouchDB's rule for database names. */
export const DB_NAME = /^[a-z][a-z0-9_$()+/-]*$/;

// A remote watch outlives its last longpoll by this much, so that a client's next poll
// (which follows at once) does not restart the remote feed.
const WATCH_LINGER_MS = 30_000;

export class Storage {
	readonly backend: StoreBackend;
	private readonly changes = new EventEmitter();
	private readonly locks = new Map<string, Promise<unknown>>();
	private readonly watches = new Map<string, { stop: () => void; idle?: NodeJS.Timeout }>();
	/** Answers of reads shared by requests at one state (LevelDB only: see read-cache.ts). */
	readonly reads: ReadCache | null;
	/** Which databases changed, for `/_kehou/db_updates` (LevelDB only: see db-updates.ts). */
	readonly updates: DbUpdates | null;
	uuid = '';

	constructor(
		readonly dataDir: string,
		options: StorageOptions = storageOptionsFromEnv()
	) {
		this.backend = options.couchdb
			? new CouchBackend(options.couchdb)
			: new LevelBackend(dataDir, options.maxOpenDbs ?? 32);
		// Every open longpoll listens; there is no leak to warn about.
		this.changes.setMaxListeners(0);
		this.reads = this.backend.kind === 'leveldb' ? new ReadCache() : null;
		this.updates = this.backend.kind === 'leveldb' ? new DbUpdates() : null;
	}

	/** Opens the store, reads or makes the uuid; `fresh` when the store was new. */
	async init(): Promise<{ uuid: string; fresh: boolean }> {
		const out = await this.backend.init();
		this.uuid = out.uuid;
		return out;
	}

	/** The internal store (users, sessions): never reachable over HTTP. */
	get system(): PouchDatabase {
		return this.backend.system;
	}

	exists(name: string): boolean {
		return this.backend.exists(name);
	}

	/** Opens (creating if needed) a served database. */
	db(name: string): PouchDatabase {
		return this.backend.db(name);
	}

	/** Creates a database; `false` when it already existed. */
	create(name: string): Promise<boolean> {
		return this.backend.create(name);
	}

	list(): string[] {
		return this.backend.list();
	}

	/** Tells longpoll waiters of `name` that something changed. */
	notify(name: string): void {
		this.reads?.drop(name);
		this.updates?.record(name);
		this.changes.emit(name);
	}

	onChange(name: string, listener: () => void): () => void {
		this.changes.on(name, listener);
		this.watchRemote(name);
		return () => {
			this.changes.off(name, listener);
			this.unwatchRemote(name);
		};
	}

	/** With a shared store, other processes' writes reach our longpolls through `watch`. */
	private watchRemote(name: string): void {
		if (!this.backend.watch) return;
		const w = this.watches.get(name);
		if (w) {
			clearTimeout(w.idle);
			w.idle = undefined;
			return;
		}
		this.watches.set(name, { stop: this.backend.watch(name, () => this.notify(name)) });
	}

	private unwatchRemote(name: string): void {
		const w = this.watches.get(name);
		if (!w || this.changes.listenerCount(name) > 0) return;
		clearTimeout(w.idle);
		w.idle = setTimeout(() => {
			if (this.changes.listenerCount(name) > 0) return;
			w.stop();
			this.watches.delete(name);
		}, WATCH_LINGER_MS);
		w.idle.unref();
	}

	/**
	 * Runs `fn` alone among writers of `name` in this process, so that a check made before a
	 * write (is this event new?) still holds when the write happens.
	 */
	async withWriteLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
		const previous = this.locks.get(name) ?? Promise.resolve();
		const run = previous.then(fn, fn);
		const tail = run.catch(() => undefined);
		this.locks.set(name, tail);
		try {
			return await run;
		} finally {
			if (this.locks.get(name) === tail) this.locks.delete(name);
		}
	}

	async close(): Promise<void> {
		this.changes.removeAllListeners();
		for (const w of this.watches.values()) {
			clearTimeout(w.idle);
			w.stop();
		}
		this.watches.clear();
		await this.backend.close();
	}
}
