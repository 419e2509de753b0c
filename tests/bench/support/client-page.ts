// Functions that run inside the app's page (through `page.evaluate`), for the client
// bench. Each is self-contained: Playwright sends its source text, not its closure. They
// read IndexedDB directly (the app's PouchDB replicas and Dexie read model) and never
// write to the app's databases.

import type { TxEntry } from '../../e2e/support/page-probes';

export interface FirstSyncExpect {
	/**
	 * Each replicated database: its name (the read model's projector cursor is kept under
	 * it), its local PouchDB database as IndexedDB knows it, and the documents it must hold.
	 */
	replicas: { db: string; idb: string; docs: number }[];
	readModel: string;
	timeoutMs: number;
	pollMs: number;
}

export interface FirstSyncTimes {
	/** ms from the sign-in tap to each milestone. */
	replicas: Record<string, number>;
	allReplicas: number;
	readModel: number;
	syncedBadge: number;
	done: number;
	polls: number;
	/** ms from the sign-in tap to the first `_changes` request (sign-in, then the sync). */
	firstChanges: number;
	/** ms from the sign-in tap to the answer of `/_kehou/me`: signed in, the sync begins. */
	signedIn: number;
}

/**
 * Taps "sign in" (the form is filled) and polls IndexedDB until every replica holds its
 * documents, the read model's projector has reached every replica's last sequence (it
 * holds all they hold, whatever its tables look like) and the sync badge says synced.
 * Each look reads two keys per database on connections kept open (closed whenever the
 * app upgrades a database); a database that does not exist yet is not created (the
 * upgrade is aborted). The caller checks the replicas' real counts after the clock stops.
 */
export async function signInAndWaitForFirstSync(exp: FirstSyncExpect): Promise<FirstSyncTimes> {
	// One connection per database, kept between looks (opening one per look cost the app
	// more than the looks themselves); closed when the app upgrades it, reopened next look.
	const open = new Map<string, IDBDatabase>();
	const connect = (dbName: string) =>
		new Promise<IDBDatabase | undefined>((resolve) => {
			const kept = open.get(dbName);
			if (kept) return resolve(kept);
			const req = indexedDB.open(dbName);
			req.onupgradeneeded = () => req.transaction?.abort();
			req.onerror = () => resolve(undefined);
			req.onsuccess = () => {
				const db = req.result;
				db.onversionchange = () => {
					db.close();
					open.delete(dbName);
				};
				open.set(dbName, db);
				resolve(db);
			};
		});
	const get = async <T>(dbName: string, store: string, key: string) => {
		const db = await connect(dbName);
		if (!db?.objectStoreNames.contains(store)) return undefined;
		return new Promise<T | undefined>((resolve) => {
			let r: IDBRequest;
			try {
				r = db.transaction(store, 'readonly').objectStore(store).get(key);
			} catch {
				// Closed meanwhile (an upgrade): the next look reopens it.
				open.delete(dbName);
				return resolve(undefined);
			}
			r.onsuccess = () => resolve(r.result as T);
			r.onerror = () => resolve(undefined);
		});
	};
	// The replica's own document count and sequence (the indexeddb adapter's meta record):
	// one key read per look, not a count of a growing store.
	const metaOf = async (idb: string) =>
		(await get<{ seq?: number; doc_count?: number }>(idb, 'meta', 'meta')) ?? {};
	const cursorOf = async (db: string) =>
		Number((await get<{ seq?: number }>(exp.readModel, 'cursors', db))?.seq ?? -2);
	const submit = document.querySelector<HTMLButtonElement>('button[type=submit]');
	if (!submit) throw new Error('no sign-in button');
	const t0 = performance.now();
	submit.click();
	const times: FirstSyncTimes = {
		replicas: {},
		allReplicas: -1,
		readModel: -1,
		syncedBadge: -1,
		done: -1,
		polls: 0,
		firstChanges: -1,
		signedIn: -1
	};
	// Nothing is in a replica before the first page is asked for, and looking earlier is not
	// free: opening a replica the app has not created yet is an aborted upgrade each time,
	// in the backend the app's sign-in and replica creation wait on.
	/** ms from the tap to the first request whose URL has `part` starting (or answered). */
	const firstRequest = (part: string, at: 'start' | 'end' = 'start') => {
		const times = performance
			.getEntriesByType('resource')
			.filter((e) => e.startTime >= t0 && e.name.includes(part))
			.map((e) => (at === 'start' ? e.startTime : (e as PerformanceResourceTiming).responseEnd));
		return times.length ? Math.round(Math.min(...times) - t0) : -1;
	};
	let asked = false;
	while (performance.now() - t0 < exp.timeoutMs) {
		await new Promise((r) => setTimeout(r, exp.pollMs));
		times.polls++;
		const now = () => Math.round(performance.now() - t0);
		asked ||= firstRequest('/_changes?') >= 0;
		if (!asked) continue;
		for (const r of exp.replicas) {
			if (
				times.replicas[r.idb] === undefined &&
				((await metaOf(r.idb)).doc_count ?? -1) >= r.docs
			) {
				times.replicas[r.idb] = now();
			}
		}
		const all = exp.replicas.every((r) => times.replicas[r.idb] !== undefined);
		if (times.allReplicas < 0 && all) times.allReplicas = now();
		if (times.readModel < 0 && all) {
			let projected = true;
			for (const r of exp.replicas) {
				if ((await cursorOf(r.db)) < ((await metaOf(r.idb)).seq ?? -1)) projected = false;
			}
			if (projected) times.readModel = now();
		}
		const badge = document.querySelector('[data-testid=last-sync]');
		if (times.syncedBadge < 0 && badge?.getAttribute('data-synced') === 'yes') {
			times.syncedBadge = now();
		}
		if (times.allReplicas >= 0 && times.readModel >= 0 && times.syncedBadge >= 0) {
			times.done = Math.max(times.allReplicas, times.readModel, times.syncedBadge);
			for (const db of open.values()) db.close();
			times.firstChanges = firstRequest('/_changes?');
			times.signedIn = firstRequest('/_kehou/me', 'end');
			return times;
		}
	}
	throw new Error(`first sync not complete in ${exp.timeoutMs} ms: ${JSON.stringify(times)}`);
}

