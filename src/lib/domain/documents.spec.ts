import { describe, expect, it } from 'vitest';
import { makeMark, makeStudent } from '../../../tests/fixtures/factories';
import { validateDoc } from './documents';

describe('validateDoc', () => {
	it('accepts valid students and marks', () => {
		expect(validateDoc(makeStudent()).ok).toBe(true);
		expect(
			validateDoc(makeMark('stu-1', 'late', { arrivedAt: '2026-11-30T07:45:00.000Z' })).ok
		).toBe(true);
		expect(validateDoc({ ...makeMark('stu-1', 'present'), _rev: '1-x' }).ok).toBe(true);
	});

	it.each([
		['not an object', 'hello', 'JSON object'],
		['an array', [], 'JSON object'],
		['an unknown type', { _id: 'x', type: 'party' }, 'Unknown document type'],
		['no type', { _id: 'x' }, 'Unknown document type'],
		['a bad status', { ...makeMark('s', 'present'), status: 'gone' }, 'status'],
		['a bad date', { ...makeMark('s', 'present'), date: '2026-13-01' }, 'date'],
		['a non-UUIDv7 id', { ...makeMark('s', 'present'), id: 'abc', _id: 'mark:abc' }, 'id'],
		['a mismatched _id', { ...makeMark('s', 'present'), _id: 'mark:other' }, '_id'],
		[
			'a self-superseding mark',
			(() => {
				const m = makeMark('s', 'present');
				return { ...m, supersedes: m.id };
			})(),
			'supersedes'
		],
		['an extra field', { ...makeMark('s', 'present'), script: 'alert(1)' }, 'Unrecognized'],
		['a missing author', { ...makeMark('s', 'present'), author: undefined }, 'author'],
		['a bad student number', makeStudent({ studentNo: '12a' }), 'studentNo'],
		['an empty name', makeStudent({ name: '' }), 'name']
	])('refuses %s with a reason', (_label, doc, fragment) => {
		const result = validateDoc(doc);
		expect(result.ok).toBe(false);
		if (!result.ok) expect(result.reason).toContain(fragment);
	});

	it('refuses a service class over 45', () => {
		const group = {
			_id: 'group:svc-1',
			type: 'group',
			id: 'svc-1',
			kind: 'service',
			name: '一年级课后服务',
			teacherIds: [],
			capacity: 46
		};
		expect(validateDoc(group).ok).toBe(false);
		expect(validateDoc({ ...group, capacity: 45 }).ok).toBe(true);
		expect(validateDoc({ ...group, kind: 'club', capacity: 60 }).ok).toBe(true);
	});
});
