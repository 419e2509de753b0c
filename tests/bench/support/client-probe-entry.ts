// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- pouchdb-browser's ambient types
/// <reference path="../../../src/lib/db/pouchdb-modules.d.ts" />
// Browser entry of the first-sync experiments (`tests/bench/client-experiments.ts`),
// bundled by Vite into one ES module and served on the app's origin by Playwright route.
// It uses the app's own data layer (LocalStore, ReadModel, projectDocs) for the baseline,
// and raw PouchDB replication and a bulk-writing projector for the variants.
import PouchDBUntyped from 'pouchdb-browser';
import { LocalStore } from '../../../src/lib/db/local-store';
import { openLocal, openRemote, type ChangeRow, type Database } from '../../../src/lib/db/pouch';
import { DERIVED_TABLES, ReadModel } from '../../../src/lib/db/read-model';

interface PouchStatic {
	replicate(
		source: Database,
		target: Database,
		opts: Record<string, unknown>
	): PromiseLike<unknown>;
}
const PouchDB = PouchDBUntyped as PouchStatic;

const since = (t0: number) => Math.round(performance.now() - t0);

/** One-shot pull of each database into its (fresh) replica, all in parallel. */
async function replicate(dbs: string[], batchSize: number, batchesLimit: number) {
	const t0 = performance.now();
	const each: Record<string, number> = {};
	await Promise.all(
		dbs.map(async (db) => {
			await PouchDB.replicate(openRemote(db, location.origin), openLocal(db), {
				batch_size: batchSize,
				batches_limit: batchesLimit
			});
			each[db] = since(t0);
		})
	);
	return { ms: since(t0), each };
}

/** The app's projector (LocalStore) over replicas that are already full. */
async function appProjector(dbs: string[], rmName: string) {
	const rm = new ReadModel(rmName);
	const store = new LocalStore(rm);
	const t0 = performance.now();
	await store.open(dbs);
	for (const db of dbs) await store.caughtUp(db);
	const ms = since(t0);
	const marks = await marksIn(rm);
	rm.close();
	return { ms, marks };
}

const strip = (doc: Record<string, unknown>) => {
	const row: Record<string, unknown> = {};
	for (const [k, v] of Object.entries(doc)) {
		if (k === '_rev' || k === '_revisions' || k === '_conflicts' || k === '_attachments') continue;
		row[k] = v;
	}
	return row;
};

/**
 * The proposed projector: the same pages from the same cursor, but each page's rows go
 * to Dexie with bulkPut/bulkDelete (requests issued together, one wait per table), and a
 * conflicts row is deleted only where one exists.
 */
async function bulkProjector(dbs: string[], rmName: string, pageSize: number) {
	const rm = new ReadModel(rmName);
	const t0 = performance.now();
	await Promise.all(
		dbs.map(async (name) => {
			const db = openLocal(name);
			let seq: number | string = 0;
			for (;;) {
				const page = await db.changes({
					since: seq,
					limit: pageSize,
					include_docs: true,
					conflicts: true
				});
				if (page.results.length === 0) break;
				await project(rm, name, page.results, page.last_seq);
				seq = page.last_seq;
			}
		})
	);
	const ms = since(t0);
	const marks = await marksIn(rm);
	rm.close();
	return { ms, marks };
}

async function project(rm: ReadModel, name: string, rows: ChangeRow[], seq: number | string) {
	const put: Record<'students' | 'groups' | 'marks', Record<string, unknown>[]> = {
		students: [],
		groups: [],
		marks: []
	};
	const conflicts: Record<string, unknown>[] = [];
	for (const { doc } of rows) {
		if (!doc || doc._deleted) continue;
		const losers = Array.isArray(doc._conflicts) ? (doc._conflicts as string[]) : [];
		if (losers.length) {
			conflicts.push({ docId: doc._id, db: name, type: doc.type, winner: doc._rev, losers });
		}
		if (doc.type === 'student') put.students.push(strip(doc));
		else if (doc.type === 'group') put.groups.push(strip(doc));
		else if (doc.type === 'mark') put.marks.push(strip(doc));
	}
	await rm.transaction('rw', [...DERIVED_TABLES], async () => {
		const ids = rows.map((r) => r.id);
		const stale = (await rm.conflicts.where('docId').anyOf(ids).primaryKeys()).filter(
			(id) => !conflicts.some((c) => c.docId === id)
		);
		await Promise.all([
			rm.students.bulkPut(put.students as never[]),
			rm.groups.bulkPut(put.groups as never[]),
			writeMarkDays(rm, put.marks),
			rm.conflicts.bulkPut(conflicts as never[]),
			rm.conflicts.bulkDelete(stale),
			rm.cursors.put({ db: name, seq })
		]);
	});
}

