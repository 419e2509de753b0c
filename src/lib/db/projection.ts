// Projects a replicated document into the read model. Pure with respect to its inputs:
// the same document always yields the same rows, so replays are harmless.
import type { Table } from 'dexie';
import type { PouchDoc } from './pouch';
import type { MarkDayRow, MarkRow, ReadModel } from './read-model';

const strip = (doc: PouchDoc) => {
	const row: Record<string, unknown> = {};
	for (const [k, v] of Object.entries(doc)) {
		if (k === '_rev' || k === '_revisions' || k === '_conflicts' || k === '_attachments') continue;
		row[k] = v;
	}
	return row;
};

/**
 * Call inside a read-model transaction covering the derived tables. Docs come from a
 * changes feed read with `conflicts: true`, so `_conflicts` lists the losing revisions.
 * A page is written with one bulk operation per table (a first sync projects thousands
 * of documents; row-by-row awaits cost several times more). Later docs of the same id
 * win, as the feed's order says.
 */
export async function projectDocs(
	rm: ReadModel,
	docs: readonly PouchDoc[],
	db = '',
	opts: { skipUnchanged?: boolean } = {}
): Promise<void> {
	const puts = {
		students: new Map<string, unknown>(),
		groups: new Map<string, unknown>(),
		marks: new Map<string, unknown>(),
		docs: new Map<string, unknown>()
	};
	const dels = {
		students: new Set<string>(),
		groups: new Set<string>(),
		marks: new Set<string>(),
		docs: new Set<string>()
	};
	// Marks go to their day's row (`markDays`), not a table of their own.
	type Table = keyof typeof puts;
	const put = (t: Table, key: string, row: unknown) => {
		dels[t].delete(key);
		puts[t].set(key, row);
	};
	const del = (t: Table, key: string) => {
		puts[t].delete(key);
		dels[t].add(key);
	};
	const conflicted = new Map<string, unknown>();
	const clean = new Set<string>();
	for (const doc of docs) {
		const type = typeof doc.type === 'string' ? doc.type : undefined;
		const [prefix, id] = splitId(doc._id);
		const losers = Array.isArray(doc._conflicts) ? (doc._conflicts as string[]) : [];
		if (losers.length > 0 && db) {
			clean.delete(doc._id);
			conflicted.set(doc._id, {
				docId: doc._id,
				db,
				type: type ?? prefix,
				winner: doc._rev ?? '',
				losers
			});
		} else {
			conflicted.delete(doc._id);
			clean.add(doc._id);
		}
		if (doc._deleted) {
			if (prefix === 'student' || prefix === 'group' || prefix === 'mark')
				del(`${prefix}s` as Table, id);
			else del('docs', doc._id);
			continue;
		}
		switch (type) {
			case 'student':
			case 'group':
			case 'mark':
				put(`${type}s`, String(doc.id ?? id), strip(doc));
				break;
			default:
				if (type)
					put('docs', doc._id, {
						...strip(doc),
						_id: doc._id,
						type,
						kGroupDays: groupDayKeys(doc, type)
					});
		}
	}
	for (const t of ['students', 'groups', 'docs'] as const) {
		if (dels[t].size) await rm.table(t).bulkDelete([...dels[t]]);
		if (puts[t].size === 0) continue;
		const rows = opts.skipUnchanged ? await changedOnly(rm, t, puts[t]) : [...puts[t].values()];
		if (rows.length) await putRows(rm.table(t), rows);
	}
	await writeMarks(rm, [...puts.marks.values()] as MarkRow[], dels.marks);
	// Only rows that exist need deleting: most documents never had a conflict.
	if (clean.size) {
		const stale = await rm.conflicts
			.where('docId')
			.anyOf([...clean])
			.primaryKeys();
		if (stale.length) await rm.conflicts.bulkDelete(stale);
	}
	if (conflicted.size) await rm.conflicts.bulkPut([...conflicted.values()] as never);
}

/**
 * Dexie tells live queries which keys a write touched only for `bulkPut`s of fewer than 50
 * rows; a larger one counts as a change to the whole table and index (dexie 4.4,
 * observability middleware), so every screen reading the table re-read it after every
 * page of an initial pull. In slices, a page of last month's records wakes none of the
 * screens showing today.
 */
const TRACKED_PUT = 49;

