import { describe, expect, it } from 'vitest';
import { makeEnrollment, makeGroup } from '../../../tests/fixtures/factories';
import { checkCapacity, isMemberOn, membersOn, membershipPeriods } from './enrollment';

const G = 'svc-3-1';

describe('membershipPeriods', () => {
	it('opens on join and closes on leave; leave day is the first day out', () => {
		const p = membershipPeriods(
			[makeEnrollment('a', 'join', '2026-09-07'), makeEnrollment('a', 'leave', '2026-10-12')],
			G
		);
		expect(p.get('a')).toEqual([{ from: '2026-09-07', until: '2026-10-12' }]);
		expect(isMemberOn(p.get('a'), '2026-10-11')).toBe(true);
		expect(isMemberOn(p.get('a'), '2026-10-12')).toBe(false);
		expect(isMemberOn(p.get('a'), '2026-09-06')).toBe(false);
	});

	it('keeps every period of a child who left and came back', () => {
		const p = membershipPeriods(
			[
				makeEnrollment('a', 'join', '2026-09-07'),
				makeEnrollment('a', 'leave', '2026-10-12'),
				makeEnrollment('a', 'join', '2026-11-02')
			],
			G
		);
		expect(p.get('a')).toEqual([
			{ from: '2026-09-07', until: '2026-10-12' },
			{ from: '2026-11-02' }
		]);
		expect(membersOn(p, '2026-10-20')).toEqual([]);
		expect(membersOn(p, '2026-11-02')).toEqual(['a']);
	});

	it('orders by effective date, not by when it was typed', () => {
		const p = membershipPeriods(
			[
				makeEnrollment('a', 'leave', '2026-10-12', { at: '2026-09-01T01:00:00.000Z' }),
				makeEnrollment('a', 'join', '2026-09-07', { at: '2026-09-02T01:00:00.000Z' })
			],
			G
		);
		expect(p.get('a')).toEqual([{ from: '2026-09-07', until: '2026-10-12' }]);
	});

	it('erases a period a leave ends before it began, and ignores other groups', () => {
		const p = membershipPeriods(
			[
				makeEnrollment('a', 'join', '2026-09-07'),
				makeEnrollment('a', 'leave', '2026-09-07'),
				makeEnrollment('b', 'join', '2026-09-07', { groupId: 'club-weiqi' })
			],
			G
		);
		expect(p.get('a')).toEqual([]);
		expect(p.has('b')).toBe(false);
	});

	it('drops a retracted enrollment (entered for the wrong child)', () => {
		const wrong = makeEnrollment('a', 'join', '2026-09-07');
		const undo = makeEnrollment('a', 'join', '2026-09-07', {
			supersedes: wrong.id,
			retracted: true,
			reason: '录错学生'
		});
		expect(membersOn(membershipPeriods([wrong, undo], G), '2026-09-08')).toEqual([]);
	});
});

describe('checkCapacity (45-cap)', () => {
	it('allows 45 in a service class and refuses 46', () => {
		expect(checkCapacity(makeGroup(), 45)).toEqual({ ok: true, limit: 45, count: 45, over: 0 });
		expect(checkCapacity(makeGroup(), 46)).toEqual({ ok: false, limit: 45, count: 46, over: 1 });
	});

	it("uses a smaller capacity, and never lets a service class's capacity exceed 45", () => {
		expect(checkCapacity(makeGroup({ capacity: 30 }), 31).ok).toBe(false);
		expect(checkCapacity({ kind: 'service', capacity: 60 }, 46).limit).toBe(45);
		expect(checkCapacity({ kind: 'club', capacity: 60 }, 60).ok).toBe(true);
	});
});
