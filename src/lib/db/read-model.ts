// The Dexie read model (DESIGN.md decision 1): tables the screens query, derived from
// the PouchDB replicas and rebuildable from them at any time, plus device-only state
// (the `device` table) that is never replicated.
import Dexie, { type Table, type Transaction } from 'dexie';
import type { Group, Mark, Student } from '../domain';

export type StudentRow = Omit<Student, '_rev' | '_revisions' | '_conflicts' | '_attachments'>;
export type GroupRow = Omit<Group, '_rev' | '_revisions' | '_conflicts' | '_attachments'>;
export type MarkRow = Omit<Mark, '_rev' | '_revisions' | '_conflicts' | '_attachments'>;

/**
 * The marks of one group on one day, in one row (oldest id first): the roll screen reads
 * exactly this, and a first sync writes ~180 rows for a term instead of ~9,000 (README,
 * Benchmarks). Relies on marks being events: written once, never edited or deleted (the
 * server refuses both), so a mark never moves to another day or group.
 */
export interface MarkDayRow {
	groupId: string;
	date: string;
	marks: MarkRow[];
}

/**
 * The day events of one group on one day that a session's screen reads (arrivals,
 * handovers, releases, care logs: `DAY_ROW_TYPES`, projection.ts), in one row, oldest id
 * first; a handover is in the rows of both groups it concerns. Like `MarkDayRow`, a term
 * is ~180 rows instead of thousands with their index entries (README, Benchmarks), and
 * relies on events never being edited or deleted.
 */
export interface DayDocsRow {
	groupId: string;
	date: string;
	docs: DocRow[];
}

/**
 * Any other replicated document (term, slots, pickups, enrollments, leave notices,
 * incidents, …), kept whole. `kGroupDays` has one `<groupId>|<day>` key for
 * every group the document concerns (its own, a handover's receiver, an arrival's sender,
 * a leave notice's groups), so that a group's screen finds what was mirrored into it from
 * elsewhere; `<day>` is the date of a day's event (arrival, handover, release, care log,
 * incident) and empty for everything else (`groupDayKeys`, projection.ts). A session
 * reads its day and the undated rest, not a term of releases.
 */
export interface DocRow {
	_id: string;
	type: string;
	groupId?: string;
	date?: string;
	kGroupDays: string[];
	[field: string]: unknown;
}

/** A document written on this device that the server has not yet confirmed. */
export interface OutboxRow {
	docId: string;
	db: string;
	rev: string;
	type: string;
	writtenAt: string;
}

/** A mutable document with concurrent edits that an administrator must resolve. */
export interface ConflictRow {
	docId: string;
	db: string;
	type: string;
	/** The revision every replica shows now (deterministic: CouchDB's winner rule). */
	winner: string;
	losers: string[];
}

export interface CursorRow {
	db: string;
	seq: number | string;
}

export interface DeviceRow {
	key: string;
	value: unknown;
}

export class ReadModel extends Dexie {
	students!: Table<StudentRow, string>;
	groups!: Table<GroupRow, string>;
	markDays!: Table<MarkDayRow, [string, string]>;
	dayDocs!: Table<DayDocsRow, [string, string]>;
	outbox!: Table<OutboxRow, string>;
	cursors!: Table<CursorRow, string>;
	conflicts!: Table<ConflictRow, string>;
	docs!: Table<DocRow, string>;
	device!: Table<DeviceRow, string>;

	constructor(name = 'kehou-read-model') {
		super(name);
		this.version(1).stores({
			students: 'id, groupId',
			groups: 'id',
			marks: 'id, [groupId+date], studentId',
			outbox: 'docId, db',
			cursors: 'db',
			device: 'key'
		});
		// v2: conflicts of mutable documents, for the administrator's list.
		this.version(2).stores({ conflicts: 'docId, db' });
		// v3: every other document type, for the afternoon's screens.
		this.version(3).stores({ docs: '_id, type, [type+groupId], date, *kGroups' });
		// v4: marks in one row per group and day, and only the indexes a screen queries (none
		// reads documents by date alone). Each row and index entry is one more IndexedDB record,
		// and a first sync writes a term: the read model's share of it fell about threefold
		// (README, Benchmarks). The derived tables are emptied, so the projector rebuilds them
		// from the replicas; an initial pull cut short cannot resume into the emptied tables.
		this.version(4)
			.stores({
				marks: null,
				markDays: '[groupId+date]',
				docs: '_id, type, [type+groupId], *kGroups'
			})
			.upgrade(rebuildDerived);
		// v5: documents by group and day (`kGroupDays` instead of `kGroups`): a session's
		// screen, re-read on every tap, read every document of its group — a term's releases.
		this.version(5)
			.stores({ docs: '_id, type, [type+groupId], *kGroupDays' })
			.upgrade(rebuildDerived);
		// v6: a day's arrivals, handovers, releases and care logs in one row per group and day
		// (`dayDocs`): as rows of `docs` with four index entries each they were a third of a
		// first sync's read model.
		this.version(6).stores({ dayDocs: '[groupId+date]' }).upgrade(rebuildDerived);
	}
}

/**
 * An upgrade that changes what derived rows hold: the derived tables are emptied and the
 * projector rebuilds them from the replicas; an initial pull cut short cannot resume into
 * the emptied tables, so it is forgotten (ordinary replication takes over).
 */
async function rebuildDerived(tx: Transaction): Promise<void> {
	// An upgrade from an older version runs each step's function in turn: a table a later
	// version adds is not there yet.
	const present = tx.idbtrans.db.objectStoreNames;
	for (const t of DERIVED_TABLES) if (present.contains(t)) await tx.table(t).clear();
	const loading = await tx
		.table('device')
		.where('key')
		.startsWith('initialPull:')
		.filter((r: DeviceRow) => (r.value as { state?: string } | null)?.state === 'loading')
		.primaryKeys();
	await tx.table('device').bulkDelete(loading);
}

/** Tables derived from replicas: cleared on rebuild; `device` and `outbox` are not. */
export const DERIVED_TABLES = [
	'students',
	'groups',
	'markDays',
	'dayDocs',
	'docs',
	'conflicts',
	'cursors'
] as const;

export const readModel = new ReadModel();
