// A full term of a teacher's two groups, for `tests/bench/client.ts`: the children filled
// up to 45 per group, then 18 weeks × 5 days of roll-call marks (with a few corrections),
// a daily care log and some late arrivals, every document valid under the shared schemas.
// Everything is written straight to the sync-server as its administrator (`_bulk_docs`).
import { v7 as uuidv7 } from 'uuid';
import { groupDb, validateDoc } from '../../../src/lib/domain/index';

export const SCHOOL = 'demo';
export const GROUPS = ['svc-3-1', 'svc-3-2'] as const;
export const ROLL_SIZE = 45;
export const WEEKS = 18;
export const BENCH_USER = { name: 'bench-teacher', password: 'bench-teacher-pw' };

const ROOT_AUTH = `Basic ${Buffer.from('root:kehou-root').toString('base64')}`;
/** The demo's office account: it writes enrollments (membership of a group). */
const OFFICE = { name: 'admin', password: 'kehou-admin' };
const OFFICE_AUTH = `Basic ${Buffer.from(`${OFFICE.name}:${OFFICE.password}`).toString('base64')}`;
const DEVICE = 'dev-bench-tablet-0001';
/** Corrections per group and day (a tap on the wrong child, then the right status). */
const CORRECTIONS = 3;
/** Late arrivals per group and day. */
const ARRIVALS = 7;
const GIVEN = '梓涵雨萱子轩浩宇欣怡俊杰诗琪睿博佳宁铭昊';
const SURNAMES = '王李张刘陈杨赵黄周吴';

type Doc = Record<string, unknown> & { _id: string };

const TEACHER_AUTH = `Basic ${Buffer.from(`${BENCH_USER.name}:${BENCH_USER.password}`).toString('base64')}`;

