import { describe, expect, it } from 'vitest';
import {
	adminDb,
	canRead,
	canWrite,
	classDb,
	dbName,
	gateDb,
	groupDb,
	homeDb,
	homeDbs,
	mirrorDbs,
	parseDbName,
	schoolDb,
	supervisionDb,
	type DatabaseRef,
	type Principal
} from './databases';
import * as f from '../../../tests/fixtures/factories';

const teacher: Principal = { name: 't', schoolId: 'demo', roles: ['teacher'], groups: ['svc-3-1'] };
const office: Principal = { name: 'o', schoolId: 'demo', roles: ['working-group'], groups: [] };
const gate: Principal = { name: 'g', schoolId: 'demo', roles: ['gate'], groups: [] };

describe('database names', () => {
	it('round-trip through parseDbName, slugs with dashes included', () => {
		for (const ref of [
			{ kind: 'school', schoolId: 'demo' },
			{ kind: 'admin', schoolId: 'qing-he' },
			{ kind: 'supervision', schoolId: 'demo' },
			{ kind: 'gate', schoolId: 'demo' },
			{ kind: 'group', schoolId: 'qing-he', groupId: 'svc-3-1' },
			{ kind: 'class', schoolId: 'qing-he', classId: '3-1' }
		] as const) {
			expect(parseDbName(dbName(ref))).toEqual(ref);
		}
	});

	it('leaves other names as plain databases', () => {
		expect(parseDbName('my-test-db')).toBeNull();
		expect(parseDbName('kh-demo--students')).toBeNull();
		expect(parseDbName('_users')).toBeNull();
	});

	it('are valid CouchDB database names', () => {
		expect(groupDb('demo', 'svc-3-1')).toMatch(/^[a-z][a-z0-9_$()+/-]*$/);
	});
});

describe('homeDb', () => {
	it('routes reference documents to the school and children and marks to their group', () => {
		expect(homeDb('demo', { type: 'group' })).toBe(schoolDb('demo'));
		expect(homeDb('demo', { type: 'student', groupId: 'svc-3-1' })).toBe(
			groupDb('demo', 'svc-3-1')
		);
		expect(homeDb('demo', { type: 'mark', groupId: 'c1' })).toBe(groupDb('demo', 'c1'));
		expect(homeDb('demo', { type: 'mark' })).toBeNull();
		expect(homeDb('demo', { type: 'unknown' })).toBeNull();
	});
});

describe('access', () => {
	const own = parseDbName(groupDb('demo', 'svc-3-1'))!;
	const other = parseDbName(groupDb('demo', 'svc-3-2'))!;
	const school = parseDbName(schoolDb('demo'))!;
	const otherSchool = parseDbName(schoolDb('elsewhere'))!;

	it('lets a teacher read and mark only their own groups', () => {
		expect(canRead(teacher, own)).toBe(true);
		expect(canWrite(teacher, own, 'mark')).toBe(true);
		expect(canRead(teacher, other)).toBe(false);
		expect(canWrite(teacher, other, 'mark')).toBe(false);
		expect(canWrite(teacher, own, 'student')).toBe(false);
		expect(canRead(teacher, school)).toBe(true);
		expect(canWrite(teacher, school, 'group')).toBe(false);
		expect(canRead(teacher, otherSchool)).toBe(false);
	});

	it('lets the working group read every group and edit reference documents', () => {
		expect(canRead(office, other)).toBe(true);
		expect(canWrite(office, other, 'student')).toBe(true);
		expect(canWrite(office, school, 'group')).toBe(true);
		expect(canRead(office, parseDbName('kh-demo--admin')!)).toBe(true);
	});

	it('keeps the gate out of groups and administration', () => {
		expect(canRead(gate, own)).toBe(false);
		expect(canRead(gate, parseDbName('kh-demo--admin')!)).toBe(false);
		expect(canRead(gate, school)).toBe(true);
	});
});

