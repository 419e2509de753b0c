// What the school's IT person does to accounts and sessions, shared by the admin API
// (`admin.ts`) and the CLI (`cli.ts`): disable/enable, password resets, listing and
// revoking sessions.
// Invariants: disabling an account or changing its password revokes all its sessions in
// the same call, so a lost tablet's session dies with the reset; sessions are listed by a
// short prefix of the stored SHA-256 (never a token, which the store does not have).
import type { Doc, PouchDatabase } from './storage';
import { setDisabled, setPassword, type Account } from './users';

interface SessionDoc {
	_id: string;
	_rev: string;
	type: 'session';
	name: string;
	createdAt: number;
	lastSeen: number;
}

export interface SessionInfo {
	/** The first 16 hex digits of the session's hash: enough to name it, useless to sign in. */
	id: string;
	user: string;
	createdAt: string;
	lastSeen: string;
}

const ID_LENGTH = 16;

async function sessionDocs(system: PouchDatabase): Promise<SessionDoc[]> {
	const all = (await system.allDocs({
		startkey: 'session:',
		endkey: 'session:\ufff0',
		include_docs: true
	})) as { rows: Array<{ doc: SessionDoc }> };
	return all.rows.map((r) => r.doc);
}

const info = (d: SessionDoc): SessionInfo => ({
	id: d._id.slice('session:'.length, 'session:'.length + ID_LENGTH),
	user: d.name,
	createdAt: new Date(d.createdAt).toISOString(),
	lastSeen: new Date(d.lastSeen).toISOString()
});

/** Sessions, newest activity first; only `user`'s when given. */
export async function listSessions(system: PouchDatabase, user?: string): Promise<SessionInfo[]> {
	const docs = await sessionDocs(system);
	return docs
		.filter((d) => user === undefined || d.name === user)
		.sort((a, b) => b.lastSeen - a.lastSeen)
		.map(info);
}

export type RevokeWhich = { user: string } | { id: string } | { all: true };

/** Deletes sessions; returns how many. An `id` must name exactly one session. */
export async function revokeSessions(system: PouchDatabase, which: RevokeWhich): Promise<number> {
	const docs = await sessionDocs(system);
	const doomed = docs.filter((d) =>
		'all' in which
			? true
			: 'user' in which
				? d.name === which.user
				: d._id.startsWith(`session:${which.id}`)
	);
	if ('id' in which && (which.id.length < 8 || doomed.length > 1)) return 0;
	if (doomed.length === 0) return 0;
	const out = await system.bulkDocs(
		doomed.map((d) => ({ _id: d._id, _rev: d._rev, _deleted: true }) as Doc)
	);
	// A session deleted meanwhile (sign-out, sweep) is gone all the same.
	return out.filter((r) => r.ok || r.status === 409).length;
}

/** Disables an account and revokes its sessions. */
export async function disableAccount(
	system: PouchDatabase,
	name: string
): Promise<{ account: Account; revoked: number }> {
	const account = await setDisabled(system, name, true);
	return { account, revoked: await revokeSessions(system, { user: name }) };
}

export async function enableAccount(system: PouchDatabase, name: string): Promise<Account> {
	return setDisabled(system, name, false);
}

/** Sets a new password and revokes the account's sessions (every device signs in again). */
export async function resetPassword(
	system: PouchDatabase,
	name: string,
	password: string
): Promise<{ account: Account; revoked: number }> {
	const account = await setPassword(system, name, password);
	return { account, revoked: await revokeSessions(system, { user: name }) };
}
