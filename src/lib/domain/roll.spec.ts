import { describe, expect, it } from 'vitest';
import { makeMark } from '../../../tests/fixtures/factories';
import {
	compareEvents,
	foldRoll,
	nextStatus,
	schoolDate,
	schoolInstant,
	schoolTime,
	tallyRoll
} from './roll';

const T = (min: number) => new Date(Date.UTC(2026, 10, 30, 7, min)).toISOString();

describe('foldRoll', () => {
	it('gives each child the status of their latest mark, for every status', () => {
		const marks = [
			makeMark('a', 'present', { at: T(1) }),
			makeMark('b', 'late', { at: T(2), arrivedAt: T(10) }),
			makeMark('c', 'leave', { at: T(3) }),
			makeMark('d', 'absent', { at: T(4) })
		];
		const roll = foldRoll(marks);
		expect([...roll].map(([id, e]) => [id, e.status])).toEqual([
			['a', 'present'],
			['b', 'late'],
			['c', 'leave'],
			['d', 'absent']
		]);
		expect(roll.get('b')?.arrivedAt).toBe(T(10));
	});

	it('lets a later mark win without supersedes', () => {
		const roll = foldRoll([
			makeMark('a', 'absent', { at: T(5) }),
			makeMark('a', 'present', { at: T(1) })
		]);
		expect(roll.get('a')?.status).toBe('absent');
	});

	it('lets a correction win even when its device clock is behind', () => {
		const original = makeMark('a', 'absent', { at: T(30) });
		const correction = makeMark('a', 'present', { at: T(1), supersedes: original.id });
		expect(foldRoll([original, correction]).get('a')?.status).toBe('present');
		expect(foldRoll([correction, original]).get('a')?.status).toBe('present');
	});

	it('handles a correction of a correction', () => {
		const m1 = makeMark('a', 'present', { at: T(1) });
		const m2 = makeMark('a', 'absent', { at: T(2), supersedes: m1.id });
		const m3 = makeMark('a', 'leave', { at: T(3), supersedes: m2.id, reason: 'note from parent' });
		expect(foldRoll([m3, m1, m2]).get('a')?.status).toBe('leave');
	});

	it('counts an event delivered twice once', () => {
		const m = makeMark('a', 'present', { at: T(1) });
		const roll = foldRoll([m, { ...m }, { ...m, _rev: '1-abc' }]);
		expect(roll.size).toBe(1);
		expect(tallyRoll(['a'], roll).present).toBe(1);
	});

	it('is independent of arrival order (same clocks: id breaks the tie)', () => {
		const a = makeMark('a', 'present', { at: T(1), id: '0190a000-0000-7000-8000-000000000001' });
		const b = makeMark('a', 'absent', { at: T(1), id: '0190a000-0000-7000-8000-000000000002' });
		expect(foldRoll([a, b]).get('a')?.status).toBe('absent');
		expect(foldRoll([b, a]).get('a')?.status).toBe('absent');
	});
});

describe('tallyRoll', () => {
	it('counts 应到 / 实到 / 请假 / 缺勤 and unmarked; late counts as present', () => {
		const roll = foldRoll([
			makeMark('a', 'present'),
			makeMark('b', 'late'),
			makeMark('c', 'leave'),
			makeMark('d', 'absent'),
			makeMark('x', 'present')
		]);
		expect(tallyRoll(['a', 'b', 'c', 'd', 'e'], roll)).toEqual({
			expected: 5,
			present: 2,
			late: 1,
			leave: 1,
			absent: 1,
			unmarked: 1
		});
	});
});

describe('helpers', () => {
	it('orders events by time, then id', () => {
		expect(compareEvents({ at: T(1), id: 'b' }, { at: T(2), id: 'a' })).toBeLessThan(0);
		expect(compareEvents({ at: T(1), id: 'b' }, { at: T(1), id: 'a' })).toBeGreaterThan(0);
		expect(compareEvents({ at: T(1), id: 'a' }, { at: T(1), id: 'a' })).toBe(0);
	});

	it('cycles statuses in the tap order', () => {
		expect(nextStatus(undefined)).toBe('present');
		expect(nextStatus('present')).toBe('absent');
		expect(nextStatus('absent')).toBe('leave');
		expect(nextStatus('leave')).toBe('late');
		expect(nextStatus('late')).toBe('present');
	});

	it('gives the school date in China, not UTC', () => {
		expect(schoolDate(new Date('2026-11-29T16:30:00Z'))).toBe('2026-11-30');
		expect(schoolDate(new Date('2026-11-29T15:59:00Z'))).toBe('2026-11-29');
	});
});

describe('school time (UTC+8, 24-hour)', () => {
	it('reads an instant as HH:MM and an HH:MM on a date as an instant', () => {
		expect(schoolTime(new Date('2026-11-30T09:45:00Z'))).toBe('17:45');
		expect(schoolTime('2026-11-29T16:05:00.000Z')).toBe('00:05');
		expect(schoolInstant('2026-11-30', '15:52')).toBe('2026-11-30T07:52:00.000Z');
		expect(schoolInstant('2026-12-01', '00:10')).toBe('2026-11-30T16:10:00.000Z');
	});
});
