import { describe, expect, it } from 'vitest';
import {
	canRead,
	canWrite,
	dbName,
	groupDb,
	homeDb,
	parseDbName,
	schoolDb,
	type Principal
} from './databases';

const teacher: Principal = { name: 't', schoolId: 'demo', roles: ['teacher'], groups: ['svc-3-1'] };
const office: Principal = { name: 'o', schoolId: 'demo', roles: ['working-group'], groups: [] };
const gate: Principal = { name: 'g', schoolId: 'demo', roles: ['gate'], groups: [] };

describe('database names', () => {
	it('round-trip through parseDbName, slugs with dashes included', () => {
		for (const ref of [
			{ kind: 'school', schoolId: 'demo' },
			{ kind: 'admin', schoolId: 'qing-he' },
			{ kind: 'supervision', schoolId: 'demo' },
			{ kind: 'group', schoolId: 'qing-he', groupId: 'svc-3-1' }
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