const marksIn = async (rm: ReadModel) =>
	(await rm.markDays.toArray()).reduce((n, d) => n + d.marks.length, 0);

/** Marks into their group-day rows (the read model's v4 layout; this study wrote rows per mark). */
async function writeMarkDays(rm: ReadModel, marks: Record<string, unknown>[]) {
	const byDay = new Map<string, Record<string, unknown>[]>();
	for (const m of marks) {
		const key = JSON.stringify([m.groupId, m.date]);
		byDay.set(key, [...(byDay.get(key) ?? []), m]);
	}
	const keys = [...byDay.keys()].map((k) => JSON.parse(k) as [string, string]);
	const old = await rm.markDays.bulkGet(keys);
	await rm.markDays.bulkPut(
		keys.map(([groupId, date], i) => ({
			groupId,
			date,
			marks: [...(old[i]?.marks ?? []), ...(byDay.get(JSON.stringify([groupId, date])) ?? [])]
		})) as never[]
	);
}

/** Reading the replicas' changes (pages, docs included) without writing anything. */
async function readChanges(dbs: string[], pageSize: number) {
	const t0 = performance.now();
	let n = 0;
	for (const name of dbs) {
		const db = openLocal(name);
		let seq: number | string = 0;
		for (;;) {
			const page = await db.changes({
				since: seq,
				limit: pageSize,
				include_docs: true,
				conflicts: true
			});
			if (page.results.length === 0) break;
			n += page.results.length;
			seq = page.last_seq;
		}
	}
	return { ms: since(t0), rows: n };
}

type Revved = Record<string, unknown> & { _id: string; _rev: string };
const fetched = new Map<string, Revved[]>();

const post = async (url: string, body: unknown) => {
	const res = await fetch(url, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
		body: JSON.stringify(body)
	});
	return res.json();
};

/**
 * The pull's HTTP traffic alone, as PouchDB makes it: `_changes` pages and `_bulk_get`
 * with revision histories; the documents are kept for `writeOnly`.
 */
async function fetchOnly(dbs: string[], batchSize: number) {
	const t0 = performance.now();
	await Promise.all(
		dbs.map(async (db) => {
			const docs: Revved[] = [];
			let since: number | string = 0;
			for (;;) {
				const res = await fetch(
					`/${db}/_changes?style=all_docs&since=${encodeURIComponent(String(since))}&limit=${batchSize}`,
					{ headers: { Accept: 'application/json' } }
				);
				const page = (await res.json()) as {
					results: { id: string; changes: { rev: string }[] }[];
					last_seq: number | string;
				};
				if (page.results.length === 0) break;
				// A fresh replica misses every revision (its own `revsDiff` is a local call).
				const want = page.results.flatMap((r) => r.changes.map((c) => ({ id: r.id, rev: c.rev })));
				const got = (await post(`/${db}/_bulk_get?revs=true&latest=true`, { docs: want })) as {
					results: { docs: { ok?: Revved }[] }[];
				};
				for (const r of got.results) for (const d of r.docs) if (d.ok) docs.push(d.ok);
				since = page.last_seq;
			}
			fetched.set(db, docs);
		})
	);
	return { ms: since(t0), docs: [...fetched.values()].reduce((a, d) => a + d.length, 0) };
}

/** Writing what `fetchOnly` got into fresh replicas as the replicator does (new_edits: false). */
async function writeOnly(dbs: string[], batchSize: number, prefix: string) {
	const t0 = performance.now();
	await Promise.all(
		dbs.map(async (db) => {
			const local = openLocal(`${prefix}${db}`) as Database & {
				bulkDocs(docs: unknown[], opts: { new_edits: boolean }): Promise<unknown>;
			};
			const docs = fetched.get(db) ?? [];
			for (let i = 0; i < docs.length; i += batchSize) {
				await local.bulkDocs(docs.slice(i, i + batchSize), { new_edits: false });
			}
		})
	);
	return { ms: since(t0) };
}

(window as unknown as { kehouProbe: unknown }).kehouProbe = {
	fetchOnly,
	writeOnly,
	replicate,
	appProjector,
	bulkProjector,
	readChanges
};
