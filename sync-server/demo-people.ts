// The demo school's children and the adults around them, split as the domain splits them:
// the admin database gets each child's record and guardians (made-up, clearly fake phones
// 138-0000-xxxx), group databases get the cards, the enrollment events and the pickup
// authorisations (names and relations, no phones), class databases get leave notices.
// Seeded generators: the same children, adults and event ids on every run.
import { createHash } from 'node:crypto';
import {
	addDays,
	pickupFromGuardian,
	serviceFrom,
	studentCard,
	type Guardian,
	type PriorityCategory,
	type Relation,
	type StudentRecord
} from '../src/lib/domain/index';
import { CLUB, SERVICE_CLASSES, adminClassName, type DemoTerm } from './demo-school';
import type { Doc } from './storage';

const SURNAMES =
	'王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文';
const DOUBLE_SURNAMES = ['欧阳', '上官', '司马', '诸葛'];
const GIRL_CHARS = '玥祎欣怡梓涵雨萱诗琪思悦佳宁若汐可馨语桐瑶婧芮妍晗心安静雅楠沐';
const BOY_CHARS = '喆堃浩宇子轩俊杰睿博文泽宸皓然铭昊天逸辰嘉懿航锦程明煜骏熙';
const WOMAN_CHARS = '丽芳娟敏静秀英华玲红燕霞梅琴兰萍';
const MAN_CHARS = '伟强军勇磊涛斌国建明志平海东林峰';
/** Rare characters that fonts and imports must survive; every demo roll shows some. */
const RARE = [
	['玥', 'f'],
	['祎', 'f'],
	['喆', 'm'],
	['堃', 'm']
] as const;

/** The office account that keeps the demo's records. */
const OFFICE = 'admin';
const DEVICE = 'demo-seed-device';

/** mulberry32: a tiny seeded generator, so the demo is the same on every start. */
export function random(seed: number): () => number {
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

/** A UUIDv7 made from a time and a key: deterministic, time-ordered as the app's ids are. */
export function demoEventId(key: string, at: string): string {
	const h = createHash('sha256').update(key).digest('hex');
	const ts = new Date(at).getTime().toString(16).padStart(12, '0');
	const variant = ((parseInt(h[3], 16) & 3) | 8).toString(16);
	return `${ts.slice(0, 8)}-${ts.slice(8)}-7${h.slice(0, 3)}-${variant}${h.slice(4, 7)}-${h.slice(7, 19)}`;
}

function event(type: string, key: string, at: string, author: string, fields: Doc): Doc {
	const id = demoEventId(`${type}:${key}`, at);
	return { _id: `${type}:${id}`, type, id, at, deviceId: DEVICE, author, ...fields };
}

export interface DemoChild {
	id: string;
	name: string;
	gender: 'f' | 'm';
	studentNo: string;
	adminClassId: string;
	className: string;
	groupId: string;
}

/** The children of the service classes, in roll order. */
export function demoChildren(schoolYear: number): DemoChild[] {
	return SERVICE_CLASSES.flatMap((c, ci) => classChildren(c, ci, schoolYear));
}

function classChildren(
	c: (typeof SERVICE_CLASSES)[number],
	ci: number,
	schoolYear: number
): DemoChild[] {
	const rnd = random(20260901 + ci * 7919);
	const entryYear = schoolYear - (c.grade - 1);
	const seen = new Set<string>();
	const out: DemoChild[] = [];
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
			id: `s${studentNo}`,
			name,
			gender,
			studentNo,
			adminClassId: `${c.grade}-${classNo}`,
			className: adminClassName(c.grade, classNo),
			groupId: c.id
		});
	}
	return out;
}

/** About fifteen children from all three service classes play 围棋 on Tuesdays and Thursdays. */
export function clubMembers(children: readonly DemoChild[]): DemoChild[] {
	return SERVICE_CLASSES.flatMap((c) =>
		children
			.filter((k) => k.groupId === c.id)
			.filter((_k, i) => i % 7 === 3 || i % 7 === 5)
			.slice(0, 5)
	);
}

/** A few children in each priority group (plan 四(二)), the rest none. */
function priorities(index: number): {
	priorities: PriorityCategory[];
	hardshipBasis?: StudentRecord['hardshipBasis'];
	healthNotes?: string;
} {
	switch (index % 23) {
		case 5:
			return { priorities: ['left-behind'] };
		case 9:
			return { priorities: ['migrant'] };
		case 14:
			return { priorities: ['hardship'], hardshipBasis: index % 2 ? 'dibao' : 'jdlk' };
		case 19:
			return { priorities: ['special-needs'], healthNotes: '注意力缺陷，座位靠前，提醒时语气平和' };
		case 21:
			return { priorities: [], healthNotes: '对花生过敏' };
		default:
			return { priorities: [] };
	}
}

interface AdultPlan {
	relation: Relation;
	mayPickUp: boolean;
}

/** Who looks after a child: parents, grandparents; left-behind children live with grandparents. */
function adults(rnd: () => number, leftBehind: boolean): AdultPlan[] {
	if (leftBehind) {
		return [
			{ relation: 'grandmother', mayPickUp: true },
			{ relation: 'grandfather', mayPickUp: true },
			{ relation: 'father', mayPickUp: false }
		];
	}
	const first: Relation = rnd() < 0.6 ? 'mother' : 'father';
	const out: AdultPlan[] = [{ relation: first, mayPickUp: true }];
	const n = 1 + Math.floor(rnd() * 3);
	const others: Relation[] = [
		first === 'mother' ? 'father' : 'mother',
		pick(rnd, ['grandmother', 'grandfather', 'maternal-grandmother', 'maternal-grandfather'])
	] as Relation[];
	for (const relation of others.slice(0, n - 1)) out.push({ relation, mayPickUp: true });
	return out;
}

