// Access control and the gate every incoming document passes (DESIGN.md decisions 3 and
// 4): who may read a database, and whether one written document may be stored there.
// Invariants: an app database only ever holds documents that pass the shared schemas, sit
// in the database `homeDb` names, and were written by a user `canWrite` allows — or are the
// server's copy of such a document in a database `mirrorDbs` names (mirrors.ts), which a
// user can only replay, never write; an event is stored once, by its author, and never
// changed or deleted afterwards.
import {
	EVENT_TYPES,
	canRead,
	canWrite,
	homeDb,
	mirrorDbs,
	parseDbName,
	schoolDb,
	validateDoc,
	type DatabaseRef
} from '../src/lib/domain/index';
import { forbidden, unauthorized } from './http-util';
import type { Doc, PouchDatabase } from './storage';
import type { User } from './users';

export const isServerAdmin = (u: User | null) => !!u?.roles.includes('server-admin');

export interface DbAccess {
	name: string;
	/** `null` for a plain CouchDB database (server admins only). */
	ref: DatabaseRef | null;
	user: User;
}

/** May this caller read `name`? Throws 401 (anonymous) or 403 (no right). */
export function checkRead(user: User | null, name: string, authError?: string): DbAccess {
	if (!user) throw unauthorized(authError ?? 'You are not authorized to access this db.');
	const ref = parseDbName(name);
	if (ref ? canRead(user, ref) : isServerAdmin(user)) return { name, ref, user };
	throw forbidden(ref ? 'You are not allowed to access this db.' : 'You are not a server admin.');
}

export type Verdict = { ok: true } | { ok: false; error: string; reason: string };

const REV = /^[1-9]\d*-[0-9a-f]+$/;
const deny = (reason: string): Verdict => ({ ok: false, error: 'forbidden', reason });
const bad = (reason: string): Verdict => ({ ok: false, error: 'bad_request', reason });

/** The type of a stored document, from any of its leaf revisions (deleted or not). */
async function storedType(db: PouchDatabase, id: string): Promise<string | null | undefined> {
	const leaves = (await db.get(id, { open_revs: 'all' }).catch(() => [])) as unknown as Array<{
		ok?: Doc;
	}>;
	if (!Array.isArray(leaves) || leaves.length === 0) return undefined;
	for (const leaf of leaves) {
		if (typeof leaf.ok?.type === 'string') return leaf.ok.type;
	}
	return null;
}

/** Is this exact revision already stored (a replication replay)? */
async function isKnownRevision(db: PouchDatabase, id: string, rev: string): Promise<boolean> {
	const diff = await db.revsDiff({ [id]: [rev] });
	return !diff[id]?.missing.includes(rev);
}

/**
 * Judges one incoming document. `newEdits: false` is replication (the revision comes with
 * the document); `true` is an ordinary edit that will make a new revision. `dbOf` opens
 * another database of the store: the school's directory, to check that the groups a
 * cross-group event names exist before the server copies it there.
 */
export async function judgeWrite(
	access: DbAccess,
	db: PouchDatabase,
	input: unknown,
	newEdits: boolean,
	dbOf?: (name: string) => PouchDatabase
): Promise<Verdict> {
	if (typeof input !== 'object' || input === null || Array.isArray(input)) {
		return bad('Document must be a JSON object');
	}
	const doc = input as Doc;
	const id = doc._id;
	if (id !== undefined && typeof id !== 'string') return bad('Document id must be a string.');
	if (id?.startsWith('_design/')) {
		return deny('Design documents are refused: this server runs no code from documents.');
	}
	if (id?.startsWith('_local/')) return deny('Write local documents through /{db}/_local/{id}.');
	if (id?.startsWith('_')) return bad('Only reserved document ids may start with underscore.');
	if (!newEdits && (typeof doc._rev !== 'string' || !REV.test(doc._rev))) {
		return bad('Invalid rev format');
	}
	// Plain CouchDB databases belong to server admins, who may store any JSON there.
	if (!access.ref) return { ok: true };
	if (!id) return deny('Documents in this database need an _id.');

	const { ref, user, name } = access;
	if (doc._deleted === true) return judgeDelete(access, db, doc, id, newEdits);

	const valid = validateDoc(doc);
	if (!valid.ok) return deny(valid.reason);
	const type = valid.doc.type;
	const home = homeDb(ref.schoolId, valid.doc);
	if (home !== name) {
		// A device re-pushing the copy it pulled from here: a replay, nothing new.
		if (mirrorDbs(ref.schoolId, valid.doc).includes(name)) {
			if (!newEdits && (await isKnownRevision(db, id, doc._rev!))) return { ok: true };
			return deny(
				`A ${type} document is written in ${home ?? 'no database'}; ${name} holds only the server's copy of it.`
			);
		}
		return deny(`A ${type} document belongs in ${home ?? 'no database'}, not in ${name}.`);
	}
	if (!canWrite(user, ref, type)) return deny(`You may not write ${type} documents here.`);
	if (!EVENT_TYPES.has(type)) return { ok: true };

	if ((doc as { author?: unknown }).author !== user.name) {
		return deny('The author of an event must be the signed-in user.');
	}
	const existing = await storedType(db, id);
	if (existing !== undefined) {
		if (!newEdits && (await isKnownRevision(db, id, doc._rev!))) return { ok: true };
		return deny('Events are written once and never changed; write a correcting event instead.');
	}
	if (!newEdits && !doc._rev!.startsWith('1-')) {
		return deny('An event is written once: only its first revision is accepted.');
	}
	if (newEdits && doc._rev !== undefined) {
		return deny('Events are written once: a new event has no _rev.');
	}
	if (dbOf) {
		const unknown = await unknownMirrorGroup(ref.schoolId, valid.doc, dbOf);
		if (unknown) return deny(`There is no group ${unknown} in this school to send this to.`);
	}
	return { ok: true };
}

/**
 * The first group a new cross-group event would be copied into that the school's
 * directory does not list (so a typo cannot make a database), or `null`.
 */
async function unknownMirrorGroup(
	schoolId: string,
	doc: Parameters<typeof mirrorDbs>[1],
	dbOf: (name: string) => PouchDatabase
): Promise<string | null> {
	const groupIds = mirrorDbs(schoolId, doc)
		.map((n) => parseDbName(n))
		.flatMap((r) => (r?.kind === 'group' && r.groupId ? [r.groupId] : []));
	if (groupIds.length === 0) return null;
	const directory = dbOf(schoolDb(schoolId));
	for (const groupId of groupIds) {
		const found = await directory.get(`group:${groupId}`).catch(() => null);
		if (!found) return groupId;
	}
	return null;
}

async function judgeDelete(
	access: DbAccess,
	db: PouchDatabase,
	doc: Doc,
	id: string,
	newEdits: boolean
): Promise<Verdict> {
	const stored = await storedType(db, id);
	const type = stored ?? (typeof doc.type === 'string' ? doc.type : null);
	if (!type) return deny('Cannot delete a document of unknown type.');
	if (EVENT_TYPES.has(type)) {
		if (!newEdits && stored !== undefined && (await isKnownRevision(db, id, doc._rev!))) {
			return { ok: true };
		}
		return deny('Events are never deleted; write a correcting event instead.');
	}
	if (!canWrite(access.user, access.ref!, type)) {
		return deny(`You may not delete ${type} documents here.`);
	}
	return { ok: true };
}
