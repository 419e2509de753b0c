// The shared store: a remote CouchDB 3 (or anything that speaks its API to a server admin)
// through PouchDB's HTTP adapter, so that several sync-server processes behind a load
// balancer keep no state of their own (DESIGN.md decision 4).
// Layout on the remote: served database `x` is `${prefix}x`; users, sessions and the
// server's uuid are in `${prefix}_system`. The prefix keeps our databases apart from
// anything else on that server, and makes them plain databases if the remote is itself a
// Kehou sync-server (its gate would otherwise judge our writes as its server admin's).
// Invariants: the name list behind the synchronous `exists`/`list` is at most
// `LIST_REFRESH_MS` old (plus what this process created or used); change notifications
// for a watched database come from the remote `_changes` longpoll feed, so writes made
// through other processes wake this process's longpolls too.
import { randomUUID } from 'node:crypto';
import type { ChangesResult, PouchDatabase, StoreBackend } from './storage';
import { Pouch, facade } from './storage-pouch';

export interface CouchOptions {
	/** `http(s)://host:port` of the CouchDB server (credentials in the URL are not allowed). */
	url: string;
	username?: string;
	password?: string;
	/** Name prefix of our databases on the remote; default `kehou-`. */
	prefix?: string;
}

const LIST_REFRESH_MS = 5_000;
const WATCH_RETRY_MS = 1_000;
// The HTTP adapter pages `_changes` in batches of 25 unless told otherwise.
const CHANGES_BATCH = 1000;

interface LiveChanges {
	on(event: 'change' | 'error', fn: (info: unknown) => void): LiveChanges;
	cancel(): void;
}

export class CouchBackend implements StoreBackend {
	readonly kind = 'couchdb';
	private readonly base: string;
	private readonly prefix: string;
	private readonly authHeader: string | undefined;
	private readonly handles = new Map<string, PouchDatabase>();
	private readonly facades = new Map<string, PouchDatabase>();
	private known = new Set<string>();
	private refresher: NodeJS.Timeout | undefined;
	private systemDb: PouchDatabase | null = null;

	constructor(private readonly opts: CouchOptions) {
		const url = new URL(opts.url);
		if (url.username || url.password) {
			throw new Error('Give CouchDB credentials in KEHOU_COUCHDB_USER/PASSWORD, not in the URL.');
		}
		this.base = url.href.replace(/\/+$/, '');
		this.prefix = opts.prefix ?? 'kehou-';
		if (!/^[a-z][a-z0-9_-]*$/.test(this.prefix)) {
			throw new Error(`CouchDB prefix must match [a-z][a-z0-9_-]*, not ${this.prefix}`);
		}
		if (opts.username !== undefined) {
			const token = Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64');
			this.authHeader = `Basic ${token}`;
		}
	}

	private remoteName(name: string): string {
		return this.prefix + name;
	}

	private open(remoteName: string): PouchDatabase {
		const auth =
			this.opts.username !== undefined
				? { username: this.opts.username, password: this.opts.password ?? '' }
				: undefined;
		return new Pouch(`${this.base}/${encodeURIComponent(remoteName)}`, {
			adapter: 'http',
			...(auth ? { auth } : {})
		});
	}

	get system(): PouchDatabase {
		this.systemDb ??= this.open(this.remoteName('_system'));
		return this.systemDb;
	}

	async init(): Promise<{ uuid: string; fresh: boolean }> {
		await this.refreshList();
		this.refresher = setInterval(
			() => void this.refreshList().catch(() => undefined),
			LIST_REFRESH_MS
		);
		this.refresher.unref();
		const existing = (await this.system.get('server').catch(() => null)) as {
			uuid?: string;
		} | null;
		if (typeof existing?.uuid === 'string') return { uuid: existing.uuid, fresh: false };
		const uuid = randomUUID().replaceAll('-', '');
		try {
			await this.system.put({ _id: 'server', uuid, createdAt: new Date().toISOString() });
			return { uuid, fresh: true };
		} catch {
			// Another process started on the same store at the same moment: its uuid wins.
			const doc = (await this.system.get('server')) as { uuid?: string };
			if (typeof doc.uuid !== 'string') throw new Error('the store has no server uuid');
			return { uuid: doc.uuid, fresh: false };
		}
	}

