// Accounts in the system store: creation, salted scrypt password hashes and their
// constant-time check. Passwords never leave this module, not even into logs.
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
		staffId: refIdSchema.nullable().optional()
	})
	.strict();
export type NewUser = z.input<typeof newUserSchema>;

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
		groups: doc.groups
	};
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
		password: await hashPassword(u.password),
		createdAt: new Date().toISOString()
	};
	const existing = await system.get(doc._id).catch(() => null);
	if (existing?._rev) doc._rev = existing._rev;
	await system.put(doc as unknown as Doc);
	return toUser(doc);
}

export async function getUser(system: PouchDatabase, name: string): Promise<User | null> {
	const doc = await system.get(userId(name)).catch(() => null);
	return doc ? toUser(doc as unknown as UserDoc) : null;
}

/** The user when the password matches; `null` otherwise, in about the same time. */
export async function authenticate(
	system: PouchDatabase,
	name: string,
	password: string
): Promise<User | null> {
	const doc = (await system.get(userId(name)).catch(() => null)) as UserDoc | null;
	if (!doc) {
		decoy ??= hashPassword('decoy-password');
		await verifyPassword(password, await decoy);
		return null;
	}
	return (await verifyPassword(password, doc.password)) ? toUser(doc) : null;
}
