// Sign-in against the sync-server's `/_session`, and the signed-in user kept on the
// device so that the app opens offline. Nothing here stores a password.
import { localStore } from '$lib/db/local-store';
import { groupDb, SCHOOL_WIDE_ROLES, type Role } from '$lib/domain';

export interface SessionUser {
	name: string;
	displayName: string;
	schoolId: string;
	staffId?: string;
	roles: Role[];
	groups: string[];
	databases: string[];
}

export type SignInFailure = 'wrong' | 'too-many' | 'offline' | 'other-user' | 'failed';

export class SignInError extends Error {
	constructor(
		readonly kind: SignInFailure,
		readonly detail = ''
	) {
		super(detail || kind);
	}
}

const SESSION_KEY = 'session';

export const loadStoredUser = () => localStore.getDevice<SessionUser>(SESSION_KEY);

async function fetchMe(): Promise<SessionUser | 'unauthorized'> {
	const res = await fetch('/_kehou/me', { headers: { Accept: 'application/json' } });
	if (res.status === 401) return 'unauthorized';
	if (!res.ok) throw new Error(await reasonOf(res));
	return (await res.json()) as SessionUser;
}

async function reasonOf(res: Response): Promise<string> {
	try {
		const body = (await res.json()) as { reason?: string; error?: string };
		return body.reason ?? body.error ?? res.statusText;
	} catch {
		return `${res.status} ${res.statusText}`;
	}
}

/** Signs in; refuses when another user's unsent records are still on this device. */
export async function signIn(name: string, password: string): Promise<SessionUser> {
	const previous = await loadStoredUser();
	if (previous && previous.name !== name && (await localStore.outboxCount()) > 0) {
		throw new SignInError('other-user', previous.displayName || previous.name);
	}
	let res: Response;
	try {
		res = await fetch('/_session', {
			method: 'POST',
			headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
			body: JSON.stringify({ name, password })
		});
	} catch {
		throw new SignInError('offline');
	}
	if (res.status === 401) throw new SignInError('wrong');
	if (res.status === 429) throw new SignInError('too-many');
	if (res.status === 502 || res.status === 503 || res.status === 504)
		throw new SignInError('offline');
	if (!res.ok) throw new SignInError('failed', await reasonOf(res));
	const me = await fetchMe();
	if (me === 'unauthorized') throw new SignInError('failed', 'session not accepted');
	if (previous && previous.name !== me.name) await localStore.wipe();
	await localStore.setDevice(SESSION_KEY, me);
	return me;
}

/** Asks the server who we are: the user, `expired` on 401, or `unreachable`. */
export async function checkSession(): Promise<SessionUser | 'expired' | 'unreachable'> {
	try {
		const me = await fetchMe();
		if (me === 'unauthorized') return 'expired';
		await localStore.setDevice(SESSION_KEY, me);
		return me;
	} catch {
		return 'unreachable';
	}
}

/**
 * Signs out on a shared tablet: push everything first, then wipe the local databases.
 * Returns the number of records still unsent; when it is not 0 nothing was wiped.
 */
export async function signOut(): Promise<number> {
	const left = await localStore.pushAll(location.origin);
	if (left > 0) return left;
	await fetch('/_session', { method: 'DELETE' }).catch(() => undefined);
	await localStore.wipe();
	await localStore.deleteDevice(SESSION_KEY);
	return 0;
}

/** Whether this user may open a group's roll (the same rule the server enforces). */
export function mayOpenGroup(user: SessionUser, groupId: string): boolean {
	return user.databases.includes(groupDb(user.schoolId, groupId));
}

/** School-wide roles see every group of the school on their home screen. */
export function seesAllGroups(user: SessionUser): boolean {
	return user.roles.some((r) => SCHOOL_WIDE_ROLES.includes(r));
}
