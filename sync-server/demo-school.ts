// The demo school's directory (school database): the school and its current term, staff,
// venues, 行政班, the service classes and the club, and every group's weekly timetable.
// Made up, deterministic for a given term.
import type { Doc } from './storage';

export const GRADE_NAMES = ['一', '二', '三', '四', '五', '六'];

export interface DemoTerm {
	id: string;
	name: string;
	start: string;
	end: string;
	/** The school year it belongs to (2026 for 2026–2027). */
	year: number;
}

export const STAFF = [
	{ id: 't-lin', name: '林晓燕', userName: 'teacher', roles: ['teacher'], groupIds: ['svc-3-1'] },
	{ id: 't-chen', name: '陈志远', userName: 'teacher2', roles: ['teacher'], groupIds: ['svc-3-2'] },
	{ id: 't-zhao', name: '赵文静', roles: ['teacher'], groupIds: ['svc-4-1'] },
	{ id: 't-he', name: '何俊峰', userName: 'club', roles: ['teacher'], groupIds: ['club-weiqi'] },
	{ id: 't-ma', name: '马晓梅', userName: 'late', roles: ['teacher'], groupIds: ['ext-care'] },
	{ id: 't-wu', name: '吴丽华', userName: 'head', roles: ['head-teacher'], classIds: ['3-1'] },
	{ id: 'g-sun', name: '孙建国', userName: 'gate', roles: ['gate'] },
	{ id: 'a-zhou', name: '周雅琴', userName: 'admin', roles: ['working-group'] }
] as const;

/** Service classes: each draws its children from two 行政班 of a grade. */
export const SERVICE_CLASSES = [
	{ id: 'svc-3-1', grade: 3, classes: [1, 2], size: 45, teacher: 't-lin', room: 'room-3-1' },
	{ id: 'svc-3-2', grade: 3, classes: [3, 4], size: 42, teacher: 't-chen', room: 'room-3-3' },
	{ id: 'svc-4-1', grade: 4, classes: [1, 2], size: 35, teacher: 't-zhao', room: 'room-4-1' }
] as const;
export type ServiceClass = (typeof SERVICE_CLASSES)[number];

export const CLUB = {
	id: 'club-weiqi',
	name: '围棋社',
	teacher: 't-he',
	room: 'sci-301',
	capacity: 24,
	/** Tuesdays and Thursdays, in the second block. */
	weekdays: [2, 4]
} as const;

/** 延时托管: children staying past the normal end are handed over to it; it has no roster. */
export const EXTENDED_CARE = {
	id: 'ext-care',
	name: '延时托管班',
	teacher: 't-ma',
	room: 'library',
	capacity: 60
} as const;

const VENUES = [
	{ id: 'room-3-1', name: '三(1)班教室', building: '教学楼A', capacity: 45 },
	{ id: 'room-3-3', name: '三(3)班教室', building: '教学楼A', capacity: 45 },
	{ id: 'room-4-1', name: '四(1)班教室', building: '教学楼B', capacity: 45 },
	{ id: 'sci-301', name: '科技楼301', building: '科技楼', capacity: 30 },
	{ id: 'library', name: '图书馆', building: '综合楼', capacity: 80 },
	{ id: 'playground', name: '操场' }
];

/** 行政班 the service classes draw from; only 三(1)班 has a head teacher with an account. */
export const ADMIN_CLASSES = SERVICE_CLASSES.flatMap((c) =>
	c.classes.map((n) => ({ id: `${c.grade}-${n}`, grade: c.grade, classNo: n }))
);
export const adminClassName = (grade: number, classNo: number) =>
	`${GRADE_NAMES[grade - 1]}(${classNo})班`;

const HOMEWORK = { start: '15:30', end: '16:20' };
const SECOND = { start: '16:30', end: '17:30' };
const EXTENDED = { start: '17:30', end: '18:30' };

/** The second block of a service class on days without the club: reading and sports alternate. */
function rotation(classIndex: number, weekday: number) {
	const nth = [1, 2, 3, 4, 5].filter((d) => !(CLUB.weekdays as readonly number[]).includes(d));
	return (nth.indexOf(weekday) + classIndex) % 2 === 0
		? { activity: 'reading', title: '整本书阅读', venueId: 'library' }
		: { activity: 'sports', title: '体育活动', venueId: 'playground' };
}

