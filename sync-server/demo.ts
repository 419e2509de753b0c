// The demo school seeded into a new data folder: a made-up school (青禾实验小学) with what
// the app needs to compute a real afternoon — the current term, venues, 行政班, three
// service classes and a club with their weekly timetables, made-up children enrolled in
// them, their pickup authorisations (group databases) and records and guardians (admin
// database), two leave notices for today — a staff directory and seven accounts.
// Everything is deterministic for a given date; every document passes the shared schemas,
// goes where `homeDb` routes it, and reaches its mirrors through mirrors.ts, as a written
// document does.
import {
	adminDb,
	classDb,
	groupDb,
	homeDb,
	mirrorDbs,
	schoolDb,
	validateDoc,
	type AppDoc,
	type Role
} from '../src/lib/domain/index';
import { peopleDocs } from './demo-people';
import { schoolDocs, type DemoTerm } from './demo-school';
import { mirrorsOf } from './mirrors';
import type { Doc, Storage } from './storage';
import { createUser, type NewUser } from './users';

export { createUser } from './users';
export type { NewUser, User } from './users';

export const DEMO_SCHOOL_ID = 'demo';

export interface DemoAccount {
	name: string;
	password: string;
	displayName: string;
	roles: Role[];
	groups: string[];
	classes?: string[];
}

const ACCOUNTS: Array<NewUser & DemoAccount> = [
	{
		name: 'teacher',
		password: 'kehou-teacher',
		displayName: '林晓燕',
		schoolId: DEMO_SCHOOL_ID,
		staffId: 't-lin',
		roles: ['teacher'],
		groups: ['svc-3-1']
	},
	{
		name: 'teacher2',
		password: 'kehou-teacher2',
		displayName: '陈志远',
		schoolId: DEMO_SCHOOL_ID,
		staffId: 't-chen',
		roles: ['teacher'],
		groups: ['svc-3-2']
	},
	{
		name: 'club',
		password: 'kehou-club',
		displayName: '何俊峰',
		schoolId: DEMO_SCHOOL_ID,
		staffId: 't-he',
		roles: ['teacher'],
		groups: ['club-weiqi']
	},
	{
		name: 'late',
		password: 'kehou-late',
		displayName: '马晓梅',
		schoolId: DEMO_SCHOOL_ID,
		staffId: 't-ma',
		roles: ['teacher'],
		groups: ['ext-care']
	},
	{
		name: 'head',
		password: 'kehou-head',
		displayName: '吴丽华',
		schoolId: DEMO_SCHOOL_ID,
		staffId: 't-wu',
		roles: ['head-teacher'],
		groups: [],
		classes: ['3-1']
	},
	{
		name: 'gate',
		password: 'kehou-gate',
		displayName: '孙建国',
		schoolId: DEMO_SCHOOL_ID,
		staffId: 'g-sun',
		roles: ['gate'],
		groups: []
	},
	{
		name: 'admin',
		password: 'kehou-admin',
		displayName: '周雅琴',
		schoolId: DEMO_SCHOOL_ID,
		staffId: 'a-zhou',
		roles: ['working-group'],
		groups: []
	},
	{
		name: 'root',
		password: 'kehou-root',
		displayName: '系统管理员',
		schoolId: DEMO_SCHOOL_ID,
		staffId: null,
		roles: ['server-admin'],
		groups: []
	}
];

/** The term containing `now` on a Chinese school calendar (autumn: Sep–Jan, spring: Feb–Jul). */
export function currentTerm(now: Date): DemoTerm {
	const month = now.getMonth() + 1;
	const year = now.getFullYear();
	if (month >= 8 || month === 1) {
		const y = month === 1 ? year - 1 : year;
		return {
			id: `${y}-1`,
			name: `${y}–${y + 1}学年第一学期`,
			start: `${y}-09-01`,
			end: `${y + 1}-01-23`,
			year: y
		};
	}
	const y = year - 1;
	return {
		id: `${y}-2`,
		name: `${y}–${y + 1}学年第二学期`,
		start: `${year}-02-23`,
		end: `${year}-07-10`,
		year: y
	};
}

/** The school's date (Asia/Shanghai, UTC+8 all year) at `now`. */
export function schoolDate(now: Date): string {
	return new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
}

export interface DemoDoc {
	/** The home database (`homeDb`). */
	db: string;
	/** Where the server copies it (`mirrorDbs`); empty for most documents. */
	mirrors: string[];
	doc: AppDoc;
}

/** Every demo document, already checked against the schemas, with the database it goes in. */
export function buildDemoDocs(now = new Date()): DemoDoc[] {
	const term = currentTerm(now);
	const people = peopleDocs(term, schoolDate(now));
	const placed: Array<{ db: string; doc: Doc }> = [
		...schoolDocs(term).map((doc) => ({ db: schoolDb(DEMO_SCHOOL_ID), doc })),
		...[...people.groups].flatMap(([g, docs]) =>
			docs.map((doc) => ({ db: groupDb(DEMO_SCHOOL_ID, g), doc }))
		),
		...[...people.classes].flatMap(([c, docs]) =>
			docs.map((doc) => ({ db: classDb(DEMO_SCHOOL_ID, c), doc }))
		),
		...people.admin.map((doc) => ({ db: adminDb(DEMO_SCHOOL_ID), doc }))
	];
	return placed.map(({ db, doc }) => {
		const v = validateDoc(doc);
		if (!v.ok) throw new Error(`demo document ${doc._id}: ${v.reason}`);
		if (homeDb(DEMO_SCHOOL_ID, v.doc) !== db) {
			throw new Error(`demo document ${doc._id} is not at home in ${db}`);
		}
		return { db, mirrors: mirrorDbs(DEMO_SCHOOL_ID, v.doc), doc: v.doc };
	});
}

/** Seeds the demo school and its accounts; returns the accounts with their passwords. */
export async function seedDemo(storage: Storage, now = new Date()): Promise<DemoAccount[]> {
	const byDb = new Map<string, Doc[]>();
	for (const { db, doc } of buildDemoDocs(now)) {
		byDb.set(db, [...(byDb.get(db) ?? []), doc as Doc]);
	}
	for (const [name, docs] of byDb) {
		const results = await storage.db(name).bulkDocs(docs);
		const failed = results.find((r) => !r.ok);
		if (failed) throw new Error(`demo seeding failed in ${name}: ${failed.id} ${failed.name}`);
		storage.notify(name);
	}
	// Every group has its database from the start, even one without documents of its own.
	for (const g of schoolDocs(currentTerm(now)).filter((d) => d.type === 'group')) {
		const name = groupDb(DEMO_SCHOOL_ID, String(g.id));
		if (!byDb.has(name)) await storage.create(name);
	}
	// The leave notices reach the groups they name as any written document would.
	for (const name of byDb.keys()) await mirrorsOf(storage).flush(name);
	// Each hash takes a slow scrypt on libuv's pool: in parallel, start-up waits for one or two.
	await Promise.all(ACCOUNTS.map((a) => createUser(storage.system, a)));
	return ACCOUNTS.map(({ name, password, displayName, roles, groups, classes }) => ({
		name,
		password,
		displayName,
		roles,
		groups,
		...(classes ? { classes } : {})
	}));
}
