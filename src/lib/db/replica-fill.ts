// The initial pull's fast path into a replica (see initial-pull.ts): documents with a single
// revision, written straight into the replica's IndexedDB store as the indexeddb adapter
// itself stores a new document, in one transaction per page, without the adapter's read
// of every id and its per-document work (together about a quarter of the replica's cost
// in a first sync; README, Benchmarks). Invariants:
//  - only a new id (the caller knows it is not in the replica; `add` refuses otherwise),
//    one revision, not deleted, no attachments, and keys the adapter would not rename
//    (`isPlain`); the body's indexable copy is made by the adapter's rules (`indexedCopy`);
//  - the replica's sequence and document count are advanced in the same transaction;
//  - PouchDB keeps these two in memory: after a raw write, `refresh` must run before the
//    instance writes or reports its sequence again (the caller's turn-taking ensures it).
//    Tied to pouchdb-adapter-indexeddb's storage format (version 9.0.0, pinned);
//    replica-fill.spec.ts compares our records with the adapter's own.
import type { Database, PouchDoc } from './pouch';

const KEY = /^[a-zA-Z$][a-zA-Z0-9$]*$/;

/** The replica can take raw writes (its adapter and the refresh we rely on are there). */
export function canWriteRaw(db: Database): boolean {
	const d = db as unknown as { adapter?: string; _freshen?: unknown };
	return d.adapter === 'indexeddb' && typeof d._freshen === 'function';
}

/**
 * One revision, not deleted, no attachments, and every object key (at any depth) valid as
 * an IndexedDB key path, so that `indexedCopy` needs no key renaming.
 */
export function isPlain(doc: PouchDoc): boolean {
	if (typeof doc._rev !== 'string' || !/^[1-9]\d*-[0-9a-zA-Z]+$/.test(doc._rev)) return false;
	if (doc._id.startsWith('_')) return false;
	const keysOk = (v: unknown): boolean => {
		if (v === null || typeof v !== 'object') return true;
		if (Array.isArray(v)) return v.every(keysOk);
		return Object.entries(v).every(([k, x]) => KEY.test(k) && keysOk(x));
	};
	for (const [k, v] of Object.entries(doc)) {
		if (k === '_id' || k === '_rev') continue;
		if (!KEY.test(k) || !keysOk(v)) return false;
	}
	return true;
}

// The adapter keeps a second, "indexable" copy of a body when it holds nulls, booleans or
// keys IndexedDB cannot index (array indexes among them). Its rules, kept exactly as it
// applies them (including its quirks: the first nested object decides for the rest, and a
// nested object that needs no change is stored as `false`), for bodies `isPlain` accepts:
const IDB_NULL = Number.MIN_SAFE_INTEGER;
const IDB_FALSE = Number.MIN_SAFE_INTEGER + 1;
const IDB_TRUE = Number.MIN_SAFE_INTEGER + 2;

function needsCopy(data: Record<string, unknown>): boolean {
	for (const key of Object.keys(data)) {
		const v = data[key];
		if (!KEY.test(key)) return true;
		if (v === null || typeof v === 'boolean') return true;
		if (typeof v === 'object') return needsCopy(v as Record<string, unknown>);
	}
	return false;
}

/** The adapter's indexable copy of a body, or `false` when it stores the body itself. */
export function indexedCopy(data: Record<string, unknown>): Record<string, unknown> | false {
	if (!needsCopy(data)) return false;
	const out: Record<string, unknown> = Array.isArray(data) ? ([] as never) : {};
	for (const key of Object.keys(data)) {
		const v = data[key];
		if (v === null) out[key] = IDB_NULL;
		else if (typeof v === 'boolean') out[key] = v ? IDB_TRUE : IDB_FALSE;
		else if (typeof v === 'object') out[key] = indexedCopy(v as Record<string, unknown>);
		else out[key] = v;
	}
	return out;
}

const connections = new Map<string, Promise<IDBDatabase>>();

function connect(name: string): Promise<IDBDatabase> {
	let c = connections.get(name);
	if (!c) {
		c = new Promise<IDBDatabase>((resolve, reject) => {
			const req = indexedDB.open(name);
			req.onsuccess = () => {
				const idb = req.result;
				// PouchDB reopens with a new version (its refresh, a schema change): let it.
				idb.onversionchange = () => {
					idb.close();
					connections.delete(name);
				};
				resolve(idb);
			};
			req.onerror = () => reject(req.error ?? new Error(`cannot open ${name}`));
		});
		c.catch(() => connections.delete(name));
		connections.set(name, c);
	}
	return c;
}

/**
 * Writes these documents (each `isPlain`, none in the replica yet) and returns the
 * replica's new update_seq. Call `refresh` before PouchDB uses the replica again.
 */
export async function writeRaw(db: Database, docs: PouchDoc[]): Promise<number> {
	const idb = await connect(`_pouch_${db.name}`);
	return new Promise<number>((resolve, reject) => {
		const tx = idb.transaction(['docs', 'meta'], 'readwrite');
		const store = tx.objectStore('docs');
		const meta = tx.objectStore('meta');
		let seq = 0;
		const get = meta.get('meta');
		get.onsuccess = () => {
			const m = get.result as { seq: number; doc_count: number } | undefined;
			if (!m) {
				tx.abort();
				return;
			}
			seq = m.seq;
			for (const doc of docs) {
				const { _id, _rev, ...data } = doc;
				const rev = _rev as string;
				const copy = indexedCopy(data);
				const dash = rev.indexOf('-');
				store.add({
					id: _id,
					rev,
					rev_tree: [
						{
							pos: Number(rev.slice(0, dash)),
							ids: [rev.slice(dash + 1), { status: 'available' }, []]
						}
					],
					revs: { [rev]: { data, deleted: undefined } },
					data: copy === false ? data : copy,
					deleted: 0,
					seq: ++seq,
					attachments: {}
				});
			}
			meta.put({ ...m, seq, doc_count: m.doc_count + docs.length });
		};
		tx.oncomplete = () => resolve(seq);
		tx.onabort = () => reject(tx.error ?? new Error(`raw write to ${db.name} aborted`));
	});
}

/** Makes PouchDB read the replica's sequence and document count again. */
export async function refresh(db: Database): Promise<void> {
	await (db as unknown as { _freshen(): Promise<void> })._freshen();
}
