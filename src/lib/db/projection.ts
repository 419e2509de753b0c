// Projects a replicated document into the read model. Pure with respect to its inputs:
// the same document always yields the same rows, so replays are harmless.
import type { Table } from 'dexie';
import type { PouchDoc } from './pouch';
import type { DocRow, MarkRow, ReadModel } from './read-model';

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
		dayDocs: new Map<string, unknown>(),
		docs: new Map<string, unknown>()
	};
	const dels = {
		students: new Set<string>(),
		groups: new Set<string>(),
		marks: new Set<string>(),
		dayDocs: new Set<string>(),
		docs: new Set<string>()
	};
	// Marks go to their day's row (`markDays`), a day's events to theirs (`dayDocs`).
	type Dest = keyof typeof puts;
	const put = (t: Dest, key: string, row: unknown) => {
		dels[t].delete(key);
		puts[t].set(key, row);
	};
	const del = (t: Dest, key: string) => {
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
				del(`${prefix}s` as Dest, id);
			else {
				// A day event without its date (never valid) was kept in `docs`: look in both.
				if (DAY_ROW_TYPES.has(prefix)) del('dayDocs', doc._id);
				del('docs', doc._id);
			}
			continue;
		}
		switch (type) {
			case 'student':
			case 'group':
			case 'mark':
				put(`${type}s`, String(doc.id ?? id), strip(doc));
				break;
			default: {
				if (!type) break;
				const row = { ...strip(doc), _id: doc._id, type, kGroupDays: groupDayKeys(doc, type) };
				put(
					DAY_ROW_TYPES.has(type) && typeof doc.date === 'string' ? 'dayDocs' : 'docs',
					doc._id,
					row
				);
			}
		}
	}
	for (const t of ['students', 'groups', 'docs'] as const) {
		if (dels[t].size) await rm.table(t).bulkDelete([...dels[t]]);
		if (puts[t].size === 0) continue;
		const rows = opts.skipUnchanged ? await changedOnly(rm, t, puts[t]) : [...puts[t].values()];
		if (rows.length) await putRows(rm.table(t), rows);
	}
	await writeDays(
		rm.markDays as unknown as DayTable,
		'marks',
		[...puts.marks.values()].flatMap((m) => {
			const mark = m as MarkRow;
			// A mark without its group or day (never valid) could be found by no screen.
			if (typeof mark.groupId !== 'string' || typeof mark.date !== 'string') return [];
			return [{ groupId: mark.groupId, date: mark.date, id: mark.id, item: mark }];
		}),
		dels.marks
	);
	await writeDays(
		rm.dayDocs as unknown as DayTable,
		'docs',
		[...puts.dayDocs.values()].flatMap((d) => {
			const row = d as DocRow;
			// In the row of every group the event concerns, on its day.
			return row.kGroupDays.map((key) => {
				const bar = key.lastIndexOf('|');
				return { groupId: key.slice(0, bar), date: key.slice(bar + 1), id: row._id, item: row };
			});
		}),
		dels.dayDocs
	);
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

/** What `writeDays` merges: an item (a mark, a day event) and the group-day row it joins. */
interface DayItem {
	groupId: string;
	date: string;
	id: string;
	item: MarkRow | DocRow;
}

type DayRow = { groupId: string; date: string } & Record<string, unknown>;
type DayTable = Table<DayRow, [string, string]>;

/**
 * Merges items into their group-day rows (`markDays`' `marks`, `dayDocs`' `docs`), oldest
 * id first, and removes deleted ones. Items are events, never edited, moved or deleted
 * (MarkDayRow, DayDocsRow).
 */
async function writeDays(
	table: DayTable,
	field: 'marks' | 'docs',
	items: DayItem[],
	deleted: Set<string>
) {
	const idOf = (x: unknown) =>
		String((x as { id?: unknown; _id?: unknown })[field === 'marks' ? 'id' : '_id']);
	if (deleted.size) {
		// Never happens in practice, so a deleted item, which names no day, is looked for
		// in every row.
		const days = await table
			.filter((d) => (d[field] as unknown[]).some((x) => deleted.has(idOf(x))))
			.toArray();
		for (const d of days) d[field] = (d[field] as unknown[]).filter((x) => !deleted.has(idOf(x)));
		if (days.length) await putRows(table, days);
	}
	const byDay = new Map<string, DayItem[]>();
	for (const it of items) {
		const key = JSON.stringify([it.groupId, it.date]);
		const list = byDay.get(key);
		if (list) list.push(it);
		else byDay.set(key, [it]);
	}
	if (byDay.size === 0) return;
	const keys = [...byDay.keys()].map((k) => JSON.parse(k) as [string, string]);
	const existing = await table.bulkGet(keys);
	const rows: DayRow[] = keys.flatMap(([groupId, date], i) => {
		const held = (existing[i]?.[field] ?? []) as unknown[];
		const merged = new Map(held.map((x) => [idOf(x), x]));
		let changed = !existing[i];
		for (const it of byDay.get(JSON.stringify([groupId, date])) ?? []) {
			changed ||= !same(merged.get(it.id), it.item);
			merged.set(it.id, it.item);
		}
		// A replay of items already in their row (the projector following the replica after
		// the app's own write) writes nothing, so the screens reading the row are not woken
		// a second time for the same tap.
		if (!changed) return [];
		const list = [...merged.entries()]
			.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
			.map(([, x]) => x);
		return [{ groupId, date, [field]: list }];
	});
	if (rows.length) await putRows(table, rows);
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

/**
 * The day events a session's screen reads a day at a time, many per day: kept in their
 * group-day rows (`dayDocs`), not as rows of `docs`. Incidents stay in `docs`: few, and
 * their list reads every day's.
 */
const DAY_ROW_TYPES: ReadonlySet<string> = new Set(['arrival', 'handover', 'release', 'care-log']);

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
