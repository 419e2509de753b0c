// The first pull of an empty replica: the server's whole database, read as pages of its
// changes feed with the documents included, written to the PouchDB replica
// (`new_edits: false`) and projected into the read model in the same pass, while the
// next page is already on its way. It replaces the replicator's first walk (changes →
// `_revs_diff` → `_bulk_get` per batch, then the push half's re-walk of everything it
// pulled), which costs several times more. Live replication then starts from where this
// ended (see `SyncOptions.since`). Invariants:
//  - app writes to the replica and this pull's page writes take turns (`LoadSession.run`)
//    and the projector waits (LocalStore), so after each page the replica's update_seq
//    covers exactly what is projected (app writes project themselves): the projector's
//    cursor is set to it in the same Dexie transaction as the page's rows;
//  - the push starts at the replica's sequence before the first app write made during
//    the pull (`pushFrom`), else where the pull ended: nothing written here is skipped;
//  - a document with a single leaf revision is written as that revision alone (no
//    ancestors): later revisions from the server carry their history, which joins it.
//    Most such documents (keys the adapter keeps as they are) go straight into the replica's store as the adapter
//    would store them (replica-fill.ts); PouchDB re-reads its sequence (`freshen`) before
//    it writes again, within the same turn;
//    Anything else — several leaves (a conflict, deleted branches included), attachments,
//    an id already written by this pull (it changed on the server meanwhile; writing the
//    newer revision without its history would make a conflict the server does not have),
//    or an id the replica already holds when resuming — is fetched with `_bulk_get`,
//    every leaf with its revision history and attachments, as the replicator would;
//  - progress (server sequence, replica sequence) is stored with each page's rows: an
//    interrupted pull resumes there if the replica has not changed since, and otherwise
//    the caller falls back to ordinary replication, which is slower but complete.
import type { Database, PouchDoc } from './pouch';
import { projectDocs } from './projection';
import { canWriteRaw, isPlain, refresh, writeRaw } from './replica-fill';
import { DERIVED_TABLES, type ReadModel } from './read-model';

/** Documents per page; the probe behind this design found 1,000 a good trade. */
export const PAGE_SIZE = 1000;
/** The first page is small: writing starts while the server reads the next, larger one. */
const FIRST_PAGE_SIZE = 200;
/** Documents per `_bulk_get` request for the few that need their full history. */
const BULK_GET_CHUNK = 100;

export type Seq = number | string;

/** Progress of an initial pull, kept in the device table under `initialPullKey(db)`. */
export interface InitialPullRecord {
	/** `failed`: this replica could not take a page; ordinary replication does it. */
	state: 'loading' | 'done' | 'failed';
	/** The server's sequence up to which everything is in the replica. */
	remoteSeq: Seq;
	/** The replica's update_seq at that point. */
	localSeq: Seq;
	/** The replica's update_seq before the first app write during the pull, if any. */
	pushFrom?: Seq;
}

/** Shared with LocalStore: turns between page writes and app writes, and their sequences. */
export interface LoadSession {
	run<T>(fn: () => Promise<T>): Promise<T>;
	/** The replica's update_seq after the last page written. */
	localSeq: Seq;
	pushFrom?: Seq;
	/** Raw writes (replica-fill.ts) since PouchDB last read the replica's sequence. */
	stale?: boolean;
}

/** In a turn, before PouchDB writes to the replica or reports its sequence. */
export async function freshen(db: Database, session: LoadSession): Promise<void> {
	if (!session.stale) return;
	await refresh(db);
	session.stale = false;
}

export const initialPullKey = (db: string) => `initialPull:${db}`;

export interface InitialPullArgs {
	dbName: string;
	local: Database;
	rm: ReadModel;
	/** `${origin}/${db}`; requests go through the global `fetch` (cookies: same origin). */
	remoteUrl: string;
	session: LoadSession;
	resume?: InitialPullRecord;
	signal?: AbortSignal;
	pageSize?: number;
	/** Called after each page, e.g. for a stall watchdog. */
	onPage?: (docs: number) => void;
}

interface ChangesRow {
	id: string;
	seq: Seq;
	changes: { rev: string }[];
	deleted?: boolean;
	doc?: PouchDoc;
}

