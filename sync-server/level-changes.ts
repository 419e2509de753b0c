// A page of a database's changes feed read straight from the LevelDB under PouchDB, for the
// common request a tablet's pull makes (`feed=normal`, no filter, ascending, no attachment
// bodies). PouchDB's LevelDB adapter answers it row by row: for every entry of its
// by-sequence store, one `get` of the document's metadata, each waiting for the last
// (about half of the server's time for a first sync's pages; README, Benchmarks). Here the
// entries come from one iterator and their metadata from one `getMany` per batch.
// Invariants, all PouchDB's own (storage.spec.ts compares every answer with PouchDB's):
//  - an entry whose document has a later sequence is skipped (the later one is its row);
//  - `last_seq` is the sequence of the last row given (the `since` asked when none);
//  - a row's document is the winning revision (read from its own entry when the entry is
//    not the winner), with `_conflicts` when asked and attachments as stubs;
//  - at most `limit` rows.
// Tied to pouchdb-adapter-leveldb 9.0.0's key layout and encodings (pinned, like
// `knownIds` in storage-level.ts).
import type { LevelDown } from 'leveldown';
import { collectConflicts, collectLeaves, isDeleted, winningRev } from 'pouchdb-merge';
import { safeJsonParse } from 'pouchdb-json';

const BY_SEQ = '\xffby-sequence\xff';
const DOC_STORE = '\xffdocument-store\xff';
/** Entries read per batch (one `getMany` of metadata each). */
const BATCH = 500;

const formatSeq = (n: number) => ('0000000000000000' + n).slice(-16);

export interface LevelChangesOptions {
	since: number;
	limit?: number;
	style: 'all_docs' | 'main_only';
	includeDocs: boolean;
	conflicts: boolean;
}

export interface LevelChangeRow {
	seq: number;
	id: string;
	changes: { rev: string }[];
	deleted?: boolean;
	doc?: Record<string, unknown>;
}

interface Metadata {
	id: string;
	seq: number;
	rev_tree: unknown;
	rev_map: Record<string, number>;
	winningRev?: string;
	deleted?: boolean;
}

type Doc = Record<string, unknown> & { _id: string; _rev: string };

function getMany(level: LevelDown, keys: string[]): Promise<Array<string | undefined>> {
	return new Promise((resolve, reject) => {
		level.getMany(keys, { asBuffer: false }, (err, values) =>
			err ? reject(err) : resolve(values)
		);
	});
}

/** The next `n` by-sequence entries after `after` (sequence order), as [seq, raw doc]. */
function entries(level: LevelDown, after: number, n: number): Promise<[number, string][]> {
	const it = level.iterator({
		gt: BY_SEQ + formatSeq(after),
		lt: BY_SEQ + '\xff',
		limit: n,
		keyAsBuffer: false,
		valueAsBuffer: false
	});
	const out: [number, string][] = [];
	return new Promise((resolve, reject) => {
		const step = () =>
			it.next((err, key, value) => {
				if (err) return it.end(() => reject(err));
				if (key === undefined) return it.end((e) => (e ? reject(e) : resolve(out)));
				out.push([parseInt(String(key).slice(BY_SEQ.length), 10), String(value)]);
				step();
			});
		step();
	});
}

export async function levelChanges(
	level: LevelDown,
	o: LevelChangesOptions
): Promise<{ results: LevelChangeRow[]; last_seq: number }> {
	const results: LevelChangeRow[] = [];
	const limit = o.limit && o.limit > 0 ? o.limit : Infinity;
	let lastSeq = o.since;
	let after = o.since;
	while (results.length < limit) {
		const want = Math.min(BATCH, limit - results.length);
		const batch = await entries(level, after, want);
		if (batch.length === 0) break;
		after = batch[batch.length - 1][0];
		const docs = batch.map(([, raw]) => JSON.parse(raw) as Doc);
		const metas = await getMany(
			level,
			docs.map((d) => DOC_STORE + d._id)
		);
		// Entries that are not their document's winning revision (a losing branch written
		// after the winner): the winner is read from its own entry.
		const rows: { seq: number; meta: Metadata; doc: Doc; winner: string }[] = [];
		const losers: number[] = [];
		batch.forEach(([seq], i) => {
			const raw = metas[i];
			if (raw === undefined) return;
			const meta = safeJsonParse(raw) as Metadata;
			if (meta.seq !== seq || meta.id.startsWith('_local/')) return;
			const winner = 'winningRev' in meta && meta.winningRev ? meta.winningRev : winningRev(meta);
			if (winner !== docs[i]._rev) losers.push(rows.length);
			rows.push({ seq, meta, doc: docs[i], winner });
		});
		if (losers.length) {
			const winners = await getMany(
				level,
				losers.map((r) => BY_SEQ + formatSeq(rows[r].meta.rev_map[rows[r].winner]))
			);
			losers.forEach((r, i) => {
				const raw = winners[i];
				if (raw !== undefined) rows[r].doc = JSON.parse(raw) as Doc;
			});
		}
		for (const { seq, meta, doc } of rows) {
			if (results.length >= limit) break;
			lastSeq = seq;
			const row: LevelChangeRow = {
				seq: meta.seq,
				id: meta.id,
				changes:
					o.style === 'all_docs'
						? collectLeaves(meta.rev_tree).map((l: { rev: string }) => ({ rev: l.rev }))
						: [{ rev: doc._rev }]
			};
			if (isDeleted(meta, doc._rev)) row.deleted = true;
			if (o.includeDocs) {
				if (o.conflicts) {
					const conflicts = collectConflicts(meta) as string[];
					if (conflicts.length) doc._conflicts = conflicts;
				}
				const atts = doc._attachments as Record<string, Record<string, unknown>> | undefined;
				if (atts) for (const name of Object.keys(atts)) atts[name].stub = true;
				row.doc = doc;
			}
			results.push(row);
		}
		if (batch.length < want) break;
	}
	return { results, last_seq: lastSeq };
}
