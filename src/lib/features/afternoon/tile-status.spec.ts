import { describe, expect, it } from 'vitest';
import type { ChildState } from '$lib/domain';
import { headerCounts, tileStatus } from './tile-status';

const state = (over: Partial<ChildState>): ChildState => ({
	studentId: 's',
	status: 'expected',
	expected: true,
	flags: [],
	...over
});

describe('tileStatus', () => {
	it('shows late as its own word while the child is here', () => {
		expect(tileStatus(state({ status: 'present', mark: 'late' }))).toBe('late');
		expect(tileStatus(state({ status: 'present', mark: 'present' }))).toBe('present');
	});
	it('shows unmarked for an expected child and departures as they are', () => {
		expect(tileStatus(state({}))).toBe('unmarked');
		expect(tileStatus(state({ status: 'released', mark: 'late' }))).toBe('released');
		expect(tileStatus(state({ status: 'handed-over' }))).toBe('handed-over');
		expect(tileStatus(state({ status: 'leave' }))).toBe('leave');
	});
});

describe('headerCounts', () => {
	it('counts arrivals including those already gone', () => {
		expect(
			headerCounts({
				expected: 10,
				waiting: 1,
				present: 4,
				absent: 1,
				leave: 1,
				handedOver: 1,
				released: 2
			})
		).toEqual({ expected: 10, arrived: 7, leave: 1, absent: 1, gone: 3, unmarked: 1 });
	});
});

describe('stillHereAfterEnd', () => {
	it('lists children still present only once the service has ended', async () => {
		const { stillHereAfterEnd } = await import('./session-view');
		const { schoolTime } = await import('$lib/domain');
		const here = {
			studentId: 'a',
			student: undefined,
			state: state({ studentId: 'a', status: 'present' })
		};
		const gone = {
			studentId: 'b',
			student: undefined,
			state: state({ studentId: 'b', status: 'released' })
		};
		const view = { children: [here, gone] } as never;
		expect(stillHereAfterEnd(view, '17:30', '17:29')).toEqual([]);
		expect(stillHereAfterEnd(view, '17:30', '17:30')).toEqual([here]);
		expect(stillHereAfterEnd(view, undefined, '23:00')).toEqual([]);
		expect(schoolTime(new Date('2026-11-30T09:45:00Z'))).toBe('17:45');
	});
});
