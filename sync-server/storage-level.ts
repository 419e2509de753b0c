// The embedded store: one PouchDB-on-LevelDB database per served database under
// `${dataDir}/dbs`, the system database under `${dataDir}/system`, the uuid in
// `${dataDir}/server.json`.
// Invariants: at most `maxOpen` served databases hold an open LevelDB handle while none
// is busy (each holds file descriptors and a block cache); a handle is closed only when no
// call is using it (reference count), and a call arriving while its database closes waits
// for the close and reopens it — LevelDB's lock forbids two handles on one folder.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PouchDatabase, StoreBackend } from './storage';
import { cachingGets } from './doc-cache';
import { Pouch, facade } from './storage-pouch';
import leveldown, { type LevelDown } from 'leveldown';
import { levelChanges } from './level-changes';

/**
 * The LevelDB under each served database's PouchDB, by folder, for reads PouchDB has no
 * call for (`knownIds`). PouchDB asks this factory for its LevelDB whenever it opens one.
 */
const levels = new Map<string, LevelDown>();
function kehouLevelDown(location: string): LevelDown {
	const db = leveldown(location);
	levels.set(location, db);
	return db;
}

/**
 * PouchDB's LevelDB adapter keeps each document's metadata (its revision tree, deleted
 * ones too) under `ÿdocument-storeÿ<id>` (sublevel-pouchdb's key prefix; pinned versions,
 * storage.spec.ts checks the answer against PouchDB's own reads).
 */
const metadataKey = (id: string) => `\xffdocument-store\xff${id}`;

function knownIn(level: LevelDown, ids: string[]): Promise<Set<string>> {
	return new Promise((resolve, reject) => {
		level.getMany(ids.map(metadataKey), { asBuffer: false }, (err, values) => {
			if (err) return reject(err);
			resolve(new Set(ids.filter((_, i) => values[i] !== undefined)));
		});
	});
}