async function putRows(table: Table, rows: unknown[]): Promise<void> {
	for (let i = 0; i < rows.length; i += TRACKED_PUT) {
		await table.bulkPut(rows.slice(i, i + TRACKED_PUT));
	}
}

/** Merges marks into their days' rows (and removes deleted ones). */
async function writeMarks(rm: ReadModel, marks: MarkRow[], deleted: Set<string>) {
	if (deleted.size) {
		// Never happens in practice (marks are never deleted, see MarkDayRow), so a deleted
		// mark, which names no day, is looked for in every row.
		const days = await rm.markDays.filter((d) => d.marks.some((m) => deleted.has(m.id))).toArray();
		for (const d of days) d.marks = d.marks.filter((m) => !deleted.has(m.id));
		if (days.length) await putRows(rm.markDays, days);
	}
	const byDay = new Map<string, MarkRow[]>();
	for (const m of marks) {
		// A mark without its group or day (never valid) could be found by no screen.
		if (typeof m.groupId !== 'string' || typeof m.date !== 'string') continue;
		const key = JSON.stringify([m.groupId, m.date]);
		const list = byDay.get(key);
		if (list) list.push(m);
		else byDay.set(key, [m]);
	}
	if (byDay.size === 0) return;
	const keys = [...byDay.keys()].map((k) => JSON.parse(k) as [string, string]);
	const existing = await rm.markDays.bulkGet(keys);
	const rows: MarkDayRow[] = keys.flatMap(([groupId, date], i) => {
		const merged = new Map((existing[i]?.marks ?? []).map((m) => [m.id, m]));
		let changed = !existing[i];
		for (const m of byDay.get(JSON.stringify([groupId, date])) ?? []) {
			changed ||= !same(merged.get(m.id), m);
			merged.set(m.id, m);
		}
		// A replay of marks already in their row (the projector following the replica after
		// the app's own write) writes nothing, so the screens reading the row are not woken
		// a second time for the same tap.
		if (!changed) return [];
		const list = [...merged.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
		return [{ groupId, date, marks: list }];
	});
	if (rows.length) await putRows(rm.markDays, rows);
}

/** Deep equality of JSON values, whatever the order of keys (stored rows may differ). */
function same(a: unknown, b: unknown): boolean {
	if (a === b) return true;
	if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
	if (Array.isArray(a) !== Array.isArray(b)) return false;
	const ka = Object.keys(a);
	const kb = Object.keys(b);
	if (ka.length !== kb.length) return false;
	const ra = a as Record<string, unknown>;
	const rb = b as Record<string, unknown>;
	return ka.every((k) => Object.hasOwn(rb, k) && same(ra[k], rb[k]));
}

/**
 * The rows that differ from what the table holds: the projector replays documents the app
 * has just projected itself (`LocalStore.write`), and an unchanged row written again
 * wakes every live query reading it.
 */
async function changedOnly(
	rm: ReadModel,
	t: 'students' | 'groups' | 'docs',
	rows: Map<string, unknown>
): Promise<unknown[]> {
	const keys = [...rows.keys()];
	const stored = await rm.table(t).bulkGet(keys);
	return keys.flatMap((k, i) => (same(stored[i], rows.get(k)) ? [] : [rows.get(k)]));
}

/** The events of one day, found by `<groupId>|<date>`; all else is `<groupId>|`. */
const DAY_EVENTS: ReadonlySet<string> = new Set([
	'arrival',
	'handover',
	'release',
	'care-log',
	'incident'
]);

/** The `*kGroupDays` keys of a document: each group it concerns, with its day or none. */
function groupDayKeys(doc: PouchDoc, type: string): string[] {
	const day = DAY_EVENTS.has(type) && typeof doc.date === 'string' ? doc.date : '';
	return groupsOf(doc).map((g) => `${g}|${day}`);
}

/** Every group a document concerns. */
function groupsOf(doc: PouchDoc): string[] {
	const out = new Set<string>();
	const add = (v: unknown) => {
		if (typeof v === 'string' && v) out.add(v);
	};
	add(doc.groupId);
	add(doc.fromGroupId);
	const to = doc.to as { groupId?: unknown } | undefined;
	if (to && typeof to === 'object') add(to.groupId);
	if (Array.isArray(doc.groupIds)) doc.groupIds.forEach(add);
	return [...out];
}

function splitId(docId: string): [string, string] {
	const i = docId.indexOf(':');
	return i < 0 ? ['', docId] : [docId.slice(0, i), docId.slice(i + 1)];
}
