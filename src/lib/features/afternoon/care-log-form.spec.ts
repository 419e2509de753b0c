import { describe, expect, it } from 'vitest';
import { makeCareLog } from '../../../../tests/fixtures/factories';
import type { ChildState } from '$lib/domain';
import { homeworkCounts, initialLines, nextHomework, wasHere } from './care-log-form';

const child = (
	studentId: string,
	status: ChildState['status'],
	flags: ChildState['flags'] = []
) => ({
	studentId,
	state: { studentId, status, expected: true, flags } as ChildState
});

describe('the care log form', () => {
	it('gives a line to every child who was here, and to no one else', () => {
		expect(wasHere(child('a', 'present').state)).toBe(true);
		expect(wasHere(child('a', 'released').state)).toBe(true);
		expect(wasHere(child('a', 'handed-over').state)).toBe(true);
		expect(wasHere(child('a', 'released', ['departed-without-present']).state)).toBe(false);
		for (const s of ['absent', 'leave', 'expected'] as const) {
			expect(wasHere(child('a', s).state)).toBe(false);
		}
	});

	it('defaults homework to done, and an amendment starts from the log it replaces', () => {
		const children = [child('a', 'released'), child('b', 'absent'), child('c', 'handed-over')];
		expect(initialLines(children)).toEqual([
			{ studentId: 'a', homework: 'done', note: '' },
			{ studentId: 'c', homework: 'done', note: '' }
		]);
		const previous = makeCareLog({
			children: [
				{ studentId: 'c', homework: 'partial', note: '口算未完成' },
				{ studentId: 'z', homework: 'not-done' }
			]
		});
		expect(initialLines(children, previous)).toEqual([
			{ studentId: 'a', homework: 'done', note: '' },
			{ studentId: 'c', homework: 'partial', note: '口算未完成' },
			{ studentId: 'z', homework: 'not-done', note: '' }
		]);
	});

	it('cycles homework with a tap and counts it', () => {
		expect(nextHomework('done')).toBe('partial');
		expect(nextHomework('partial')).toBe('not-done');
		expect(nextHomework('not-done')).toBe('none-set');
		expect(nextHomework('none-set')).toBe('done');
		expect(homeworkCounts([{ homework: 'done' }, { homework: 'done' }, {}])).toEqual({
			done: 2,
			partial: 0,
			'not-done': 0,
			'none-set': 0
		});
	});
});
