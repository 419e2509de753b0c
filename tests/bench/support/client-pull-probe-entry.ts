// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- pouchdb-browser's ambient types
/// <reference path="../../../src/lib/db/pouchdb-modules.d.ts" />
// Browser entry of the initial-pull experiments (`tests/bench/client-experiments.ts`):
// the first sync's local work taken apart, on pages fetched beforehand (the same pages the
// app's initial pull reads: `_changes?include_docs&style=all_docs`), so that every figure
// is local work only, comparable with the floor measured in the same page.
import Dexie from 'dexie';
import { openLocal, type Database, type PouchDoc } from '../../../src/lib/db/pouch';
import { projectDocs } from '../../../src/lib/db/projection';
import { isPlain, refresh, writeRaw } from '../../../src/lib/db/replica-fill';
import { DERIVED_TABLES, type ReadModel } from '../../../src/lib/db/read-model';

type Page = PouchDoc[];
const pages = new Map<string, Page[]>();
const since = (t0: number) => Math.round(performance.now() - t0);

/** Fetches every page of each database (not timed against anything else). */
async function load(dbs: string[], pageSize: number) {
	const t0 = performance.now();
	let docs = 0;
	await Promise.all(
		dbs.map(async (db) => {
			const out: Page[] = [];
			let seq: number | string = 0;
			for (;;) {
				const q = `since=${encodeURIComponent(String(seq))}&limit=${pageSize}&include_docs=true&style=all_docs`;
				const res = await fetch(`/${db}/_changes?${q}`, {
					headers: { Accept: 'application/json' }
				});
				const body = (await res.json()) as {
					results: { doc: PouchDoc }[];
					last_seq: number | string;
				};
				if (body.results.length === 0) break;
				out.push(body.results.map((r) => r.doc));
				docs += body.results.length;
				seq = body.last_seq;
			}
			pages.set(db, out);
		})
	);
	return { ms: since(t0), docs };
}

/**
 * Fresh deep copies of every page, made before a clock starts: each write gets objects no
 * earlier write has touched (PouchDB sorts and rewrites what it is given).
 */
const copies = (dbs: string[]) =>
	new Map(dbs.map((db) => [db, (pages.get(db) ?? []).map((p) => structuredClone(p))] as const));

function idbOpen(name: string, upgrade: (db: IDBDatabase) => void): Promise<IDBDatabase> {
	return new Promise((resolve, reject) => {
		const req = indexedDB.open(name, 1);
		req.onupgradeneeded = () => upgrade(req.result);
		req.onsuccess = () => resolve(req.result);
		req.onerror = () => reject(req.error);
	});
}

const txDone = (tx: IDBTransaction) =>
	new Promise<void>((resolve, reject) => {
		tx.oncomplete = () => resolve();
		tx.onerror = () => reject(tx.error);
		tx.onabort = () => reject(tx.error);
	});

/** The bench's floor: every document into one store, one transaction. */
async function floor(dbs: string[], name: string) {
	const docs = dbs.flatMap((db) => pages.get(db)?.flat() ?? []);
	const idb = await idbOpen(name, (d) => d.createObjectStore('docs', { keyPath: '_id' }));
	const t0 = performance.now();
	const tx = idb.transaction('docs', 'readwrite');
	const store = tx.objectStore('docs');
	for (const doc of docs) store.put(doc);
	await txDone(tx);
	const ms = since(t0);
	idb.close();
	return { ms };
}

/** The floor again, one transaction per page and database (the pull's granularity). */
async function floorPaged(dbs: string[], name: string) {
	const idb = await idbOpen(name, (d) => d.createObjectStore('docs', { keyPath: '_id' }));
	const t0 = performance.now();
	await Promise.all(
		dbs.map(async (db) => {
			for (const page of pages.get(db) ?? []) {
				const tx = idb.transaction('docs', 'readwrite');
				const store = tx.objectStore('docs');
				for (const doc of page) store.put(doc);
				await txDone(tx);
			}
		})
	);
	const ms = since(t0);
	idb.close();
	return { ms };
}

const replicas = (prefix: string, dbs: string[]) =>
	new Map(dbs.map((db) => [db, openLocal(`${prefix}${db}`)] as const));

let rawReplica = false;

async function writeReplica(local: Database, docs: PouchDoc[]) {
	if (rawReplica) {
		await writeRaw(local, docs);
		return;
	}
	const res = await local.bulkDocs(docs, { new_edits: false });
	const bad = res.find((r) => r.error);
	if (bad) throw new Error(`replica refused ${bad.id}`);
}

/** The replica alone: each page with `bulkDocs(new_edits: false)`, databases in parallel. */
async function replicaOnly(dbs: string[], prefix: string) {
	const local = replicas(prefix, dbs);
	for (const db of local.values()) await db.info();
	const input = copies(dbs);
	const t0 = performance.now();
	await Promise.all(
		dbs.map(async (db) => {
			for (const docs of input.get(db)!) await writeReplica(local.get(db)!, docs);
		})
	);
	return { ms: since(t0) };
}

/**
 * The replica written as the app's initial pull writes it: documents with one revision
 * straight into the adapter's store (`writeRaw`, replica-fill.ts), one transaction per page.
 */
