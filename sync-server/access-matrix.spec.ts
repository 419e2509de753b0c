// The access matrix (DESIGN.md decision 3), over HTTP with real sessions: every role ×
// every kind of database × read, write (a valid document of a type that database holds),
// create (PUT /db) and delete (DELETE /db), each cell checked against the explicit table
// below — plus a teacher's PouchDB replication from another class, which must get nothing.
// Users: teacher and head-teacher are assigned the service class svc-3-1 ("own group");
// the other roles have no assignment and reach groups, if at all, through their role.
// The admin and supervision databases hold no document type yet: every write there is
// refused, whoever writes (update these rows when their types arrive).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../src/lib/domain/index';
import {
	FIRST_STUDENT,
	OTHER_DB,
	call,
	localDb,
	mark,
	remoteWithCookie,
	signIn,
	startServer,
	type Running
} from './test-helpers';
import type { Doc } from './storage';

type Kind = 'school' | 'own' | 'other' | 'admin' | 'supervision' | 'otherSchool' | 'plain';
type Op = 'read' | 'write' | 'create' | 'delete';
/** ok: 2xx · denied: 403 · anon: 401 · refused: 401 or 403 (CouchDB answers non-admin
 * database creation and deletion with 401; either is a refusal) */
type Cell = 'ok' | 'denied' | 'anon' | 'refused';
type Who = Role | 'anonymous';

const KINDS: Kind[] = ['school', 'own', 'other', 'admin', 'supervision', 'otherSchool', 'plain'];

const DB: Record<Kind, string> = {
	school: 'kh-demo--school',
	own: 'kh-demo--g--svc-3-1',
	other: 'kh-demo--g--svc-3-2',
	admin: 'kh-demo--admin',
	supervision: 'kh-demo--supervision',
	otherSchool: 'kh-north--school',
	plain: 'scratch'
};

// Columns in KINDS order: school, own, other, admin, supervision, otherSchool, plain.
const row = (s: string): Cell[] => {
	const map: Record<string, Cell> = { Y: 'ok', n: 'denied', A: 'anon', r: 'refused' };
	return [...s.replaceAll(' ', '')].map((c) => map[c]);
};

const EXPECTED: Record<Who, Record<Op, Cell[]>> = {
	//                                   sc own oth adm sup nrt pln
	teacher: {
		read: row('Y Y n n n n n'),
		write: row('n Y n n n n n'),
		create: row('r r r r r r r'),
		delete: row('r r r r r r r')
	},
	'head-teacher': {
		read: row('Y Y n n n n n'),
		write: row('n Y n n n n n'),
		create: row('r r r r r r r'),
		delete: row('r r r r r r r')
	},
	'working-group': {
		read: row('Y Y Y Y Y n n'),
		write: row('Y Y Y n n n n'),
		create: row('r r r r r r r'),
		delete: row('r r r r r r r')
	},
	supervisor: {
		read: row('Y Y Y n Y n n'),
		write: row('n n n n n n n'),
		create: row('r r r r r r r'),
		delete: row('r r r r r r r')
	},
	leadership: {
		read: row('Y Y Y Y Y n n'),
		write: row('n n n n n n n'),
		create: row('r r r r r r r'),
		delete: row('r r r r r r r')
	},
	gate: {
		read: row('Y n n n n n n'),
		write: row('n n n n n n n'),
		create: row('r r r r r r r'),
		delete: row('r r r r r r r')
	},
	'server-admin': {
		read: row('Y Y Y Y Y Y Y'),
		write: row('Y Y Y n n Y Y'),
		create: row('Y Y Y Y Y Y Y'),
		delete: row('Y Y Y Y Y Y Y')
	},
	anonymous: {
		read: row('A A A A A A A'),
		write: row('A A A A A A A'),
		create: row('A A A A A A A'),
		delete: row('A A A A A A A')
	}
};

const WHO: Who[] = [...ROLES, 'anonymous'];
const userName = (role: Role) => `u-${role}`;
const PASSWORD = 'matrix-password';

function outcome(status: number): Cell | `status ${number}` {
	if (status >= 200 && status < 300) return 'ok';
	if (status === 403) return 'denied';
	if (status === 401) return 'anon';
	return `status ${status}`;
}

const matches = (expected: Cell, status: number) =>
	expected === 'refused' ? status === 401 || status === 403 : outcome(status) === expected;

