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