/** A replica's live documents (not deleted), counted after the clock stopped. */
export function replicaDocCount(idb: string): Promise<number> {
	return new Promise((resolve, reject) => {
		const req = indexedDB.open(idb);
		req.onerror = () => reject(req.error);
		req.onsuccess = () => {
			const db = req.result;
			const live = IDBKeyRange.bound([0, ''], [0, []]);
			const count = db
				.transaction('docs', 'readonly')
				.objectStore('docs')
				.index('deleted,id')
				.count(live);
			count.onsuccess = () => {
				db.close();
				resolve(count.result);
			};
			count.onerror = () => reject(count.error);
		};
	});
}

/** The marks the read model holds (its group-day rows), checked after the clock stopped. */
export function readModelMarks(readModel: string): Promise<number> {
	return new Promise((resolve, reject) => {
		const req = indexedDB.open(readModel);
		req.onerror = () => reject(req.error);
		req.onsuccess = () => {
			const db = req.result;
			const all = db.transaction('markDays', 'readonly').objectStore('markDays').getAll();
			all.onsuccess = () => {
				db.close();
				resolve((all.result as { marks: unknown[] }[]).reduce((n, d) => n + d.marks.length, 0));
			};
			all.onerror = () => reject(all.error);
		};
	});
}

export interface FloorResult {
	docs: number;
	bytes: number;
	fetchMs: number;
	writeMs: number;
}

/**
 * The floor: the same documents written straight into a fresh IndexedDB object store in
 * one transaction. Fetching them (`_all_docs?include_docs=true`, the page's own session)
 * happens before the clock starts; the store is deleted afterwards.
 */