describe('homeDb for every type', () => {
	const D = 'demo';
	it.each([
		['term', f.makeTerm(), schoolDb(D)],
		['slot', f.makeSlot(), schoolDb(D)],
		['venue', f.makeVenue(), schoolDb(D)],
		['admin-class', f.makeAdminClass(), schoolDb(D)],
		['pickup', f.makePickup({ groupId: 'club-weiqi' }), groupDb(D, 'club-weiqi')],
		['enrollment', f.makeEnrollment('s', 'join', '2026-09-07'), groupDb(D, 'svc-3-1')],
		['arrival', f.makeArrival('s'), groupDb(D, 'svc-3-1')],
		['handover', f.makeHandover('s'), groupDb(D, 'svc-3-1')],
		['release in class', f.makeRelease('s'), groupDb(D, 'svc-3-1')],
		['release at the gate', f.makeRelease('s', { place: 'gate' }), gateDb(D)],
		['care-log', f.makeCareLog(), groupDb(D, 'svc-3-1')],
		['activity-record', f.makeActivityRecord(), groupDb(D, 'svc-3-1')],
		['incident', f.makeIncident(), groupDb(D, 'svc-3-1')],
		['gate-registration', f.makeGateRegistration(), gateDb(D)],
		['leave', f.makeLeave('s'), classDb(D, '3-1')],
		['application', f.makeApplication('s'), classDb(D, '3-1')],
		['class-review', f.makeClassReview(f.makeMark('s', 'present').id), classDb(D, '3-1')],
		['placement', f.makePlacement(f.makeMark('s', 'present').id), classDb(D, '3-1')],
		['student-record', f.makeStudentRecord(), adminDb(D)],
		['guardian', f.makeGuardian(), adminDb(D)],
		['agreement', f.makeAgreement(), adminDb(D)],
		['waiver', f.makeWaiver(), adminDb(D)],
		['survey-response', f.makeSurveyResponse(), adminDb(D)],
		['patrol', f.makePatrol(), supervisionDb(D)],
		['evaluation', f.makeEvaluation(), supervisionDb(D)]
	])('%s', (_label, doc, db) => {
		expect(homeDb(D, doc)).toBe(db);
	});

	it('keeps sensitive types out of group and school databases', () => {
		for (const doc of [
			f.makeStudentRecord(),
			f.makeGuardian(),
			f.makeWaiver(),
			f.makeAgreement()
		]) {
			const dbs = homeDbs(D, doc);
			expect(dbs).toEqual([adminDb(D)]);
		}
	});

	it('refuses a class-level document without its class', () => {
		expect(homeDb(D, { type: 'leave' })).toBeNull();
		expect(homeDb(D, { type: 'toString' })).toBeNull();
	});
});

describe('mirrors: cross-group events reach both sides', () => {
	const D = 'demo';
	it('copies a handover to the receiving group, or to the gate', () => {
		expect(homeDbs(D, f.makeHandover('s'))).toEqual([
			groupDb(D, 'svc-3-1'),
			groupDb(D, 'club-weiqi')
		]);
		const toGate = f.makeHandover('s', { to: { kind: 'gate' } });
		expect(mirrorDbs(D, toGate)).toEqual([gateDb(D)]);
	});

	it("copies the receiving side's arrival back to the sender", () => {
		const h = f.makeHandover('s');
		const a = f.makeArrival('s', {
			groupId: 'club-weiqi',
			handoverId: h.id,
			fromGroupId: 'svc-3-1'
		});
		expect(homeDbs(D, a)).toEqual([groupDb(D, 'club-weiqi'), groupDb(D, 'svc-3-1')]);
		expect(mirrorDbs(D, f.makeArrival('s'))).toEqual([]);
	});

	it("copies a gate release into the child's group, and a leave notice into each group", () => {
		expect(homeDbs(D, f.makeRelease('s', { place: 'gate' }))).toEqual([
			gateDb(D),
			groupDb(D, 'svc-3-1')
		]);
		expect(mirrorDbs(D, f.makeRelease('s'))).toEqual([]);
		expect(
			mirrorDbs(D, f.makeLeave('s', { groupIds: ['svc-3-1', 'club-weiqi', 'svc-3-1'] }))
		).toEqual([groupDb(D, 'svc-3-1'), groupDb(D, 'club-weiqi')]);
	});
});

