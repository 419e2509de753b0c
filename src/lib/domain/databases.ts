// Where every document lives (DESIGN.md decision 3): read isolation is by database,
// so this one module names the databases, routes each document type to its home (and,
// for events that concern two sides, to the mirrors the server copies it into), and says
// who may read and write what. The app and the sync-server both use it; nothing else may
// invent a database name. The table of types is in README.md beside this file.
import type { Role } from './reference.schema';

export type DatabaseKind = 'school' | 'group' | 'class' | 'admin' | 'supervision' | 'gate';

export interface DatabaseRef {
	kind: DatabaseKind;
	schoolId: string;
	/** Only for `group`. */
	groupId?: string;
	/** Only for `class` (a 行政班's applications, reviews and leave notices). */
	classId?: string;
}

const PREFIX = 'kh-';
const SLUG = '[a-z0-9][a-z0-9-]*';
const SCHOOL_LEVEL = new RegExp(`^${PREFIX}(${SLUG}?)--(school|admin|supervision|gate)$`);
const GROUP_LEVEL = new RegExp(`^${PREFIX}(${SLUG}?)--g--(${SLUG})$`);
const CLASS_LEVEL = new RegExp(`^${PREFIX}(${SLUG}?)--c--(${SLUG})$`);

/** Database name for a ref; `--` separates parts because slugs may contain `-`. */
export function dbName(ref: DatabaseRef): string {
	if (ref.kind === 'group') {
		if (!ref.groupId) throw new Error('a group database needs a groupId');
		return `${PREFIX}${ref.schoolId}--g--${ref.groupId}`;
	}
	if (ref.kind === 'class') {
		if (!ref.classId) throw new Error('a class database needs a classId');
		return `${PREFIX}${ref.schoolId}--c--${ref.classId}`;
	}
	return `${PREFIX}${ref.schoolId}--${ref.kind}`;
}

export const schoolDb = (schoolId: string) => dbName({ kind: 'school', schoolId });
export const groupDb = (schoolId: string, groupId: string) =>
	dbName({ kind: 'group', schoolId, groupId });
export const classDb = (schoolId: string, classId: string) =>
	dbName({ kind: 'class', schoolId, classId });
export const adminDb = (schoolId: string) => dbName({ kind: 'admin', schoolId });
export const supervisionDb = (schoolId: string) => dbName({ kind: 'supervision', schoolId });
export const gateDb = (schoolId: string) => dbName({ kind: 'gate', schoolId });

/** Parses an app database name; `null` for any other name (a plain CouchDB database). */
export function parseDbName(name: string): DatabaseRef | null {
	const g = GROUP_LEVEL.exec(name);
	if (g) return { kind: 'group', schoolId: g[1], groupId: g[2] };
	const c = CLASS_LEVEL.exec(name);
	if (c) return { kind: 'class', schoolId: c[1], classId: c[2] };
	const s = SCHOOL_LEVEL.exec(name);
	if (s) return { kind: s[2] as DatabaseKind, schoolId: s[1] };
	return null;
}

/** The minimal document facts routing needs. */
export interface Routable {
	type: string;
	groupId?: string;
	adminClassId?: string;
	groupIds?: readonly string[];
	place?: string;
	to?: { kind: string; groupId?: string };
	fromGroupId?: string;
}

/** Where each type lives: the database kind, and for group/class the field naming it. */
const HOME: Record<string, 'school' | 'group' | 'class' | 'admin' | 'supervision' | 'gate'> = {
	school: 'school',
	term: 'school',
	staff: 'school',
	'admin-class': 'school',
	group: 'school',
	venue: 'school',
	slot: 'school',
	student: 'group',
	pickup: 'group',
	enrollment: 'group',
	mark: 'group',
	arrival: 'group',
	handover: 'group',
	'care-log': 'group',
	'activity-record': 'group',
	incident: 'group',
	release: 'group',
	'gate-registration': 'gate',
	application: 'class',
	'class-review': 'class',
	'school-review': 'class',
	placement: 'class',
	leave: 'class',
	'student-record': 'admin',
	guardian: 'admin',
	agreement: 'admin',
	'fee-rule': 'admin',
	waiver: 'admin',
	survey: 'admin',
	'survey-response': 'admin',
	patrol: 'supervision',
	evaluation: 'supervision'
};

/** Every type this module routes; documents.ts checks it matches the schema registry. */
export const ROUTED_TYPES: readonly string[] = Object.keys(HOME);

/**
 * The database a document of this type belongs in (where its writer writes it), or
 * `null` for an unknown type or a document missing the field that names its database.
 */
export function homeDb(schoolId: string, doc: Routable): string | null {
	if (!Object.hasOwn(HOME, doc.type)) return null;
	// A release at the gate is the guard's: it is written where the guard works.
	if (doc.type === 'release' && doc.place === 'gate') return gateDb(schoolId);
	const kind = HOME[doc.type];
	switch (kind) {
		case 'group':
			return doc.groupId ? groupDb(schoolId, doc.groupId) : null;
		case 'class':
			return doc.adminClassId ? classDb(schoolId, doc.adminClassId) : null;
		default:
			return dbName({ kind, schoolId });
	}
}