async function replicaRaw(dbs: string[], prefix: string) {
	const local = replicas(prefix, dbs);
	for (const db of local.values()) await db.info();
	const input = copies(dbs);
	const t0 = performance.now();
	await Promise.all(
		dbs.map(async (db) => {
			for (const docs of input.get(db)!) {
				const plain = docs.filter(isPlain);
				if (plain.length < docs.length) throw new Error(`${db}: not every document is plain`);
				await writeRaw(local.get(db)!, plain);
			}
		})
	);
	const ms = since(t0);
	for (const db of local.values()) await refresh(db);
	return { ms };
}

/**
 * Read-model schemas: `v4` is the app's (marks in group-day rows, through the app's own
 * projection); the others keep a row per mark (as v3 did), written next to the app's
 * projection of everything else: `v3` with v3's indexes, `slim` without the two that no
 * screen queries, `compound` keyed by group, date and id with no index, `bare` with no
 * secondary index at all (what the rows alone cost).
 */
const SCHEMAS: Record<string, Record<string, string>> = {
	v4: {},
	v3: {
		students: 'id, groupId',
		marks: 'id, [groupId+date], studentId',
		docs: '_id, type, [type+groupId], date, *kGroups'
	},
	slim: { marks: 'id, [groupId+date]' },
	compound: { marks: '[groupId+date+id]' },
	bare: {
		students: 'id',
		marks: 'id',
		outbox: 'docId',
		conflicts: 'docId',
		docs: '_id'
	}
};

function readModelOf(schema: string, name: string): ReadModel {
	const rm = new Dexie(name);
	rm.version(1).stores({
		students: 'id, groupId',
		groups: 'id',
		markDays: '[groupId+date]',
		outbox: 'docId, db',
		cursors: 'db',
		device: 'key',
		conflicts: 'docId, db',
		docs: '_id, type, [type+groupId], *kGroups',
		...SCHEMAS[schema]
	});
	return rm as unknown as ReadModel;
}

const strip = (doc: PouchDoc) => {
	const row: Record<string, unknown> = {};
	for (const [k, v] of Object.entries(doc)) {
		if (k === '_rev' || k === '_revisions' || k === '_conflicts' || k === '_attachments') continue;
		row[k] = v;
	}
	return row;
};

async function projectPage(rm: ReadModel, db: string, docs: PouchDoc[], seq: number) {
	const rowPerMark = rm.tables.some((t) => t.name === 'marks');
	await rm.transaction('rw', [...DERIVED_TABLES, ...(rowPerMark ? ['marks'] : [])], async () => {
		if (rowPerMark) {
			await projectDocs(
				rm,
				docs.filter((d) => d.type !== 'mark'),
				db
			);
			await rm
				.table('marks')
				.bulkPut(docs.filter((d) => d.type === 'mark' && !d._deleted).map(strip));
		} else {
			await projectDocs(rm, docs, db);
		}
		await rm.cursors.put({ db, seq });
	});
}

const marksIn = async (rm: ReadModel) =>
	rm.tables.some((t) => t.name === 'marks')
		? rm.table('marks').count()
		: (await rm.markDays.toArray()).reduce((n, d) => n + d.marks.length, 0);

/** The read model alone: each page projected in one transaction, databases in parallel. */
async function readModelOnly(dbs: string[], schema: string, name: string) {
	const rm = readModelOf(schema, name);
	await rm.open();
	const input = copies(dbs);
	const t0 = performance.now();
	await Promise.all(
		dbs.map(async (db) => {
			for (const [i, docs] of input.get(db)!.entries()) await projectPage(rm, db, docs, i);
		})
	);
	const ms = since(t0);
	const marks = await marksIn(rm);
	rm.close();
	return { ms, marks };
}

/**
 * Replica and read model together, databases in parallel. `serial`: each page into the
 * replica, then into the read model; `overlap`: the read model takes page N while the
 * replica takes N+1 (the app's initial pull); `concurrent`: both take the same page at
 * once.
 */
async function both(dbs: string[], prefix: string, schema: string, mode: string, raw = false) {
	rawReplica = raw;
	const local = replicas(prefix, dbs);
	for (const db of local.values()) await db.info();
	const rm = readModelOf(schema, `${prefix}rm`);
	await rm.open();
	const input = copies(dbs);
	const second = mode === 'concurrent' ? copies(dbs) : input;
	const t0 = performance.now();
	await Promise.all(
		dbs.map(async (db) => {
			const replica = local.get(db)!;
			let projecting: Promise<void> = Promise.resolve();
			for (const [i, docs] of input.get(db)!.entries()) {
				if (mode === 'serial') {
					await writeReplica(replica, docs);
					await projectPage(rm, db, docs, i);
				} else if (mode === 'overlap') {
					await writeReplica(replica, docs);
					await projecting;
					projecting = projectPage(rm, db, docs, i);
				} else {
					await Promise.all([
						writeReplica(replica, docs),
						projectPage(rm, db, second.get(db)![i], i)
					]);
				}
			}
			await projecting;
		})
	);
	const ms = since(t0);
	rm.close();
	return { ms };
}

(window as unknown as { kehouPullProbe: unknown }).kehouPullProbe = {
	load,
	floor,
	floorPaged,
	replicaOnly,
	replicaRaw,
	readModelOnly,
	both
};