export async function writeFloor(args: { dbs: string[]; name: string }): Promise<FloorResult> {
	const f0 = performance.now();
	const docs: Record<string, unknown>[] = [];
	let bytes = 0;
	for (const db of args.dbs) {
		const res = await fetch(`/${db}/_all_docs?include_docs=true`, {
			headers: { Accept: 'application/json' }
		});
		const text = await res.text();
		bytes += text.length;
		const body = JSON.parse(text) as { rows: { doc: Record<string, unknown> }[] };
		for (const row of body.rows) docs.push(row.doc);
	}
	const fetchMs = performance.now() - f0;
	const open = () =>
		new Promise<IDBDatabase>((resolve, reject) => {
			const req = indexedDB.open(args.name, 1);
			req.onupgradeneeded = () => req.result.createObjectStore('docs', { keyPath: '_id' });
			req.onsuccess = () => resolve(req.result);
			req.onerror = () => reject(req.error);
		});
	const db = await open();
	const t0 = performance.now();
	await new Promise<void>((resolve, reject) => {
		const tx = db.transaction('docs', 'readwrite');
		const store = tx.objectStore('docs');
		for (const doc of docs) store.put(doc);
		tx.oncomplete = () => resolve();
		tx.onerror = () => reject(tx.error);
	});
	const writeMs = performance.now() - t0;
	db.close();
	await new Promise((r) => {
		const del = indexedDB.deleteDatabase(args.name);
		del.onsuccess = del.onerror = del.onblocked = r;
	});
	return { docs: docs.length, bytes, fetchMs, writeMs };
}

export { installTxProbe } from '../../e2e/support/page-probes';

export interface TapTimes {
	from: string;
	to: string;
	/** ms from the tap to the tile's new `data-status` in the DOM. */
	dom: number;
	/** ms to the next animation frame after that (the screen can show it). */
	frame: number;
	/** ms to the commit of the mark into the PouchDB replica / the read model. */
	pouch: number;
	readModel: number;
	/** IndexedDB transactions that completed after the tap (ms from the tap), for --verbose. */
	timeline?: { tx: string; start: number; done: number }[];
}

/**
 * One tap on a tile with `element.click()`, timed with `performance.now()`: until a
 * MutationObserver sees the tile's new status, and until the mark's IndexedDB
 * transactions complete (recorded by `installTxProbe`).
 */
export function tapTile(args: {
	index: number;
	replica: string;
	readModel: string;
	timeoutMs: number;
}): Promise<TapTimes> {
	const w = window as unknown as { __txLog: TxEntry[] };
	const tiles = () => document.querySelectorAll<HTMLElement>('[data-testid=student-tile]');
	const tile = tiles()[args.index];
	const student = tile.getAttribute('data-student');
	const from = tile.getAttribute('data-status') ?? '';
	const statusNow = () =>
		document
			.querySelector(`[data-testid=student-tile][data-student="${student}"]`)
			?.getAttribute('data-status') ?? '';
	const grid = tile.closest('ul') ?? document.body;
	w.__txLog = [];
	return new Promise<TapTimes>((resolve, reject) => {
		let t0 = 0;
		const timer = setTimeout(() => {
			observer.disconnect();
			reject(new Error(`tile ${args.index} did not change in ${args.timeoutMs} ms`));
		}, args.timeoutMs);
		const observer = new MutationObserver(() => {
			const to = statusNow();
			if (to === from) return;
			const dom = performance.now() - t0;
			observer.disconnect();
			clearTimeout(timer);
			requestAnimationFrame(() => {
				const frame = performance.now() - t0;
				const first = (pred: (e: { db: string; stores: string[] }) => boolean) => {
					const done = w.__txLog
						.filter((e) => e.done >= t0 && e.mode === 'readwrite' && pred(e))
						.map((e) => e.done - t0);
					return done.length ? Math.min(...done) : -1;
				};
				resolve({
					from,
					to,
					dom,
					frame,
					pouch: first((e) => e.db === args.replica && e.stores.includes('docs')),
					readModel: first((e) => e.db === args.readModel && e.stores.includes('markDays')),
					timeline: w.__txLog
						.filter((e) => e.done >= t0)
						.map((e) => ({
							tx: `${e.mode === 'readwrite' ? 'rw' : 'r '} ${e.db.replace(/^_pouch_kehou-replica-/, '')} [${e.stores.join(',')}]`,
							start: Math.round((e.start - t0) * 10) / 10,
							done: Math.round((e.done - t0) * 10) / 10
						}))
				});
			});
		});
		observer.observe(grid, {
			subtree: true,
			childList: true,
			attributes: true,
			attributeFilter: ['data-status']
		});
		t0 = performance.now();
		tile.click();
	});
}