describe('who writes what', () => {
	const ref = (name: string) => parseDbName(name) as DatabaseRef;
	const own = ref(groupDb('demo', 'svc-3-1'));
	const cls = ref(classDb('demo', '3-1'));
	const otherCls = ref(classDb('demo', '3-2'));
	const gateRef = ref(gateDb('demo'));
	const admin = ref(adminDb('demo'));
	const sup = ref(supervisionDb('demo'));
	const school = ref(schoolDb('demo'));
	const head: Principal = {
		name: 'h',
		schoolId: 'demo',
		roles: ['teacher', 'head-teacher'],
		groups: ['svc-3-1'],
		classes: ['3-1']
	};
	const supervisor: Principal = { name: 's', schoolId: 'demo', roles: ['supervisor'], groups: [] };

	it('teachers write the events of their own groups, not reference or pickup data', () => {
		for (const t of [
			'mark',
			'arrival',
			'handover',
			'release',
			'care-log',
			'activity-record',
			'incident'
		]) {
			expect(canWrite(teacher, own, t)).toBe(true);
		}
		for (const t of ['student', 'pickup', 'enrollment', 'leave', 'gate-registration']) {
			expect(canWrite(teacher, own, t)).toBe(false);
		}
		expect(canWrite(teacher, school, 'slot')).toBe(false);
	});

	it('the office writes reference documents everywhere, but never a class review', () => {
		for (const [db, t] of [
			[school, 'term'],
			[school, 'slot'],
			[own, 'pickup'],
			[own, 'enrollment'],
			[cls, 'school-review'],
			[cls, 'placement'],
			[cls, 'leave'],
			[admin, 'guardian'],
			[admin, 'waiver']
		] as const) {
			expect(canWrite(office, db, t)).toBe(true);
		}
		expect(canWrite(office, cls, 'class-review')).toBe(false);
		expect(canWrite(office, sup, 'patrol')).toBe(false);
	});

	it('a head teacher reviews and enters leave for their own class only', () => {
		expect(canRead(head, cls)).toBe(true);
		expect(canWrite(head, cls, 'class-review')).toBe(true);
		expect(canWrite(head, cls, 'leave')).toBe(true);
		expect(canWrite(head, cls, 'application')).toBe(true);
		expect(canWrite(head, cls, 'school-review')).toBe(false);
		expect(canRead(head, otherCls)).toBe(false);
		expect(canRead(head, admin)).toBe(false);
		expect(canRead(teacher, cls)).toBe(false);
	});

	it('the gate registers and releases at the gate, and reads nothing else sensitive', () => {
		expect(canWrite(gate, gateRef, 'gate-registration')).toBe(true);
		expect(canWrite(gate, gateRef, 'release')).toBe(true);
		expect(canWrite(gate, own, 'release')).toBe(false);
		expect(canRead(gate, cls)).toBe(false);
		expect(canWrite(teacher, gateRef, 'release')).toBe(false);
		expect(canRead(teacher, gateRef)).toBe(false);
	});

	it('supervisors write patrols into supervision, and read but do not write groups', () => {
		expect(canWrite(supervisor, sup, 'patrol')).toBe(true);
		expect(canWrite(supervisor, sup, 'evaluation')).toBe(true);
		expect(canRead(supervisor, own)).toBe(true);
		expect(canWrite(supervisor, own, 'mark')).toBe(false);
		expect(canRead(supervisor, admin)).toBe(false);
		expect(canWrite(teacher, sup, 'patrol')).toBe(false);
	});

	it('refuses a type in a database that is not its home kind', () => {
		expect(canWrite(office, school, 'mark')).toBe(false);
		expect(canWrite(head, own, 'class-review')).toBe(false);
	});
});

// Compile-time: every app document can be routed (the sync-server passes validated docs).
export const routesEveryDoc = (d: import('./documents').AppDoc) => homeDbs('demo', d);