/**
 * The other databases an event concerning two sides must reach, where the sync-server
 * copies the identical revision once it has accepted the document at home. Events never
 * change, so the copies can never diverge. Empty for everything else.
 */
export function mirrorDbs(schoolId: string, doc: Routable): string[] {
	const out: string[] = [];
	switch (doc.type) {
		case 'handover':
			if (doc.to?.kind === 'gate') out.push(gateDb(schoolId));
			else if (doc.to?.kind === 'group' && doc.to.groupId) {
				out.push(groupDb(schoolId, doc.to.groupId));
			}
			break;
		case 'arrival':
			if (doc.fromGroupId) out.push(groupDb(schoolId, doc.fromGroupId));
			break;
		case 'release':
			if (doc.place === 'gate' && doc.groupId) out.push(groupDb(schoolId, doc.groupId));
			break;
		case 'leave':
			for (const g of doc.groupIds ?? []) out.push(groupDb(schoolId, g));
			break;
	}
	return [...new Set(out)];
}

/** Home first, then mirrors: every database that must hold this document. */
export function homeDbs(schoolId: string, doc: Routable): string[] {
	const home = homeDb(schoolId, doc);
	return home ? [home, ...mirrorDbs(schoolId, doc).filter((d) => d !== home)] : [];
}

/** A signed-in user as access rules see them. */
export interface Principal {
	name: string;
	schoolId: string;
	roles: readonly Role[];
	/** Groups (service classes and clubs) this user teaches. */
	groups: readonly string[];
	/** 行政班 this user heads as 班主任; gives their class database. */
	classes?: readonly string[];
}

/** Roles that read every group of their school (the office, supervisors, leadership). */
export const SCHOOL_WIDE_ROLES: readonly Role[] = [
	'working-group',
	'supervisor',
	'leadership',
	'server-admin'
];
const SCHOOL_WIDE = SCHOOL_WIDE_ROLES;
const OFFICE: readonly Role[] = ['working-group', 'server-admin'];

const hasAny = (p: Principal, roles: readonly Role[]) => p.roles.some((r) => roles.includes(r));
const headsClass = (p: Principal, ref: DatabaseRef) =>
	p.roles.includes('head-teacher') && (p.classes ?? []).includes(ref.classId ?? '');

/** May this user replicate from (read) this database? */
export function canRead(p: Principal, ref: DatabaseRef): boolean {
	if (p.roles.includes('server-admin')) return true;
	if (ref.schoolId !== p.schoolId) return false;
	switch (ref.kind) {
		case 'school':
			return p.roles.length > 0;
		case 'group':
			return hasAny(p, SCHOOL_WIDE) || p.groups.includes(ref.groupId ?? '');
		case 'class':
			return hasAny(p, ['working-group', 'leadership']) || headsClass(p, ref);
		case 'admin':
			return hasAny(p, ['working-group', 'leadership']);
		case 'supervision':
			return hasAny(p, ['supervisor', 'leadership', 'working-group']);
		case 'gate':
			return hasAny(p, ['gate', 'working-group', 'supervisor', 'leadership']);
	}
}

/** Types the office (working group) maintains, wherever they live. */
const OFFICE_TYPES = new Set([
	'school',
	'term',
	'staff',
	'admin-class',
	'group',
	'venue',
	'slot',
	'student',
	'pickup',
	'enrollment',
	'school-review',
	'placement',
	'student-record',
	'guardian',
	'agreement',
	'fee-rule',
	'waiver',
	'survey',
	'survey-response'
]);

/** What a teacher records about their own group's sessions. */
const SESSION_TYPES = new Set([
	'mark',
	'arrival',
	'handover',
	'care-log',
	'activity-record',
	'incident',
	'release'
]);

/**
 * May this user write a document of this type into this database (its home)? Mirrors are
 * written by the server, not by users. Callers also check `homeDb` names this database.
 */
export function canWrite(p: Principal, ref: DatabaseRef, docType: string): boolean {
	if (!canRead(p, ref)) return false;
	const office = hasAny(p, OFFICE);
	if (OFFICE_TYPES.has(docType)) return office;
	if (SESSION_TYPES.has(docType) && ref.kind === 'group') {
		return office || p.groups.includes(ref.groupId ?? '');
	}
	switch (docType) {
		case 'release':
		case 'gate-registration':
			return ref.kind === 'gate' && (office || p.roles.includes('gate'));
		case 'application':
		case 'leave':
			return ref.kind === 'class' && (office || headsClass(p, ref));
		case 'class-review':
			// The head teacher's step; the office cannot review in their stead.
			return ref.kind === 'class' && headsClass(p, ref);
		case 'patrol':
			return ref.kind === 'supervision' && p.roles.includes('supervisor');
		case 'evaluation':
			return ref.kind === 'supervision' && hasAny(p, ['supervisor', 'leadership']);
		default:
			return false;
	}
}
