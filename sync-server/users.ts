// Accounts in the system store: creation and administration (roles, assignments,
// passwords, disabling), salted scrypt password hashes and their constant-time check.
// Passwords never leave this module, not even into logs.
// Invariant: nothing caches an account for long — `getUser` reads the store, and the
// Basic-auth cache revalidates each hit with `currentUser`, so a change of roles,
// assignments, password or a disabling applies from the account's next request.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import {
	refIdSchema,
	roleSchema,
	userNameSchema,
	type Principal,
	type Role
} from '../src/lib/domain/index';
import type { Doc, PouchDatabase } from './storage';

export const newUserSchema = z
	.object({
		name: userNameSchema,
		password: z.string().min(8).max(200),
		displayName: z.string().min(1).max(40),
		schoolId: refIdSchema,
		roles: z.array(roleSchema).min(1),
		groups: z.array(refIdSchema).default([]),
		/** 行政班 a head teacher heads (their class databases). */
		classes: z.array(refIdSchema).optional(),
		staffId: refIdSchema.nullable().optional()
	})
	.strict();
export type NewUser = z.input<typeof newUserSchema>;

/** What an administrator may change on an account (not the name, not the password). */
export const userPatchSchema = z
	.object({
		displayName: z.string().min(1).max(40),
		schoolId: refIdSchema,
		roles: z.array(roleSchema).min(1),
		groups: z.array(refIdSchema),
		classes: z.array(refIdSchema),
		staffId: refIdSchema.nullable()
	})
	.partial()
	.strict();
export type UserPatch = z.input<typeof userPatchSchema>;

export const passwordSchema = newUserSchema.shape.password;

export interface PasswordHash {
	scheme: 'scrypt';
	N: number;
	r: number;
	p: number;
	salt: string;
	hash: string;
}

export interface User extends Principal {
	displayName: string;
	staffId: string | null;
	roles: Role[];
	groups: string[];
}

interface UserDoc extends User {
	_id: string;
	_rev?: string;
	type: 'user';
	password: PasswordHash;
	createdAt: string;
	updatedAt?: string;
	/** A disabled account signs nobody in; its sessions were revoked when it was disabled. */
	disabled?: boolean;
}

/** An account as administrators see it (never the password hash). */
export interface Account extends User {
	disabled: boolean;
	createdAt: string;
	updatedAt: string | null;
}

/** An administration request that cannot be done as asked (409, 404). */
export class AccountError extends Error {
	constructor(
		readonly code: 'conflict' | 'not_found',
		message: string
	) {
		super(message);
	}
}

const KEY_LENGTH = 32;
// N = 2^15 takes ~60 ms here: slow enough to make guessing costly, fast enough to sign in.
const COST = { N: 1 << 15, r: 8, p: 1 };

interface Cost {
	N: number;
	r: number;
	p: number;
}

function derive(password: string, salt: Uint8Array, { N, r, p }: Cost): Promise<Uint8Array> {
	// scrypt needs 128·N·r bytes; Node's default ceiling (32 MB) is just too small for N = 2^15.
	const maxmem = 256 * N * r;
	return new Promise((resolve, reject) => {
		scrypt(password, salt, KEY_LENGTH, { N, r, p, maxmem }, (e, k) =>
			e ? reject(e) : resolve(new Uint8Array(k))
		);
	});
}

export async function hashPassword(password: string): Promise<PasswordHash> {
	const salt = new Uint8Array(randomBytes(16));
	const key = await derive(password, salt, COST);
	const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
	return { scheme: 'scrypt', ...COST, salt: b64(salt), hash: b64(key) };
}

export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
	const expected = new Uint8Array(Buffer.from(stored.hash, 'base64'));
	const key = await derive(password, new Uint8Array(Buffer.from(stored.salt, 'base64')), stored);
	return key.length === expected.length && timingSafeEqual(key, expected);
}

// Checked against when the name is unknown, so that a miss takes as long as a wrong password.
let decoy: Promise<PasswordHash> | null = null;

const userId = (name: string) => `user:${name}`;

function toUser(doc: UserDoc): User {
	return {
		name: doc.name,
		displayName: doc.displayName,
		schoolId: doc.schoolId,
		staffId: doc.staffId,
		roles: doc.roles,
		groups: doc.groups,
		...(doc.classes?.length ? { classes: doc.classes } : {})
	};
}

function toAccount(doc: UserDoc): Account {
	return {
		...toUser(doc),
		disabled: doc.disabled === true,
		createdAt: doc.createdAt,
		updatedAt: doc.updatedAt ?? null
	};
}

