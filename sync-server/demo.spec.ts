// The demo school: schema-valid, routed by homeDb, deterministic, and served once seeded.
import { describe, expect, it } from 'vitest';
import { homeDb, validateDoc } from '../src/lib/domain/index';
import { buildDemoDocs, currentTerm, DEMO_SCHOOL_ID } from './demo';
import { call, signIn, startServer } from './test-helpers';

describe('demo school', () => {
	const now = new Date('2026-11-30T08:00:00Z');
	const docs = buildDemoDocs(now);

	it('produces schema-valid documents, each in the database homeDb names', () => {
		for (const { db, doc } of docs) {
			expect(validateDoc(doc)).toMatchObject({ ok: true });
			expect(homeDb(DEMO_SCHOOL_ID, doc)).toBe(db);
		}
		expect(buildDemoDocs(now)).toEqual(docs);
	});

	it('has three service classes of 30–45 made-up children and one club', () => {
		const groups = docs.map((d) => d.doc).filter((d) => d.type === 'group');
		expect(groups.filter((g) => g.kind === 'service').map((g) => g.id)).toEqual([
			'svc-3-1',
			'svc-3-2',
			'svc-4-1'
		]);
		expect(groups.filter((g) => g.kind === 'club')).toHaveLength(1);
		const students = docs.map((d) => d.doc).filter((d) => d.type === 'student');
		for (const g of ['svc-3-1', 'svc-3-2', 'svc-4-1']) {
			const n = students.filter((s) => s.groupId === g).length;
			expect(n).toBeGreaterThanOrEqual(30);
			expect(n).toBeLessThanOrEqual(45);
		}
		const names = students.map((s) => s.name).join('');
		for (const rare of ['玥', '祎', '喆', '堃']) expect(names).toContain(rare);
		expect(new Set(students.map((s) => s.studentNo)).size).toBe(students.length);
		expect(students[0].className).toMatch(/^三\(\d\)班$/);
	});

	it('names the current term', () => {
		expect(currentTerm(now)).toMatchObject({ start: '2026-09-01', end: '2027-01-23' });
		expect(currentTerm(new Date('2027-03-10T08:00:00Z'))).toMatchObject({ start: '2027-02-23' });
	});

	it('is seeded on first start only, and its accounts sign in', async () => {
		const r = await startServer();
		try {
			const root = await signIn(r.url, 'root', 'kehou-root');
			const dbs = (await call(r.url, '/_all_dbs', { cookie: root })).body as string[];
			expect(dbs).toEqual([
				'kh-demo--g--svc-3-1',
				'kh-demo--g--svc-3-2',
				'kh-demo--g--svc-4-1',
				'kh-demo--school'
			]);
			const school = await call(r.url, '/kh-demo--school/school', { cookie: root });
			expect(school.body).toMatchObject({ name: '青禾实验小学', serviceStart: '15:30' });
			await r.stop(true);
			const again = await startServer({ dataDir: r.dataDir });
			expect((await again.server.init()).demoAccounts).toBeNull();
			await again.stop();
		} finally {
			await r.stop().catch(() => undefined);
		}
	});
});
