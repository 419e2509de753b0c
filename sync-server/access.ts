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

/**
 * What the gate reads from the database it guards. `judgeWrites` reads it once per request
 * (one `allDocs({keys})` for the batch, one `revsDiff` for the ids already stored) under
 * the database's write lock, so the answers still hold at the write that follows.
 */
export interface StoredState {
	/** Is there a document with this id (any revision, deleted or not)? */
	exists(id: string): Promise<boolean>;
	/** Is this exact revision already stored (a replication replay)? */
	knows(id: string, rev: string): Promise<boolean>;
	/** The type of a stored document from any of its leaves; `undefined`: no such document. */
	type(id: string): Promise<string | null | undefined>;
}

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

/** `StoredState` read one document at a time (a single write). */
export function storedStateOf(db: PouchDatabase): StoredState {
	return {
		exists: async (id) => (await storedType(db, id)) !== undefined,
		knows: async (id, rev) => {
			const diff = await db.revsDiff({ [id]: [rev] });
			return !diff[id]?.missing.includes(rev);
		},
		type: (id) => storedType(db, id)
	};
}

/**
 * Ids a read found unknown, with the update sequence the database had throughout that read:
 * while the sequence is still the same, nothing was written, so they are still unknown.
 * `_revs_diff` records them; the `_bulk_docs` that a replicator sends next then need not
 * read them again (a push of 91 new documents: 91 reads fewer).
 */
const unknownIds = new WeakMap<PouchDatabase, { seq: number | string; ids: Set<string> }>();

export function noteUnknownIds(db: PouchDatabase, seq: number | string, ids: string[]): void {
	unknownIds.set(db, { seq, ids: new Set(ids) });
}

/**
 * Which of `ids` are stored, with any revision, deleted or not: one read for all of them
 * where the store can (`knownIds`), else one `get` each (PouchDB's `allDocs({keys})` opens
 * an iterator per key, which cost a 91-document push about twice as much); none for ids
 * `noteUnknownIds` holds at the current sequence.
 */
export async function storedIds(db: PouchDatabase, ids: Iterable<string>): Promise<Set<string>> {
	const noted = unknownIds.get(db);
	const unknown = noted && noted.seq === (await db.info()).update_seq ? noted.ids : null;
	const asked = [...ids].filter((id) => !unknown?.has(id));
	if (db.knownIds) return db.knownIds(asked);
	const found = new Set<string>();
	await Promise.all(
		asked.map((id) =>
			db.get(id).then(
				() => found.add(id),
				(e: { status?: number; reason?: string }) => {
					// A deleted document answers 404 `deleted`, an unknown one 404 `missing`.
					if (e?.status === 404 && e.reason === 'deleted') found.add(id);
					else if (e?.status !== 404) throw e;
				}
			)
		)
	);
	return found;
}

/**
 * `StoredState` for a batch of incoming documents, read in two steps: which ids exist
 * (`storedIds`, deleted ones too), and, for replication (`newEdits: false`), which of
 * their revisions are stored (`revsDiff` of the ids that exist — a revision of an id that
 * does not exist is not stored). Types (deletions only) are read per document.
 */
export async function storedStateFor(
	db: PouchDatabase,
	docs: unknown[],
	newEdits: boolean
): Promise<StoredState> {
	const revsOf = new Map<string, string[]>();
	for (const d of docs) {
		if (typeof d !== 'object' || d === null || Array.isArray(d)) continue;
		const { _id: id, _rev: rev } = d as Doc;
		if (typeof id !== 'string' || id === '' || id.startsWith('_')) continue;
		const revs = revsOf.get(id) ?? [];
		if (!newEdits && typeof rev === 'string' && REV.test(rev) && !revs.includes(rev)) {
			revs.push(rev);
		}
		revsOf.set(id, revs);
	}
	const existing = await storedIds(db, revsOf.keys());
	const query: Record<string, string[]> = {};
	for (const id of existing) {
		const revs = revsOf.get(id)!;
		if (revs.length) query[id] = revs;
	}
	const missing = Object.keys(query).length ? await db.revsDiff(query) : {};
	const fallback = storedStateOf(db);
	return {
		exists: (id) => (revsOf.has(id) ? Promise.resolve(existing.has(id)) : fallback.exists(id)),
		knows: (id, rev) => {
			if (!revsOf.has(id) || (existing.has(id) && !revsOf.get(id)!.includes(rev))) {
				return fallback.knows(id, rev);
			}
			return Promise.resolve(existing.has(id) && !missing[id]?.missing.includes(rev));
		},
		type: (id) =>
			revsOf.has(id) && !existing.has(id) ? Promise.resolve(undefined) : fallback.type(id)
	};
}

