// The Dexie read model (DESIGN.md decision 1): tables the screens query, derived from
// the PouchDB replicas and rebuildable from them at any time, plus device-only state
// (the `device` table) that is never replicated.
import Dexie, { type Table } from 'dexie';
import type { Group, Mark, Student } from '../domain';

export type StudentRow = Omit<Student, '_rev' | '_revisions' | '_conflicts' | '_attachments'>;
export type GroupRow = Omit<Group, '_rev' | '_revisions' | '_conflicts' | '_attachments'>;
export type MarkRow = Omit<Mark, '_rev' | '_revisions' | '_conflicts' | '_attachments'>;

/**
 * Any other replicated document (term, slots, pickups, enrollments, arrivals, handovers,
 * releases, care logs, …), kept whole. `kGroups` lists every group the document concerns
 * (its own, a handover's receiver, an arrival's sender, a leave notice's groups), so that
 * a group's screen finds what was mirrored into it from elsewhere.
 */
export interface DocRow {
	_id: string;
	type: string;
	groupId?: string;
	date?: string;
	kGroups: string[];
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
	marks!: Table<MarkRow, string>;
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
		// v4: only the indexes a screen queries (none reads marks by child or documents by date
		// alone). Each index is one more IndexedDB entry per row, and a first sync writes
		// ~10,000 rows: the read model's share of it fell by ~15-25 % (README, Benchmarks).
		this.version(4).stores({
			marks: 'id, [groupId+date]',
			docs: '_id, type, [type+groupId], *kGroups'
		});
	}
}

/** Tables derived from replicas: cleared on rebuild; `device` and `outbox` are not. */
export const DERIVED_TABLES = [
	'students',
	'groups',
	'marks',
	'docs',
	'conflicts',
	'cursors'
] as const;

export const readModel = new ReadModel();