	/** `GET /_all_dbs` of the remote, as our names. */
	private async remoteList(): Promise<string[]> {
		const res = await fetch(`${this.base}/_all_dbs`, {
			headers: {
				Accept: 'application/json',
				...(this.authHeader ? { Authorization: this.authHeader } : {})
			}
		});
		if (!res.ok) throw new Error(`CouchDB _all_dbs answered ${res.status}`);
		const all = (await res.json()) as string[];
		const system = this.remoteName('_system');
		return all
			.filter((n) => n.startsWith(this.prefix) && n !== system)
			.map((n) => n.slice(this.prefix.length))
			.sort();
	}

	private async refreshList(): Promise<void> {
		this.known = new Set(await this.remoteList());
	}

	exists(name: string): boolean {
		return this.known.has(name);
	}

	async existsNow(name: string): Promise<boolean> {
		const res = await fetch(`${this.base}/${encodeURIComponent(this.remoteName(name))}`, {
			method: 'HEAD',
			headers: this.authHeader ? { Authorization: this.authHeader } : {}
		});
		if (res.ok) this.known.add(name);
		else if (res.status === 404) this.known.delete(name);
		else throw new Error(`CouchDB answered ${res.status}`);
		return res.ok;
	}

	private handle(name: string): PouchDatabase {
		let h = this.handles.get(name);
		if (!h) {
			h = this.open(this.remoteName(name));
			this.handles.set(name, h);
		}
		return h;
	}

	db(name: string): PouchDatabase {
		let f = this.facades.get(name);
		if (!f) {
			// The HTTP adapter creates the remote database on its first call.
			f = facade(async (fn) => {
				const out = await fn(this.handle(name));
				this.known.add(name);
				return out;
			});
			const changes = f.changes.bind(f);
			f.changes = (opts) =>
				changes({ batch_size: Math.max(CHANGES_BATCH, Number(opts.limit) || 0), ...opts });
			this.facades.set(name, f);
		}
		return f;
	}

	async create(name: string): Promise<boolean> {
		const res = await fetch(`${this.base}/${encodeURIComponent(this.remoteName(name))}`, {
			method: 'PUT',
			headers: this.authHeader ? { Authorization: this.authHeader } : {}
		});
		if (res.status === 412) {
			this.known.add(name);
			return false;
		}
		if (!res.ok) throw new Error(`CouchDB could not create ${name}: ${res.status}`);
		this.known.add(name);
		return true;
	}

	async destroy(name: string): Promise<boolean> {
		const res = await fetch(`${this.base}/${encodeURIComponent(this.remoteName(name))}`, {
			method: 'DELETE',
			headers: this.authHeader ? { Authorization: this.authHeader } : {}
		});
		this.known.delete(name);
		this.handles.delete(name);
		this.facades.delete(name);
		if (res.status === 404) return false;
		if (!res.ok) throw new Error(`CouchDB could not delete ${name}: ${res.status}`);
		return true;
	}

	list(): string[] {
		return [...this.known].sort();
	}

	async listNow(): Promise<string[]> {
		await this.refreshList();
		return this.list();
	}

	/** Follows the remote `_changes` (longpoll) and calls `onChange` for each change. */
	watch(name: string, onChange: () => void): () => void {
		let stopped = false;
		let feed: LiveChanges | null = null;
		let retry: NodeJS.Timeout | undefined;
		const start = () => {
			if (stopped) return;
			const db = this.handle(name) as unknown as {
				changes(opts: Record<string, unknown>): LiveChanges & Promise<ChangesResult>;
			};
			feed = db.changes({ live: true, since: 'now', return_docs: false, heartbeat: 10_000 });
			feed.on('change', () => onChange());
			feed.on('error', () => {
				feed = null;
				// Something may have changed while we were not looking: let waiters re-check.
				if (!stopped) onChange();
				retry = setTimeout(start, WATCH_RETRY_MS);
				retry.unref();
			});
		};
		start();
		return () => {
			stopped = true;
			clearTimeout(retry);
			feed?.cancel();
		};
	}

	async close(): Promise<void> {
		clearInterval(this.refresher);
		const dbs = [...this.handles.values()];
		if (this.systemDb) dbs.push(this.systemDb);
		this.handles.clear();
		this.facades.clear();
		this.systemDb = null;
		await Promise.all(dbs.map((db) => db.close().catch(() => undefined)));
	}
}