interface ChangesPage {
	results: ChangesRow[];
	last_seq: Seq;
}

/** An HTTP error shaped like PouchDB's (`status`, `name`), so the sync manager classifies it. */
export class HttpError extends Error {
	constructor(
		readonly status: number,
		override readonly name: string,
		reason: string
	) {
		super(reason);
	}
}

/** The request or its answer did not get through (offline, a dropped connection). */
export class NetworkError extends Error {
	override readonly name = 'NetworkError';
}

async function getJson<T>(url: string, signal?: AbortSignal, body?: unknown): Promise<T> {
	const network = (e: unknown) => {
		if (signal?.aborted) throw e;
		throw new NetworkError(e instanceof Error ? e.message : String(e));
	};
	const res = await fetch(url, {
		method: body === undefined ? 'GET' : 'POST',
		credentials: 'same-origin',
		headers: {
			Accept: 'application/json',
			...(body === undefined ? {} : { 'Content-Type': 'application/json' })
		},
		...(body === undefined ? {} : { body: JSON.stringify(body) }),
		signal
	}).catch(network);
	if (!res.ok) {
		const err = (await res.json().catch(() => ({}))) as { error?: string; reason?: string };
		throw new HttpError(res.status, err.error ?? 'http_error', err.reason ?? res.statusText);
	}
	return (await res.json().catch(network)) as T;
}

/** Pulls the whole server database into an empty (or resumed) replica. */
export async function initialPull(a: InitialPullArgs): Promise<{ pull: Seq; push: Seq }> {
	const limit = a.pageSize ?? PAGE_SIZE;
	const fetchPage = (since: Seq, n = limit) => {
		const q = `since=${encodeURIComponent(String(since))}&limit=${n}&include_docs=true&style=all_docs`;
		const page = getJson<ChangesPage>(`${a.remoteUrl}/_changes?${q}`, a.signal);
		return settled(page.then((p) => ({ ...p, full: p.results.length >= n })));
	};
	a.signal?.throwIfAborted();
	const written = new Set<string>();
	let remoteSeq: Seq = a.resume?.remoteSeq ?? 0;
	let next: Promise<ChangesPage & { full: boolean }> | null = fetchPage(
		remoteSeq,
		Math.min(limit, FIRST_PAGE_SIZE)
	);
	// Three stages overlap: the next page is fetched while this one is written to the
	// replica, while the one before is projected into the read model (always after its
	// own replica write has committed: the read model never holds the only copy).
	let projecting: Promise<void> = Promise.resolve();
	const record = (state: InitialPullRecord['state'], remote: Seq): InitialPullRecord => ({
		state,
		remoteSeq: remote,
		localSeq: a.session.localSeq,
		...(a.session.pushFrom !== undefined ? { pushFrom: a.session.pushFrom } : {})
	});
	try {
		while (next) {
			const page: ChangesPage & { full: boolean } = await next;
			a.signal?.throwIfAborted();
			const full = page.full;
			next = full ? fetchPage(page.last_seq) : null;
			if (page.results.length > 0) {
				const docs = await writeReplica(a, page.results, written);
				const rec = record(full ? 'loading' : 'done', page.last_seq);
				await projecting;
				projecting = settled(project(a, docs, rec));
				a.onPage?.(page.results.length);
			} else {
				await projecting;
				await a.rm.device.put({
					key: initialPullKey(a.dbName),
					value: record('done', page.last_seq)
				});
			}
			remoteSeq = page.last_seq;
		}
		await projecting;
	} finally {
		// Never leave a projection running behind the caller: the projector resumes after
		// this, and a late page would move its cursor back.
		await projecting.catch(() => {});
	}
	return { pull: remoteSeq, push: a.session.pushFrom ?? a.session.localSeq };
}

/** A promise that may wait unobserved for a while without counting as unhandled. */
function settled<T>(p: Promise<T>): Promise<T> {
	p.catch(() => {});
	return p;
}

/**
 * Writes one page to the replica (in its turn, see LoadSession) and returns what the read
 * model must show for it; `session.localSeq` is then the replica's update_seq.
 */
