// The server's storage: one PouchDB-on-LevelDB database per CouchDB database under
// `${dataDir}/dbs`, opened lazily and cached, plus a system store (users, sessions) that no
// HTTP route exposes, and `server.json` holding the server's stable uuid.
// Invariant: every write to a served database goes through `Storage`, so `onChange`
// listeners (longpoll `_changes`) hear about every change in this process.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import PouchDB from 'pouchdb-core';
import leveldb from 'pouchdb-adapter-leveldb';

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
}

export interface BulkGetResult {
	id: string;
	docs: Array<{ ok: Doc } | { error: Record<string, unknown> }>;
}

interface PouchConstructor {
	new (name: string, opts: Record<string, unknown>): PouchDatabase;
	plugin(plugin: unknown): void;
}

const Pouch = PouchDB as unknown as PouchConstructor;
Pouch.plugin(leveldb);

/** CouchDB's rule for database names. */
export const DB_NAME = /^[a-z][a-z0-9_$()+/-]*$/;

/** File-system name: everything outside `[a-z0-9_-]` is %-escaped (`%` never occurs in names). */
export const safeName = (name: string) =>
	name.replace(/[^a-z0-9_-]/g, (c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0'));
const unsafeName = (file: string) =>
	file.replace(/%([0-9a-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));

export class Storage {
	readonly dbsDir: string;
	private readonly open = new Map<string, PouchDatabase>();
	private readonly changes = new EventEmitter();
	private readonly locks = new Map<string, Promise<unknown>>();
	private systemDb: PouchDatabase | null = null;
	uuid = '';

	constructor(readonly dataDir: string) {
		this.dbsDir = join(dataDir, 'dbs');
		// Every open longpoll listens; there is no leak to warn about.
		this.changes.setMaxListeners(0);
	}

	/** Creates the folders, reads or makes the uuid; `fresh` when the data folder was new. */
	init(): { uuid: string; fresh: boolean } {
		mkdirSync(this.dbsDir, { recursive: true });
		const file = join(this.dataDir, 'server.json');
		let fresh = false;
		if (existsSync(file)) {
			const saved = JSON.parse(readFileSync(file, 'utf8')) as { uuid?: unknown };
			if (typeof saved.uuid !== 'string') throw new Error(`${file} has no uuid`);
			this.uuid = saved.uuid;
		} else {
			fresh = true;
			// CouchDB's uuid is 32 hex digits; PouchDB keys replication checkpoints on it.
			this.uuid = randomUUID().replaceAll('-', '');
			const body = { uuid: this.uuid, createdAt: new Date().toISOString() };
			writeFileSync(file, JSON.stringify(body, null, '\t') + '\n', { mode: 0o600 });
		}
		return { uuid: this.uuid, fresh };
	}

	/** The internal store (users, sessions): never reachable over HTTP. */
	get system(): PouchDatabase {
		if (!this.systemDb) {
			this.systemDb = new Pouch(join(this.dataDir, 'system'), { adapter: 'leveldb' });
		}
		return this.systemDb;
	}

	exists(name: string): boolean {
		return this.open.has(name) || existsSync(join(this.dbsDir, safeName(name)));
	}

	/** Opens (creating if needed) a served database. */
	db(name: string): PouchDatabase {
		let db = this.open.get(name);
		if (!db) {
			db = new Pouch(join(this.dbsDir, safeName(name)), { adapter: 'leveldb' });
			this.open.set(name, db);
		}
		return db;
	}

	/** Creates a database; `false` when it already existed. */
	async create(name: string): Promise<boolean> {
		if (this.exists(name)) return false;
		// LevelDB creates its folder on first use: touch it so that `exists` sees it.
		await this.db(name).info();
		return true;
	}

	list(): string[] {
		const names = new Set(readdirSync(this.dbsDir).map(unsafeName));
		for (const n of this.open.keys()) names.add(n);
		return [...names].sort();
	}

	/** Tells longpoll waiters of `name` that something changed. */
	notify(name: string): void {
		this.changes.emit(name);
	}

	onChange(name: string, listener: () => void): () => void {
		this.changes.on(name, listener);
		return () => this.changes.off(name, listener);
	}

	/**
	 * Runs `fn` alone among writers of `name`, so that a check made before a write (is
	 * this event new?) still holds when the write happens.
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
		const dbs = [...this.open.values()];
		if (this.systemDb) dbs.push(this.systemDb);
		this.open.clear();
		this.systemDb = null;
		await Promise.all(dbs.map((db) => db.close().catch(() => undefined)));
	}
}