async function readDoc(system: PouchDatabase, name: string): Promise<UserDoc | null> {
	return (await system.get(userId(name)).catch(() => null)) as UserDoc | null;
}

/** Creates an account (or replaces its password and details when it exists). */
export async function createUser(system: PouchDatabase, input: NewUser): Promise<User> {
	const u = newUserSchema.parse(input);
	const doc: UserDoc = {
		_id: userId(u.name),
		type: 'user',
		name: u.name,
		displayName: u.displayName,
		schoolId: u.schoolId,
		staffId: u.staffId ?? null,
		roles: u.roles,
		groups: u.groups,
		...(u.classes?.length ? { classes: u.classes } : {}),
		password: await hashPassword(u.password),
		createdAt: new Date().toISOString()
	};
	const existing = await system.get(doc._id).catch(() => null);
	if (existing?._rev) doc._rev = existing._rev;
	await system.put(doc as unknown as Doc);
	return toUser(doc);
}

/** The account as it is now; `null` when unknown or disabled. */
export async function getUser(system: PouchDatabase, name: string): Promise<User | null> {
	const doc = await readDoc(system, name);
	return doc && !doc.disabled ? toUser(doc) : null;
}

/**
 * The account as it is now, with a stamp of its password: `null` when unknown, disabled,
 * or when `stamp` is given and the password changed since. For credential caches.
 */
export async function currentUser(
	system: PouchDatabase,
	name: string,
	stamp?: string
): Promise<{ user: User; stamp: string } | null> {
	const doc = await readDoc(system, name);
	if (!doc || doc.disabled) return null;
	const now = `${doc.password.salt}:${doc.password.hash}`;
	if (stamp !== undefined && stamp !== now) return null;
	return { user: toUser(doc), stamp: now };
}

/** The user when the password matches; `null` otherwise, in about the same time. */
export async function authenticate(
	system: PouchDatabase,
	name: string,
	password: string
): Promise<User | null> {
	const doc = await readDoc(system, name);
	if (!doc || doc.disabled) {
		decoy ??= hashPassword('decoy-password');
		await verifyPassword(password, await decoy);
		return null;
	}
	return (await verifyPassword(password, doc.password)) ? toUser(doc) : null;
}

/** Adds an account; refuses a name already taken (409), whatever its state. */
export async function addUser(system: PouchDatabase, input: NewUser): Promise<Account> {
	const u = newUserSchema.parse(input);
	if (await readDoc(system, u.name)) {
		throw new AccountError('conflict', `An account named ${u.name} already exists.`);
	}
	await createUser(system, u);
	return (await getAccount(system, u.name))!;
}

export async function getAccount(system: PouchDatabase, name: string): Promise<Account | null> {
	const doc = await readDoc(system, name);
	return doc ? toAccount(doc) : null;
}

export async function listAccounts(system: PouchDatabase): Promise<Account[]> {
	const all = (await system.allDocs({
		startkey: 'user:',
		endkey: 'user:\ufff0',
		include_docs: true
	})) as { rows: Array<{ doc: UserDoc }> };
	return all.rows.map((r) => toAccount(r.doc));
}

/** Reads, changes and writes an account, retrying when another writer came first. */
async function updateDoc(
	system: PouchDatabase,
	name: string,
	change: (doc: UserDoc) => UserDoc | Promise<UserDoc>
): Promise<Account> {
	for (let attempt = 0; ; attempt++) {
		const doc = await readDoc(system, name);
		if (!doc) throw new AccountError('not_found', `There is no account named ${name}.`);
		const next = { ...(await change(doc)), updatedAt: new Date().toISOString() };
		try {
			await system.put(next as unknown as Doc);
			return toAccount(next);
		} catch (e) {
			if ((e as { status?: number }).status !== 409 || attempt >= 3) throw e;
		}
	}
}

/** Changes roles, assignments (groups) or details; they apply from the next request. */
export function updateUser(system: PouchDatabase, name: string, patch: UserPatch) {
	const p = userPatchSchema.parse(patch);
	return updateDoc(system, name, (doc) => ({ ...doc, ...p }));
}

/** Sets a new password. Callers revoke the account's sessions (see `setPassword` users). */
export async function setPassword(system: PouchDatabase, name: string, password: string) {
	const checked = z.object({ password: passwordSchema }).parse({ password }).password;
	const hash = await hashPassword(checked);
	return updateDoc(system, name, (doc) => ({ ...doc, password: hash }));
}

export function setDisabled(system: PouchDatabase, name: string, disabled: boolean) {
	return updateDoc(system, name, ({ disabled: _was, ...doc }) =>
		disabled ? { ...doc, disabled } : doc
	);
}