/** File-system name: everything outside `[a-z0-9_-]` is %-escaped (`%` never occurs in names). */
export const safeName = (name: string) =>
	name.replace(/[^a-z0-9_-]/g, (c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0'));
const unsafeName = (file: string) =>
	file.replace(/%([0-9a-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));

interface Handle {
	db: PouchDatabase;
	/** Calls in flight on this handle. */
	refs: number;
}

export class LevelBackend implements StoreBackend {
	readonly kind = 'leveldb';
	readonly dbsDir: string;
	/** Open handles, least recently used first (a Map keeps insertion order). */
	private readonly handles = new Map<string, Handle>();
	/** Handles being closed: a new call on that name waits for the close. */
	private readonly closing = new Map<string, Promise<void>>();
	private readonly facades = new Map<string, PouchDatabase>();
	private systemDb: PouchDatabase | null = null;
	/** Counters for tests and the benchmark. */
	readonly stats = { opened: 0, closed: 0, peakOpen: 0 };

	constructor(
		readonly dataDir: string,
		readonly maxOpen: number
	) {
		this.dbsDir = join(dataDir, 'dbs');
	}

	async init(): Promise<{ uuid: string; fresh: boolean }> {
		mkdirSync(this.dbsDir, { recursive: true });
		const file = join(this.dataDir, 'server.json');
		if (existsSync(file)) {
			const saved = JSON.parse(readFileSync(file, 'utf8')) as { uuid?: unknown };
			if (typeof saved.uuid !== 'string') throw new Error(`${file} has no uuid`);
			return { uuid: saved.uuid, fresh: false };
		}
		// CouchDB's uuid is 32 hex digits; PouchDB keys replication checkpoints on it.
		const uuid = randomUUID().replaceAll('-', '');
		const body = { uuid, createdAt: new Date().toISOString() };
		writeFileSync(file, JSON.stringify(body, null, '\t') + '\n', { mode: 0o600 });
		return { uuid, fresh: true };
	}

	get system(): PouchDatabase {
		// Only this process writes the folder (LevelDB's lock): its documents may be kept.
		this.systemDb ??= cachingGets(new Pouch(join(this.dataDir, 'system'), { adapter: 'leveldb' }));
		return this.systemDb;
	}

	private path(name: string): string {
		return join(this.dbsDir, safeName(name));
	}

	exists(name: string): boolean {
		return this.handles.has(name) || existsSync(this.path(name));
	}

	existsNow(name: string): Promise<boolean> {
		return Promise.resolve(this.exists(name));
	}

	db(name: string): PouchDatabase {
		let f = this.facades.get(name);
		if (!f) {
			f = facade((fn) => this.use(name, fn));
			const location = this.path(name);
			// Reads PouchDB has no call for, on the LevelDB under the handle (acquired, and so
			// kept open, while they run); a handle just made may still be opening its LevelDB,
			// which any PouchDB call waits for.
			const onLevel = <T>(fn: (level: LevelDown) => Promise<T>) =>
				this.use(name, async (db) => {
					let level = levels.get(location);
					if (level?.status !== 'open') {
						await db.info();
						level = levels.get(location);
					}
					if (!level) throw new Error(`no LevelDB open for ${name}`);
					return fn(level);
				});
			f.knownIds = (ids) =>
				ids.length === 0 ? Promise.resolve(new Set()) : onLevel((level) => knownIn(level, ids));
			f.levelChanges = (opts) => onLevel((level) => levelChanges(level, opts));
			this.facades.set(name, f);
		}
		return f;
	}

	/** Number of open LevelDB handles of served databases. */
	get openCount(): number {
		return this.handles.size;
	}

	private async use<T>(name: string, fn: (db: PouchDatabase) => Promise<T>): Promise<T> {
		const h = await this.acquire(name);
		try {
			return await fn(h.db);
		} finally {
			h.refs--;
			this.evict();
		}
	}

	private async acquire(name: string): Promise<Handle> {
		for (;;) {
			const closing = this.closing.get(name);
			if (closing) {
				await closing;
				continue;
			}
			let h = this.handles.get(name);
			if (h) {
				// Most recently used goes last.
				this.handles.delete(name);
			} else {
				h = {
					db: new Pouch(this.path(name), { adapter: 'leveldb', db: kehouLevelDown }),
					refs: 0
				};
				this.stats.opened++;
			}
			this.handles.set(name, h);
			h.refs++;
			this.stats.peakOpen = Math.max(this.stats.peakOpen, this.handles.size);
			this.evict();
			return h;
		}
	}

	/** Closes idle handles, oldest first, until at most `maxOpen` remain (busy ones stay). */
	private evict(): void {
		if (this.handles.size <= this.maxOpen) return;
		for (const [name, h] of this.handles) {
			if (this.handles.size <= this.maxOpen) break;
			if (h.refs > 0) continue;
			this.handles.delete(name);
			this.closing.set(name, this.closeHandle(name, h));
		}
	}

	private async closeHandle(name: string, h: Handle): Promise<void> {
		try {
			await h.db.close();
		} catch {
			// A failed close leaves nothing we could retry; the next open reports any real problem.
		} finally {
			levels.delete(this.path(name));
			this.stats.closed++;
			this.closing.delete(name);
		}
	}

	async create(name: string): Promise<boolean> {
		if (this.exists(name)) return false;
		// LevelDB creates its folder on first use: touch it so that `exists` sees it.
		await this.db(name).info();
		return true;
	}

	async destroy(name: string): Promise<boolean> {
		if (!this.exists(name)) return false;
		await this.closing.get(name);
		const h = this.handles.get(name);
		if (h) {
			if (h.refs > 0) throw new Error(`${name} is in use`);
			this.handles.delete(name);
			await h.db.close().catch(() => undefined);
			levels.delete(this.path(name));
		}
		rmSync(this.path(name), { recursive: true, force: true });
		return true;
	}

	list(): string[] {
		const names = new Set(readdirSync(this.dbsDir).map(unsafeName));
		for (const n of this.handles.keys()) names.add(n);
		return [...names].sort();
	}

	listNow(): Promise<string[]> {
		return Promise.resolve(this.list());
	}

	async close(): Promise<void> {
		const handles = [...this.handles.values()];
		for (const name of this.handles.keys()) levels.delete(this.path(name));
		this.handles.clear();
		const dbs = handles.map((h) => h.db);
		if (this.systemDb) dbs.push(this.systemDb);
		this.systemDb = null;
		await Promise.all([
			...this.closing.values(),
			...dbs.map((db) => db.close().catch(() => undefined))
		]);
	}
}
