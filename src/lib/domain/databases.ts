// Where every document lives (DESIGN.md decision 3): read isolation is by database,
// so this one module names the databases and routes each document type to one. The
// app and the sync-server both use it; nothing else may invent a database name.
import type { Role } from './reference.schema';

export type DatabaseKind = 'school' | 'group' | 'admin' | 'supervision';

export interface DatabaseRef {
	kind: DatabaseKind;
	schoolId: string;
	/** Only for `group`. */
	groupId?: string;
}

const PREFIX = 'kh-';
const SLUG = '[a-z0-9][a-z0-9-]*';
const SCHOOL_LEVEL = new RegExp(`^${PREFIX}(${SLUG}?)--(school|admin|supervision)$`);
const GROUP_LEVEL = new RegExp(`^${PREFIX}(${SLUG}?)--g--(${SLUG})$`);

/** Database name for a ref; `--` separates parts because slugs may contain `-`. */
export function dbName(ref: DatabaseRef): string {
	if (ref.kind === 'group') {
		if (!ref.groupId) throw new Error('a group database needs a groupId');
		return `${PREFIX}${ref.schoolId}--g--${ref.groupId}`;
	}
	return `${PREFIX}${ref.schoolId}--${ref.kind}`;
}

export const schoolDb = (schoolId: string) => dbName({ kind: 'school', schoolId });
export const groupDb = (schoolId: string, groupId: string) =>
	dbName({ kind: 'group', schoolId, groupId });

/** Parses an app database name; `null` for any other name (a plain CouchDB database). */
export function parseDbName(name: string): DatabaseRef | null {
	const g = GROUP_LEVEL.exec(name);
	if (g) return { kind: 'group', schoolId: g[1], groupId: g[2] };
	const s = SCHOOL_LEVEL.exec(name);
	if (s) return { kind: s[2] as DatabaseKind, schoolId: s[1] };
	return null;
}

/** The minimal document facts routing needs. */
interface Routable {
	type: string;
	groupId?: string;
}

/** The database a document of this type belongs in, or `null` for an unknown type. */
export function homeDb(schoolId: string, doc: Routable): string | null {
	switch (doc.type) {
		case 'school':
		case 'staff':
		case 'group':
			return schoolDb(schoolId);
		case 'student':
		case 'mark':
			return doc.groupId ? groupDb(schoolId, doc.groupId) : null;
		default:
			return null;
	}
}

/** A signed-in user as access rules see them. */
export interface Principal {
	name: string;
	schoolId: string;
	roles: readonly Role[];
	/** Groups (service classes and clubs) this user teaches. */
	groups: readonly string[];
}

const SCHOOL_WIDE: readonly Role[] = ['working-group', 'supervisor', 'leadership', 'server-admin'];
const OFFICE: readonly Role[] = ['working-group', 'server-admin'];

const hasAny = (p: Principal, roles: readonly Role[]) => p.roles.some((r) => roles.includes(r));

/** May this user replicate from (read) this database? */
export function canRead(p: Principal, ref: DatabaseRef): boolean {
	if (p.roles.includes('server-admin')) return true;
	if (ref.schoolId !== p.schoolId) return false;
	switch (ref.kind) {
		case 'school':
			return p.roles.length > 0;
		case 'group':
			return hasAny(p, SCHOOL_WIDE) || p.groups.includes(ref.groupId ?? '');
		case 'admin':
			return hasAny(p, ['working-group', 'leadership']);
		case 'supervision':
			return hasAny(p, ['supervisor', 'leadership', 'working-group']);
	}
}

/** May this user write a document of this type into this database? */
export function canWrite(p: Principal, ref: DatabaseRef, docType: string): boolean {
	if (!canRead(p, ref)) return false;
	const office = hasAny(p, OFFICE);
	switch (docType) {
		case 'mark':
			return ref.kind === 'group' && (office || p.groups.includes(ref.groupId ?? ''));
		case 'school':
		case 'staff':
		case 'group':
		case 'student':
			return office;
		default:
			return false;
	}
}
