// The demo school seeded into a new data folder: a made-up school (青禾实验小学), its
// current term, three service classes and a club with made-up children, a staff directory
// and four accounts. Everything is deterministic for a given date, and every document
// passes the shared schemas and goes where `homeDb` routes it.
import { homeDb, validateDoc, type AppDoc, type Role } from '../src/lib/domain/index';
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

const STAFF = [
	{ id: 't-lin', name: '林晓燕', userName: 'teacher', roles: ['teacher'] },
	{ id: 't-chen', name: '陈志远', userName: 'teacher2', roles: ['teacher'] },
	{ id: 't-zhao', name: '赵文静', roles: ['teacher'] },
	{ id: 't-he', name: '何俊峰', roles: ['teacher'] },
	{ id: 'a-zhou', name: '周雅琴', userName: 'admin', roles: ['working-group'] }
] as const;

const GRADE_NAMES = ['一', '二', '三', '四', '五', '六'];

/** Service classes: each draws its children from two administrative classes of a grade. */
const SERVICE_CLASSES = [
	{ id: 'svc-3-1', grade: 3, classes: [1, 2], size: 38, teacher: 't-lin', venue: '三(1)班教室' },
	{ id: 'svc-3-2', grade: 3, classes: [3, 4], size: 42, teacher: 't-chen', venue: '三(3)班教室' },
	{ id: 'svc-4-1', grade: 4, classes: [1, 2], size: 35, teacher: 't-zhao', venue: '四(1)班教室' }
];

const SURNAMES =
	'王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文';
const DOUBLE_SURNAMES = ['欧阳', '上官', '司马', '诸葛'];
const GIRL_CHARS = '玥祎欣怡梓涵雨萱诗琪思悦佳宁若汐可馨语桐瑶婧芮妍晗心安静雅楠沐';
const BOY_CHARS = '喆堃浩宇子轩俊杰睿博文泽宸皓然铭昊天逸辰嘉懿航锦程明煜骏熙';
/** Rare characters that fonts and imports must survive; every demo roll shows some. */
const RARE = [
	['玥', 'f'],
	['祎', 'f'],
	['喆', 'm'],
	['堃', 'm']
] as const;

/** mulberry32: a tiny seeded generator, so the demo children are the same on every start. */
function random(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const pick = (rnd: () => number, s: string | readonly string[]) =>
	[...s][Math.floor(rnd() * [...s].length)];

/** The term containing `now` on a Chinese school calendar (autumn: Sep–Jan, spring: Feb–Jul). */
export function currentTerm(now: Date): { name: string; start: string; end: string; year: number } {
	const month = now.getMonth() + 1;
	const year = now.getFullYear();
	if (month >= 8 || month === 1) {
		const y = month === 1 ? year - 1 : year;
		return {
			name: `${y}–${y + 1}学年第一学期`,
			start: `${y}-09-01`,
			end: `${y + 1}-01-23`,
			year: y
		};
	}
	const y = year - 1;
	return {
		name: `${y}–${y + 1}学年第二学期`,
		start: `${year}-02-23`,
		end: `${year}-07-10`,
		year: y
	};
}

/** Every demo document, already checked against the schemas, with the database it goes in. */
export function buildDemoDocs(now = new Date()): Array<{ db: string; doc: AppDoc }> {
	const term = currentTerm(now);
	const raw: Doc[] = [
		{
			_id: 'school',
			type: 'school',
			name: '青禾实验小学',
			termName: term.name,
			termStart: term.start,
			termEnd: term.end,
			serviceStart: '15:30',
			serviceEnd: '17:30'
		}
	];
	for (const s of STAFF)
		raw.push({ _id: `staff:${s.id}`, type: 'staff', ...s, roles: [...s.roles] });
	for (const c of SERVICE_CLASSES) {
		const grade = GRADE_NAMES[c.grade - 1];
		raw.push({
			_id: `group:${c.id}`,
			type: 'group',
			id: c.id,
			kind: 'service',
			name: `${grade}年级${c.id.split('-')[2]}班课后服务`,
			venue: c.venue,
			teacherIds: [c.teacher],
			capacity: 45
		});
	}
	raw.push({
		_id: 'group:club-weiqi',
		type: 'group',
		id: 'club-weiqi',
		kind: 'club',
		name: '围棋社',
		venue: '科技楼301',
		teacherIds: ['t-he'],
		capacity: 24
	});
	SERVICE_CLASSES.forEach((c, ci) => raw.push(...students(c, ci, term.year)));

	return raw.map((doc) => {
		const v = validateDoc(doc);
		if (!v.ok) throw new Error(`demo document ${doc._id}: ${v.reason}`);
		const db = homeDb(DEMO_SCHOOL_ID, v.doc);
		if (!db) throw new Error(`demo document ${doc._id} has no home database`);
		return { db, doc: v.doc };
	});
}

function students(c: (typeof SERVICE_CLASSES)[number], ci: number, schoolYear: number): Doc[] {
	const rnd = random(20260901 + ci * 7919);
	const entryYear = schoolYear - (c.grade - 1);
	const seen = new Set<string>();
	const out: Doc[] = [];
	for (let i = 0; i < c.size; i++) {
		const classNo = c.classes[i % c.classes.length];
		const seq = Math.floor(i / c.classes.length) + 1;
		let name: string;
		let gender: 'f' | 'm';
		do {
			gender = rnd() < 0.5 ? 'f' : 'm';
			const surname = rnd() < 0.04 ? pick(rnd, DOUBLE_SURNAMES) : pick(rnd, SURNAMES);
			const chars = gender === 'f' ? GIRL_CHARS : BOY_CHARS;
			let given = pick(rnd, chars) + (rnd() < 0.75 ? pick(rnd, chars) : '');
			if (ci === 0 && i < RARE.length) {
				gender = RARE[i][1];
				given = RARE[i][0] + (i % 2 ? '' : pick(rnd, gender === 'f' ? GIRL_CHARS : BOY_CHARS));
			}
			name = surname + given;
		} while (seen.has(name));
		seen.add(name);
		const studentNo = `${entryYear}${String(c.grade).padStart(2, '0')}${String(classNo).padStart(2, '0')}${String(seq).padStart(2, '0')}`;
		out.push({
			_id: `student:s${studentNo}`,
			type: 'student',
			id: `s${studentNo}`,
			name,
			gender,
			studentNo,
			className: `${GRADE_NAMES[c.grade - 1]}(${classNo})班`,
			groupId: c.id
		});
	}
	return out;
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
	for (const a of ACCOUNTS) await createUser(storage.system, a);
	return ACCOUNTS.map(({ name, password, displayName, roles, groups }) => ({
		name,
		password,
		displayName,
		roles,
		groups
	}));
}