/** A request as the server administrator, the bench teacher or the demo's office. */
export async function admin<T>(
	url: string,
	path: string,
	init: RequestInit = {},
	as: 'root' | 'teacher' | 'office' = 'root'
): Promise<T> {
	const res = await fetch(`${url}${path}`, {
		...init,
		headers: {
			Accept: 'application/json',
			'Content-Type': 'application/json',
			Authorization: as === 'teacher' ? TEACHER_AUTH : as === 'office' ? OFFICE_AUTH : ROOT_AUTH,
			...(init.headers ?? {})
		}
	});
	const text = await res.text();
	if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${text}`);
	return JSON.parse(text) as T;
}

/** The last `n` weekdays before `today` (YYYY-MM-DD), oldest first. */
export function schoolDays(today: string, n: number): string[] {
	const days: string[] = [];
	const d = new Date(`${today}T00:00:00Z`);
	while (days.length < n) {
		d.setUTCDate(d.getUTCDate() - 1);
		const wd = d.getUTCDay();
		if (wd !== 0 && wd !== 6) days.push(d.toISOString().slice(0, 10));
	}
	return days.reverse();
}

/** Today in the school's time zone (China has no daylight saving). */
export function schoolToday(now = new Date()): string {
	return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

/** An instant on a school day, local time +08:00, as `toISOString` writes it. */
const instant = (date: string, hh: number, mm: number, ms = 0) =>
	new Date(
		Date.parse(`${date}T${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}:00+08:00`) +
			ms
	);

function event(
	type: string,
	time: Date,
	fields: Record<string, unknown>,
	author = BENCH_USER.name
): Doc {
	const id = uuidv7({ msecs: time.getTime() });
	return {
		_id: `${type}:${id}`,
		type,
		id,
		...fields,
		at: time.toISOString(),
		deviceId: DEVICE,
		author
	};
}

function valid(doc: Doc): Doc {
	const v = validateDoc(doc);
	if (!v.ok) throw new Error(`bench document ${doc._id}: ${v.reason}`);
	return doc;
}

/** The children of a group on the server, plus made-up ones up to `ROLL_SIZE`. */
async function roster(
	url: string,
	group: string,
	gi: number
): Promise<{ ids: string[]; added: Doc[] }> {
	const db = groupDb(SCHOOL, group);
	const body = await admin<{ rows: { id: string }[] }>(
		url,
		`/${db}/_all_docs?startkey=${encodeURIComponent('"student:"')}&endkey=${encodeURIComponent('"student:\ufff0"')}`
	);
	const ids = body.rows.map((r) => r.id.slice('student:'.length));
	const added: Doc[] = [];
	for (let i = 0; ids.length < ROLL_SIZE; i++) {
		const studentNo = `9${gi}${String(i).padStart(4, '0')}`;
		const id = `s${studentNo}`;
		added.push(
			valid({
				_id: `student:${id}`,
				type: 'student',
				id,
				name:
					SURNAMES[i % SURNAMES.length] +
					GIVEN.slice((i * 2) % GIVEN.length, ((i * 2) % GIVEN.length) + 2),
				gender: i % 2 ? 'm' : 'f',
				studentNo,
				className: `三(${gi + 1})班`,
				groupId: group
			})
		);
		ids.push(id);
	}
	return { ids, added };
}

function termDocs(group: string, students: string[], days: string[]): Doc[] {
	const docs: Doc[] = [];
	for (const date of days) {
		const first = new Map<string, string>();
		students.forEach((studentId, i) => {
			const status = i % 23 === 5 ? 'absent' : i % 31 === 7 ? 'leave' : 'present';
			const mark = event('mark', instant(date, 15, 35, i * 900), {
				groupId: group,
				studentId,
				date,
				status
			});
			first.set(studentId, String(mark.id));
			docs.push(mark);
		});
		for (let c = 0; c < CORRECTIONS; c++) {
			const studentId = students[(c * 11 + days.indexOf(date)) % students.length];
			docs.push(
				event('mark', instant(date, 15, 45, c * 1000), {
					groupId: group,
					studentId,
					date,
					status: 'late',
					arrivedAt: instant(date, 15, 44).toISOString(),
					supersedes: first.get(studentId)
				})
			);
		}
		for (let a = 0; a < ARRIVALS; a++) {
			const studentId = students[(a * 7 + days.indexOf(date) * 3) % students.length];
			docs.push(
				event('arrival', instant(date, 15, 40, a * 1000), { groupId: group, studentId, date })
			);
		}
		docs.push(
			event('care-log', instant(date, 17, 25), {
				groupId: group,
				date,
				activities: ['homework', 'reading'],
				children: [
					{ studentId: students[days.indexOf(date) % students.length], homework: 'partial' }
				],
				summary: '作业完成情况良好，阅读半小时。'
			})
		);
	}
	return docs.map(valid);
}

/** Events must come from their author (the server insists); children from the admin. */
async function bulk(url: string, db: string, docs: Doc[], as: 'root' | 'teacher' | 'office') {
	for (let i = 0; i < docs.length; i += 1000) {
		const rows = await admin<{ id: string; error?: string; reason?: string }[]>(
			url,
			`/${db}/_bulk_docs`,
			{
				method: 'POST',
				body: JSON.stringify({ docs: docs.slice(i, i + 1000) })
			},
			as
		);
		const bad = rows.find((r) => r.error);
		if (bad) throw new Error(`seeding ${db}: ${bad.id} ${bad.error} ${bad.reason ?? ''}`);
	}
}

export interface SeededTerm {
	/** Documents written per database (students added + events). */
	written: Record<string, number>;
	days: string[];
	/** The children of each group, as the roll screen lists them. */
	rosters: Record<string, string[]>;
}

/** Creates the bench teacher (two groups) and writes the term; returns what it wrote. */
export async function seedTerm(url: string, today = schoolToday()): Promise<SeededTerm> {
	await admin(url, '/_kehou/admin/users', {
		method: 'POST',
		body: JSON.stringify({
			...BENCH_USER,
			displayName: '基准教师',
			schoolId: SCHOOL,
			roles: ['teacher'],
			groups: [...GROUPS],
			staffId: 't-lin'
		})
	});
	const days = schoolDays(today, WEEKS * 5);
	const written: Record<string, number> = {};
	const rosters: Record<string, string[]> = {};
	for (const [gi, group] of GROUPS.entries()) {
		const db = groupDb(SCHOOL, group);
		const { ids, added } = await roster(url, group, gi);
		const events = termDocs(group, ids, days);
		// The added children join the group from the term's first day (the office's event).
		const joins = added.map((card) =>
			valid(
				event(
					'enrollment',
					instant(days[0], 8, 0),
					{ groupId: group, studentId: card.id, action: 'join', effective: days[0] },
					OFFICE.name
				)
			)
		);
		await bulk(url, db, added, 'root');
		await bulk(url, db, joins, 'office');
		await bulk(url, db, events, 'teacher');
		const docs = [...added, ...joins, ...events];
		written[db] = docs.length;
		rosters[group] = ids;
	}
	return { written, days, rosters };
}

export interface ServerCounts {
	/** doc_count of each database the teacher replicates. */
	docs: Record<string, number>;
	/** Mark documents in the teacher's group databases (the read model's `marks` rows). */
	marks: number;
}

/** What a complete first sync must bring to the tablet, as the server counts it now. */
export async function serverCounts(url: string, dbs: readonly string[]): Promise<ServerCounts> {
	const docs: Record<string, number> = {};
	let marks = 0;
	for (const db of dbs) {
		docs[db] = (await admin<{ doc_count: number }>(url, `/${db}`)).doc_count;
		if (!db.includes('--g--')) continue;
		const body = await admin<{ rows: unknown[] }>(
			url,
			`/${db}/_all_docs?startkey=${encodeURIComponent('"mark:"')}&endkey=${encodeURIComponent('"mark:\ufff0"')}`
		);
		marks += body.rows.length;
	}
	return { docs, marks };
}