/**
 * Judges a batch of incoming documents against one read of what the database holds;
 * the caller holds the database's write lock until the accepted documents are written.
 */
export async function judgeWrites(
	access: DbAccess,
	db: PouchDatabase,
	docs: unknown[],
	newEdits: boolean,
	dbOf?: (name: string) => PouchDatabase
): Promise<Verdict[]> {
	const stored = access.ref ? await storedStateFor(db, docs, newEdits) : storedStateOf(db);
	const groups = new Map<string, Promise<boolean>>();
	const groupExists = dbOf
		? (schoolId: string, groupId: string) => {
				const key = `${schoolId}\0${groupId}`;
				let found = groups.get(key);
				if (!found) {
					found = dbOf(schoolDb(schoolId))
						.get(`group:${groupId}`)
						.then(
							() => true,
							() => false
						);
					groups.set(key, found);
				}
				return found;
			}
		: undefined;
	const verdicts: Verdict[] = [];
	for (const doc of docs) {
		verdicts.push(await judgeWrite(access, stored, doc, newEdits, groupExists));
	}
	return verdicts;
}

/**
 * Judges one incoming document. `newEdits: false` is replication (the revision comes with
 * the document); `true` is an ordinary edit that will make a new revision. `stored` is
 * what the database holds. `groupExists` asks the school's directory whether a group
 * exists, to check that the groups a cross-group event names exist before the server
 * copies it there.
 */
export async function judgeWrite(
	access: DbAccess,
	stored: StoredState,
	input: unknown,
	newEdits: boolean,
	groupExists?: (schoolId: string, groupId: string) => Promise<boolean>
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
	if (doc._deleted === true) return judgeDelete(access, stored, doc, id, newEdits);

	const valid = validateDoc(doc);
	if (!valid.ok) return deny(valid.reason);
	const type = valid.doc.type;
	const home = homeDb(ref.schoolId, valid.doc);
	if (home !== name) {
		// A device re-pushing the copy it pulled from here: a replay, nothing new.
		if (mirrorDbs(ref.schoolId, valid.doc).includes(name)) {
			if (!newEdits && (await stored.knows(id, doc._rev!))) return { ok: true };
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
	if (await stored.exists(id)) {
		if (!newEdits && (await stored.knows(id, doc._rev!))) return { ok: true };
		return deny('Events are written once and never changed; write a correcting event instead.');
	}
	if (!newEdits && !doc._rev!.startsWith('1-')) {
		return deny('An event is written once: only its first revision is accepted.');
	}
	if (newEdits && doc._rev !== undefined) {
		return deny('Events are written once: a new event has no _rev.');
	}
	if (groupExists) {
		const unknown = await unknownMirrorGroup(ref.schoolId, valid.doc, groupExists);
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
	groupExists: (schoolId: string, groupId: string) => Promise<boolean>
): Promise<string | null> {
	const groupIds = mirrorDbs(schoolId, doc)
		.map((n) => parseDbName(n))
		.flatMap((r) => (r?.kind === 'group' && r.groupId ? [r.groupId] : []));
	for (const groupId of groupIds) {
		if (!(await groupExists(schoolId, groupId))) return groupId;
	}
	return null;
}

async function judgeDelete(
	access: DbAccess,
	stored: StoredState,
	doc: Doc,
	id: string,
	newEdits: boolean
): Promise<Verdict> {
	const storedType = await stored.type(id);
	const type = storedType ?? (typeof doc.type === 'string' ? doc.type : null);
	if (!type) return deny('Cannot delete a document of unknown type.');
	if (EVENT_TYPES.has(type)) {
		if (!newEdits && storedType !== undefined && (await stored.knows(id, doc._rev!))) {
			return { ok: true };
		}
		return deny('Events are never deleted; write a correcting event instead.');
	}
	if (!canWrite(access.user, access.ref!, type)) {
		return deny(`You may not delete ${type} documents here.`);
	}
	return { ok: true };
}