let counter = 0;
const withId = (d: Doc) => ({ ...d, _id: d._id! });
/** A valid document of a type `kind` holds, written by `author`. */
function docFor(kind: Kind, author: string): Doc & { _id: string } {
	const n = ++counter;
	switch (kind) {
		case 'school':
		case 'otherSchool':
			return {
				_id: `group:club-m${n}`,
				type: 'group',
				id: `club-m${n}`,
				kind: 'club',
				name: `社团 ${n}`,
				teacherIds: [],
				capacity: 20
			};
		case 'own':
			return withId(mark({ groupId: 'svc-3-1', studentId: FIRST_STUDENT, author }));
		case 'other':
			return withId(mark({ groupId: 'svc-3-2', studentId: 's2024030301', author }));
		case 'admin':
		case 'supervision':
			// No type lives here yet; a mark is the most ordinary document a client could send.
			return withId(mark({ groupId: 'svc-3-1', studentId: FIRST_STUDENT, author }));
		case 'plain':
			return { _id: `note-${n}`, text: 'anything' };
	}
}

async function addUsers(r: Running): Promise<Map<Who, string | undefined>> {
	const cookies = new Map<Who, string | undefined>([['anonymous', undefined]]);
	for (const role of ROLES) {
		await r.server.createUser({
			name: userName(role),
			password: PASSWORD,
			displayName: role,
			schoolId: 'demo',
			roles: [role],
			groups: role === 'teacher' || role === 'head-teacher' ? ['svc-3-1'] : []
		});
		cookies.set(role, await signIn(r.url, userName(role), PASSWORD));
	}
	return cookies;
}

describe('the access matrix', () => {
	let data: Running;
	let empty: Running;
	let cookies: Map<Who, string | undefined>;
	let emptyCookies: Map<Who, string | undefined>;

	beforeAll(async () => {
		data = await startServer();
		cookies = await addUsers(data);
		const root = cookies.get('server-admin');
		await call(data.url, `/${DB.plain}`, { method: 'PUT', cookie: root });
		await call(data.url, `/${DB.otherSchool}`, { method: 'PUT', cookie: root });
		// Creation and deletion run on a server without databases, so that they start equal.
		empty = await startServer({ demo: false });
		emptyCookies = await addUsers(empty);
	}, 60_000);
	afterAll(async () => {
		await data?.stop();
		await empty?.stop();
	});

	it('read and write: every role × every database, as the table says', async () => {
		const failures: string[] = [];
		for (const who of WHO) {
			const cookie = cookies.get(who);
			const author = who === 'anonymous' ? 'nobody' : userName(who);
			for (const [i, kind] of KINDS.entries()) {
				const db = DB[kind];
				const read = await call(data.url, `/${db}/_all_docs?include_docs=true`, { cookie });
				if (!matches(EXPECTED[who].read[i], read.status)) {
					failures.push(`${who} read ${kind}: ${EXPECTED[who].read[i]} ≠ ${read.status}`);
				}
				const doc = docFor(kind, author);
				const write = await call(data.url, `/${db}/${encodeURIComponent(doc._id)}`, {
					method: 'PUT',
					cookie,
					body: doc
				});
				if (!matches(EXPECTED[who].write[i], write.status)) {
					failures.push(`${who} write ${kind}: ${EXPECTED[who].write[i]} ≠ ${write.status}`);
				}
			}
		}
		expect(failures).toEqual([]);
	});

	it('create and delete databases: server admins only', async () => {
		const failures: string[] = [];
		// The server admin comes last: everyone else meets the same (absent) databases.
		const order = [...WHO.filter((w) => w !== 'server-admin'), 'server-admin' as const];
		for (const who of order) {
			const cookie = emptyCookies.get(who);
			for (const [i, kind] of KINDS.entries()) {
				const db = DB[kind];
				const create = await call(empty.url, `/${db}`, { method: 'PUT', cookie });
				if (!matches(EXPECTED[who].create[i], create.status)) {
					failures.push(`${who} create ${kind}: ${EXPECTED[who].create[i]} ≠ ${create.status}`);
				}
				if (who === 'server-admin') {
					// What was refused to the others must still be absent for the admin's creation.
					expect(create.status, `${kind} was created before the admin`).toBe(201);
				}
				const del = await call(empty.url, `/${db}`, { method: 'DELETE', cookie });
				if (!matches(EXPECTED[who].delete[i], del.status)) {
					failures.push(`${who} delete ${kind}: ${EXPECTED[who].delete[i]} ≠ ${del.status}`);
				}
			}
		}
		expect(failures).toEqual([]);
		const root = emptyCookies.get('server-admin');
		expect((await call(empty.url, '/_all_dbs', { cookie: root })).body).toEqual([]);
	});

	it("gives a teacher's replication from another class's database nothing", async () => {
		const device = localDb();
		try {
			const remote = remoteWithCookie(data.url, OTHER_DB, cookies.get('teacher')!);
			const result = await device.db.replicate.from(remote).catch((e: unknown) => e);
			expect(result).toMatchObject({ status: 403 });
			const local = (await device.db.allDocs({})) as { total_rows: number };
			expect(local.total_rows).toBe(0);
		} finally {
			await device.dispose();
		}
	});
});
