// Databases as the IT person manages them, for the admin API and the CLI: create the
// databases of a school or of a new service class or club, and list what exists.
// Access needs no step of its own: it derives from roles and assignments
// (`canRead`/`canWrite`), and the office records the class itself as a `group` document
// in the school database, which is what makes school-wide roles see it.
import { z } from 'zod';
import { dbName, parseDbName, refIdSchema, type DatabaseRef } from '../src/lib/domain/index';
import { DB_NAME, type Storage } from './storage';

export const createDbSchema = z.union([
	z
		.object({
			schoolId: refIdSchema,
			kind: z.literal('group'),
			groupId: refIdSchema
		})
		.strict(),
	z
		.object({
			schoolId: refIdSchema,
			kind: z.enum(['school', 'admin', 'supervision'])
		})
		.strict(),
	z
		.object({
			name: z
				.string()
				.max(238)
				.regex(DB_NAME, 'expected a CouchDB name: a-z first, then a-z 0-9 _ $ ( ) + - /')
		})
		.strict()
]);
export type CreateDb = z.input<typeof createDbSchema>;

export interface DbEntry {
	name: string;
	/** `plain` for a database outside the app's naming (server admins only). */
	kind: DatabaseRef['kind'] | 'plain';
	schoolId?: string;
	groupId?: string;
}

export function describeDb(name: string): DbEntry {
	const ref = parseDbName(name);
	return ref ? { name, ...ref } : { name, kind: 'plain' };
}

/** The name a request asks for. */
export function requestedName(input: CreateDb): string {
	const req = createDbSchema.parse(input);
	if ('name' in req) return req.name;
	return dbName(req);
}

/** Creates one database; `created: false` when it existed already. */
export async function createDb(
	storage: Storage,
	input: CreateDb
): Promise<DbEntry & { created: boolean }> {
	const name = requestedName(input);
	const created = await storage.create(name);
	return { ...describeDb(name), created };
}

/**
 * A new service class or club: its group database. Schools get their school, admin and
 * supervision databases with `{schoolId, kind}` one by one, or all with `createSchoolDbs`.
 */
export async function createSchoolDbs(storage: Storage, schoolId: string) {
	const out = [];
	for (const kind of ['school', 'admin', 'supervision'] as const) {
		out.push(await createDb(storage, { schoolId, kind }));
	}
	return out;
}

export async function listDbs(storage: Storage): Promise<DbEntry[]> {
	return (await storage.backend.listNow()).map(describeDb);
}