export function schoolDocs(term: DemoTerm): Doc[] {
	const out: Doc[] = [
		{
			_id: 'school',
			type: 'school',
			name: '青禾实验小学',
			termName: term.name,
			termStart: term.start,
			termEnd: term.end,
			serviceStart: '15:30',
			serviceEnd: '17:30',
			currentTermId: term.id
		},
		{
			_id: `term:${term.id}`,
			type: 'term',
			id: term.id,
			name: term.name,
			start: term.start,
			end: term.end,
			serviceStart: '15:30',
			serviceEnd: '17:30',
			officeClose: '17:30',
			extendedCareEnd: '18:30'
		}
	];
	for (const s of STAFF) {
		const { roles, ...rest } = s;
		const lists = {
			...('groupIds' in s ? { groupIds: [...s.groupIds] } : {}),
			...('classIds' in s ? { classIds: [...s.classIds] } : {})
		};
		out.push({ _id: `staff:${s.id}`, type: 'staff', ...rest, roles: [...roles], ...lists });
	}
	for (const v of VENUES) out.push({ _id: `venue:${v.id}`, type: 'venue', ...v });
	for (const c of ADMIN_CLASSES) {
		out.push({
			_id: `admin-class:${c.id}`,
			type: 'admin-class',
			id: c.id,
			name: adminClassName(c.grade, c.classNo),
			grade: c.grade,
			...(c.id === '3-1' ? { headTeacherId: 't-wu' } : {})
		});
	}
	SERVICE_CLASSES.forEach((c, ci) => {
		const grade = GRADE_NAMES[c.grade - 1];
		out.push({
			_id: `group:${c.id}`,
			type: 'group',
			id: c.id,
			kind: 'service',
			name: `${grade}年级${c.id.split('-')[2]}班课后服务`,
			venue: VENUES.find((v) => v.id === c.room)!.name,
			venueId: c.room,
			teacherIds: [c.teacher],
			capacity: 45,
			endTime: '17:30',
			adminClassIds: c.classes.map((n) => `${c.grade}-${n}`)
		});
		for (let weekday = 1; weekday <= 5; weekday++) {
			out.push(
				slot(c.id, weekday, 1, HOMEWORK, c.teacher, {
					activity: 'homework',
					title: '作业辅导',
					venueId: c.room
				})
			);
			const second = (CLUB.weekdays as readonly number[]).includes(weekday)
				? { activity: 'club', title: '社团活动（未参加社团的同学：班级活动）', venueId: c.room }
				: rotation(ci, weekday);
			out.push(slot(c.id, weekday, 2, SECOND, c.teacher, second));
		}
	});
	out.push({
		_id: `group:${CLUB.id}`,
		type: 'group',
		id: CLUB.id,
		kind: 'club',
		name: CLUB.name,
		venue: '科技楼301',
		venueId: CLUB.room,
		teacherIds: [CLUB.teacher],
		capacity: CLUB.capacity,
		category: '棋类'
	});
	out.push({
		_id: `group:${EXTENDED_CARE.id}`,
		type: 'group',
		id: EXTENDED_CARE.id,
		kind: 'extended',
		name: EXTENDED_CARE.name,
		venue: '图书馆',
		venueId: EXTENDED_CARE.room,
		teacherIds: [EXTENDED_CARE.teacher],
		capacity: EXTENDED_CARE.capacity,
		endTime: '18:30'
	});
	for (let weekday = 1; weekday <= 5; weekday++) {
		out.push(
			slot(EXTENDED_CARE.id, weekday, 3, EXTENDED, EXTENDED_CARE.teacher, {
				activity: 'homework',
				title: '延时托管（作业、阅读）',
				venueId: EXTENDED_CARE.room
			})
		);
	}
	for (const weekday of CLUB.weekdays) {
		out.push(
			slot(CLUB.id, weekday, 2, SECOND, CLUB.teacher, {
				activity: 'club',
				title: '围棋',
				venueId: CLUB.room
			})
		);
	}
	return out;
}

function slot(
	groupId: string,
	weekday: number,
	block: number,
	time: { start: string; end: string },
	teacherId: string,
	what: { activity: string; title: string; venueId: string }
): Doc {
	const id = `${groupId}-${weekday}-${block}`;
	return { _id: `slot:${id}`, type: 'slot', id, groupId, weekday, ...time, ...what, teacherId };
}