async function writeReplica(
	a: InitialPullArgs,
	rows: ChangesRow[],
	written: Set<string>
): Promise<PouchDoc[]> {
	let held = new Set<string>();
	if (a.resume) {
		// Written before the interruption: only `_bulk_get` brings the history to join it.
		const found = await a.local.allDocs({ keys: rows.map((r) => r.id) });
		held = new Set(found.rows.filter((r) => r.value).map((r) => r.id));
	}
	const simple: PouchDoc[] = [];
	const full: ChangesRow[] = [];
	for (const row of rows) {
		const doc = row.doc;
		const plain =
			doc &&
			row.changes.length === 1 &&
			doc._rev === row.changes[0].rev &&
			!doc._attachments &&
			!written.has(row.id) &&
			!held.has(row.id);
		if (plain) simple.push(doc);
		else full.push(row);
		written.add(row.id);
	}
	const withHistory = await fetchLeaves(a, full);
	// Most documents take the fast path (replica-fill.ts); the rest go through PouchDB.
	const raw = canWriteRaw(a.local) ? simple.filter(isPlain) : [];
	const fast = new Set(raw);
	const viaPouch = [...simple.filter((d) => !fast.has(d)), ...withHistory];
	return a.session.run(async () => {
		a.signal?.throwIfAborted();
		if (viaPouch.length) await writePouch(a, viaPouch);
		// What the read model must show for the others is the replica's view (its winner
		// and the losing revisions), read back after the write.
		const readBack = full.length
			? (
					await a.local.allDocs({
						keys: full.map((r) => r.id),
						include_docs: true,
						conflicts: true
					})
				).rows.flatMap((r): PouchDoc[] => {
					if (r.doc) return [r.doc];
					if (r.value?.deleted) return [{ _id: r.id, _rev: r.value.rev, _deleted: true }];
					return [];
				})
			: [];
		let wroteRaw = false;
		if (raw.length) {
			try {
				a.session.localSeq = await writeRaw(a.local, raw);
				a.session.stale = wroteRaw = true;
			} catch {
				// Nothing was written (one transaction), e.g. an id the app wrote meanwhile:
				// PouchDB merges what the fast path may not.
				await writePouch(a, raw);
			}
		}
		if (!wroteRaw) {
			await freshen(a.local, a.session);
			a.session.localSeq = (await a.local.info()).update_seq;
		}
		return [...simple, ...readBack];
	});
}

async function writePouch(a: InitialPullArgs, docs: PouchDoc[]): Promise<void> {
	await freshen(a.local, a.session);
	const results = await a.local.bulkDocs(docs, { new_edits: false });
	const failed = results.find((r) => r.error);
	if (failed) throw new Error(`initial pull: ${failed.id}: ${failed.reason ?? failed.message}`);
}

/** Projects a page written to the replica; the cursor moves to the replica's seq then. */
async function project(a: InitialPullArgs, docs: PouchDoc[], rec: InitialPullRecord) {
	await a.rm.transaction('rw', [...DERIVED_TABLES, 'device'], async () => {
		await projectDocs(a.rm, docs, a.dbName);
		await a.rm.cursors.put({ db: a.dbName, seq: rec.localSeq });
		await a.rm.device.put({ key: initialPullKey(a.dbName), value: rec });
	});
}

/** Every leaf revision of these rows, with revision history and attachments. */
async function fetchLeaves(a: InitialPullArgs, rows: ChangesRow[]): Promise<PouchDoc[]> {
	const out: PouchDoc[] = [];
	for (let i = 0; i < rows.length; i += BULK_GET_CHUNK) {
		const docs = rows
			.slice(i, i + BULK_GET_CHUNK)
			.flatMap((r) => r.changes.map((c) => ({ id: r.id, rev: c.rev })));
		const res = await getJson<{ results: { docs: { ok?: PouchDoc }[] }[] }>(
			`${a.remoteUrl}/_bulk_get?revs=true&attachments=true`,
			a.signal,
			{ docs }
		);
		// A revision that is no longer there (it changed on the server meanwhile) is skipped:
		// its successor has a later sequence, so a later page or the live pull brings it.
		for (const r of res.results) for (const d of r.docs) if (d.ok) out.push(d.ok);
	}
	return out;
}