const FEMALE: ReadonlySet<Relation> = new Set(['mother', 'grandmother', 'maternal-grandmother']);

function adultName(rnd: () => number, child: DemoChild, relation: Relation): string {
	const paternal = relation === 'father' || relation === 'grandfather';
	const own = DOUBLE_SURNAMES.find((d) => child.name.startsWith(d)) ?? [...child.name][0];
	const surname = paternal ? own : pick(rnd, SURNAMES);
	const chars = FEMALE.has(relation) ? WOMAN_CHARS : MAN_CHARS;
	return surname + pick(rnd, chars) + (rnd() < 0.5 ? pick(rnd, chars) : '');
}

export interface PeopleDocs {
	/** Admin database: records and guardians. */
	admin: Doc[];
	/** Group databases, by group id: cards, enrollments, pickups. */
	groups: Map<string, Doc[]>;
	/** Class databases, by 行政班 id: leave notices (mirrored into the groups they name). */
	classes: Map<string, Doc[]>;
}

/** Every document about the demo children, for a term and the school's date today. */
export function peopleDocs(term: DemoTerm, today: string): PeopleDocs {
	const children = demoChildren(term.year);
	const club = new Set(clubMembers(children).map((c) => c.id));
	const out: PeopleDocs = { admin: [], groups: new Map(), classes: new Map() };
	const toGroup = (groupId: string, doc: Doc) =>
		out.groups.set(groupId, [...(out.groups.get(groupId) ?? []), doc]);
	const rnd = random(20260915);
	const joined = serviceFrom(term);
	const enrolledAt = `${term.start}T01:00:00.000Z`;
	let phone = 0;

	children.forEach((child, index) => {
		const p = priorities(index);
		const record: StudentRecord = {
			_id: `student-record:${child.id}`,
			type: 'student-record',
			id: child.id,
			name: child.name,
			gender: child.gender,
			studentNo: child.studentNo,
			adminClassId: child.adminClassId,
			className: child.className,
			...p
		};
		out.admin.push(record as Doc);
		const groups = club.has(child.id) ? [child.groupId, CLUB.id] : [child.groupId];
		const guardians = adults(rnd, p.priorities.includes('left-behind')).map((a, i): Guardian => ({
			_id: `guardian:${child.id}-${i + 1}`,
			type: 'guardian',
			id: `${child.id}-${i + 1}`,
			studentId: child.id,
			name: adultName(rnd, child, a.relation),
			relation: a.relation,
			phone: `138-0000-${String(++phone).padStart(4, '0')}`,
			primaryContact: i === 0,
			mayPickUp: a.mayPickUp,
			...(a.mayPickUp ? {} : { notes: '在外地工作' })
		}));
		out.admin.push(...(guardians as Doc[]));
		for (const groupId of groups) {
			toGroup(groupId, studentCard(record, groupId) as Doc);
			toGroup(
				groupId,
				event('enrollment', `${groupId}:${child.id}`, enrolledAt, OFFICE, {
					groupId,
					studentId: child.id,
					action: 'join',
					effective: joined
				})
			);
			for (const g of guardians.filter((x) => x.mayPickUp)) {
				toGroup(groupId, pickupFromGuardian(g, groupId) as Doc);
			}
		}
	});

	// A one-time delegate for today, entered by the office: a neighbour collects the first
	// child of 三年级1班课后服务 (the authorisation is good on this date only).
	const first = children.find((c) => c.groupId === 'svc-3-1')!;
	toGroup(first.groupId, {
		_id: `pickup:${first.id}-once-${today}`,
		type: 'pickup',
		id: `${first.id}-once-${today}`,
		groupId: first.groupId,
		studentId: first.id,
		name: '郑慧',
		relation: 'neighbour',
		onDate: today
	});

	// Two leave notices for today: one by the head teacher of 三(1)班 for a club member
	// (mirrored into the service class and the club), one by the office in 三(3)班.
	const leaveAt = `${addDays(today, -1)}T23:40:00.000Z`;
	const inClass = (classId: string) => children.filter((c) => c.adminClassId === classId);
	const sick = inClass('3-1')
		.filter((c) => club.has(c.id))
		.at(-1)!;
	const family = inClass('3-3').at(-2)!;
	for (const [child, author, cause, details] of [
		[sick, 'head', 'sick', '发烧38.5℃，家长上午来电请假'],
		[family, OFFICE, 'family', '随家长回老家参加婚礼']
	] as const) {
		const groupIds = club.has(child.id) ? [child.groupId, CLUB.id] : [child.groupId];
		const doc = event('leave', `${today}:${child.id}`, leaveAt, author, {
			adminClassId: child.adminClassId,
			studentId: child.id,
			groupIds,
			firstDay: today,
			lastDay: today,
			cause,
			details
		});
		out.classes.set(child.adminClassId, [...(out.classes.get(child.adminClassId) ?? []), doc]);
	}
	return out;
}
