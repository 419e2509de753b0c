// The demo school: schema-valid, routed by homeDb (mirrors by mirrorDbs), deterministic,
// enough for the app to compute a real afternoon, and served once seeded.
import { describe, expect, it } from 'vitest';
import {
	calendarDay,
	expectedStudents,
	homeDb,
	membershipPeriods,
	mirrorDbs,
	sessionSlots,
	validateDoc,
	type AppDoc,
	type DocOf,
	type DocType
} from '../src/lib/domain/index';
import { buildDemoDocs, currentTerm, DEMO_SCHOOL_ID, schoolDate } from './demo';
import { call, signIn, startServer } from './test-helpers';

describe('demo school', () => {
	const now = new Date('2026-11-30T08:00:00Z');
	const today = schoolDate(now);
	const docs = buildDemoDocs(now);
	const all = docs.map((d) => d.doc);
	const ofType = <T extends DocType>(type: T) =>
		all.filter((d): d is DocOf<T> & AppDoc => d.type === type) as DocOf<T>[];
	const in_ = (db: string) => docs.filter((d) => d.db === db || d.mirrors.includes(db));

	it('produces schema-valid documents, each at home, mirrored where mirrorDbs says', () => {
		for (const { db, mirrors, doc } of docs) {
			expect(validateDoc(doc)).toMatchObject({ ok: true });
			expect(homeDb(DEMO_SCHOOL_ID, doc)).toBe(db);
			expect(mirrors).toEqual(mirrorDbs(DEMO_SCHOOL_ID, doc));
		}
		expect(buildDemoDocs(now)).toEqual(docs);
		expect(new Set(docs.map((d) => `${d.db}/${d.doc._id}`)).size).toBe(docs.length);
	});

	it('has three service classes of 30–45 made-up children and one club', () => {
		const groups = ofType('group');
		expect(groups.filter((g) => g.kind === 'service').map((g) => g.id)).toEqual([
			'svc-3-1',
			'svc-3-2',
			'svc-4-1'
		]);
		expect(groups.filter((g) => g.kind === 'club').map((g) => g.id)).toEqual(['club-weiqi']);
		const cards = ofType('student');
		for (const [g, size] of [
			['svc-3-1', 45],
			['svc-3-2', 42],
			['svc-4-1', 35]
		] as const) {
			expect(cards.filter((s) => s.groupId === g)).toHaveLength(size);
		}
		const service = cards.filter((s) => s.groupId !== 'club-weiqi');
		const names = service.map((s) => s.name).join('');
		for (const rare of ['玥', '祎', '喆', '堃']) expect(names).toContain(rare);
		expect(new Set(service.map((s) => s.studentNo)).size).toBe(service.length);
		expect(service[0].className).toMatch(/^三\(\d\)班$/);
		const club = cards.filter((s) => s.groupId === 'club-weiqi');
		expect(club.length).toBeGreaterThanOrEqual(12);
		expect(club.length).toBeLessThanOrEqual(18);
		expect(new Set(club.map((s) => s.className.slice(0, 1)))).toEqual(new Set(['三', '四']));
	});

	it('names the current term, and the school points at it', () => {
		expect(currentTerm(now)).toMatchObject({
			id: '2026-1',
			start: '2026-09-01',
			end: '2027-01-23'
		});
		expect(currentTerm(new Date('2027-03-10T08:00:00Z'))).toMatchObject({
			id: '2026-2',
			start: '2027-02-23'
		});
		const [term] = ofType('term');
		expect(term).toMatchObject({ id: '2026-1', serviceStart: '15:30', serviceEnd: '17:30' });
		expect(ofType('school')[0].currentTermId).toBe(term.id);
		expect(today).toBe('2026-11-30');
	});

	it('has a weekly timetable: every weekday for service classes, homework first; the club twice', () => {
		const slots = ofType('slot');
		for (const g of ['svc-3-1', 'svc-3-2', 'svc-4-1']) {
			for (let weekday = 1; weekday <= 5; weekday++) {
				const day = slots
					.filter((s) => s.groupId === g && s.weekday === weekday)
					.sort((a, b) => a.start.localeCompare(b.start));
				expect(day.map((s) => s.activity)[0]).toBe('homework');
				expect(day.length).toBeGreaterThanOrEqual(2);
			}
			const kinds = new Set(slots.filter((s) => s.groupId === g).map((s) => s.activity));
			expect(kinds).toEqual(new Set(['homework', 'reading', 'sports', 'club']));
		}
		expect(slots.filter((s) => s.groupId === 'club-weiqi').map((s) => s.weekday)).toEqual([2, 4]);
		const venues = new Set(ofType('venue').map((v) => v.id));
		for (const s of slots) expect(venues).toContain(s.venueId);
	});

	it('lets the app compute a real afternoon: 应到 from the term, timetable and enrollments', () => {
		const [term] = ofType('term');
		const slots = ofType('slot');
		const enrollments = ofType('enrollment');
		const monday = calendarDay(term, today);
		expect(monday).toMatchObject({ service: true, timetableWeekday: 1 });
		const expected = (groupId: string, day = monday) =>
			expectedStudents({
				groupId,
				day,
				slots,
				periods: membershipPeriods(enrollments, groupId)
			});
		expect(expected('svc-3-1')).toHaveLength(45);
		expect(sessionSlots('svc-3-1', monday, slots)[0].activity).toBe('homework');
		expect(expected('club-weiqi')).toEqual([]);
		const tuesday = calendarDay(term, '2026-12-01');
		expect(expected('club-weiqi', tuesday)).toHaveLength(
			ofType('student').filter((s) => s.groupId === 'club-weiqi').length
		);
	});

	it('gives every child 1–3 pickup adults per group, phones only in the admin database', () => {
		const cards = ofType('student');
		const pickups = ofType('pickup').filter((p) => !p.onDate);
		for (const card of cards) {
			const n = pickups.filter((p) => p.studentId === card.id && p.groupId === card.groupId).length;
			expect(n).toBeGreaterThanOrEqual(1);
			expect(n).toBeLessThanOrEqual(3);
		}
		const guardians = ofType('guardian');
		for (const g of guardians) expect(g.phone).toMatch(/^138-0000-\d{4}$/);
		expect(new Set(guardians.map((g) => g.phone)).size).toBe(guardians.length);
		const records = ofType('student-record');
		expect(records).toHaveLength(122);
		const categories = new Set(records.flatMap((r) => r.priorities));
		expect(categories).toEqual(new Set(['left-behind', 'migrant', 'hardship', 'special-needs']));
		for (const { db, doc } of docs) {
			if (db.includes('--g--')) expect(JSON.stringify(doc)).not.toMatch(/138-0000/);
		}
	});

	it('has one one-time delegate, for today only, in the first service class', () => {
		const once = ofType('pickup').filter((p) => p.onDate);
		expect(once).toMatchObject([{ groupId: 'svc-3-1', onDate: today, relation: 'neighbour' }]);
	});

	it('has two leave notices for today in class databases, mirrored into the groups', () => {
		const leaves = docs.filter((d) => d.doc.type === 'leave');
		expect(leaves).toHaveLength(2);
		for (const { db, mirrors, doc } of leaves) {
			expect(db).toMatch(/^kh-demo--c--/);
			expect(doc).toMatchObject({ firstDay: today, lastDay: today });
			expect(mirrors.length).toBeGreaterThanOrEqual(1);
		}
		expect(ofType('leave').find((l) => l.author === 'head')).toMatchObject({
			adminClassId: '3-1',
			groupIds: ['svc-3-1', 'club-weiqi']
		});
		expect(in_('kh-demo--g--club-weiqi').some((d) => d.doc.type === 'leave')).toBe(true);
	});

	it('is seeded on first start only, with its mirrors, and its accounts sign in', async () => {
		const r = await startServer();
		try {
			const root = await signIn(r.url, 'root', 'kehou-root');
			const dbs = (await call(r.url, '/_all_dbs', { cookie: root })).body as string[];
			expect(dbs).toEqual([
				'kh-demo--admin',
				'kh-demo--c--3-1',
				'kh-demo--c--3-3',
				'kh-demo--g--club-weiqi',
				'kh-demo--g--ext-care',
				'kh-demo--g--svc-3-1',
				'kh-demo--g--svc-3-2',
				'kh-demo--g--svc-4-1',
				'kh-demo--school'
			]);
			const school = await call(r.url, '/kh-demo--school/school', { cookie: root });
			expect(school.body).toMatchObject({ name: '青禾实验小学', serviceStart: '15:30' });
			// Every document is where buildDemoDocs says, leave notices in their groups too.
			const seeded = buildDemoDocs();
			for (const db of dbs) {
				const rows = (await call(r.url, `/${db}/_all_docs`, { cookie: root })).body as {
					rows: Array<{ id: string }>;
				};
				const want = seeded.filter((d) => d.db === db || d.mirrors.includes(db));
				expect(rows.rows.map((x) => x.id).sort(), db).toEqual(want.map((d) => d.doc._id).sort());
			}
			for (const name of ['club', 'head', 'gate']) {
				expect(
					(await call(r.url, '/_session', { cookie: await signIn(r.url, name, `kehou-${name}`) }))
						.body
				).toMatchObject({ userCtx: { name } });
			}
			await r.stop(true);
			const again = await startServer({ dataDir: r.dataDir });
			expect((await again.server.init()).demoAccounts).toBeNull();
			await again.stop();
		} finally {
			await r.stop().catch(() => undefined);
		}
	});
});
