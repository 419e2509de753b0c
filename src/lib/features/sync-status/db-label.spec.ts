import { describe, expect, it } from 'vitest';
import { adminDb, classDb, gateDb, groupDb, schoolDb } from '$lib/domain';
import { dbLabel } from './db-label';

const names = new Map([
	['group:svc-3-1', '三年级1班课后服务'],
	['class:3-2', '三(2)班']
]);

describe('dbLabel', () => {
	it('names groups and classes as the directory does', () => {
		expect(dbLabel(groupDb('demo', 'svc-3-1'), names)).toEqual({
			kind: 'group',
			name: '三年级1班课后服务'
		});
		expect(dbLabel(classDb('demo', '3-2'), names)).toEqual({ kind: 'class', name: '三(2)班' });
	});

	it('falls back to the id before the directory has arrived', () => {
		expect(dbLabel(groupDb('demo', 'go-club'), names)).toEqual({ kind: 'group', id: 'go-club' });
		expect(dbLabel(classDb('demo', '4-1'), names)).toEqual({ kind: 'class', id: '4-1' });
	});

	it('says what the school-wide databases hold, and keeps a foreign name as it is', () => {
		expect(dbLabel(schoolDb('demo'), names)).toEqual({ kind: 'school' });
		expect(dbLabel(gateDb('demo'), names)).toEqual({ kind: 'gate' });
		expect(dbLabel(adminDb('demo'), names)).toEqual({ kind: 'admin' });
		expect(dbLabel('scratch', names)).toEqual({ kind: 'other', id: 'scratch' });
	});
});
