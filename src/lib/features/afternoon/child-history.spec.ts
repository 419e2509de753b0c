import { describe, expect, it } from 'vitest';
import * as f from '../../../../tests/fixtures/factories';
import type { DayData } from './afternoon.repository';
import { childHistory } from './child-history';

function day(over: Partial<DayData>): DayData {
	return {
		students: [],
		marks: [],
		enrollments: [],
		pickups: [],
		arrivals: [],
		handovers: [],
		releases: [],
		leaves: [],
		careLogs: [],
		slots: [],
		term: null,
		...over
	};
}

describe("a child's history of the day", () => {
	it('lists marks, corrections, handovers and releases in time order, with author and reason', () => {
		const first = f.makeMark('s1', 'absent', { at: '2026-11-30T07:31:00.000Z' });
		const fix = f.makeMark('s1', 'late', {
			at: '2026-11-30T07:50:00.000Z',
			author: 'teacher2',
			arrivedAt: '2026-11-30T07:45:00.000Z',
			supersedes: first.id,
			reason: '误点为缺勤'
		});
		const other = f.makeMark('s2', 'present');
		const elsewhere = f.makeMark('s1', 'present', { groupId: 'svc-3-2' });
		const handover = f.makeHandover('s1', { at: '2026-11-30T08:30:00.000Z' });
		const release = f.makeRelease('s1', { at: '2026-11-30T09:20:00.000Z', groupId: 'svc-3-1' });
		const h = childHistory(
			day({ marks: [fix, other, elsewhere, first], handovers: [handover], releases: [release] }),
			'svc-3-1',
			's1'
		);
		expect(h.map((e) => e.kind)).toEqual(['mark', 'mark', 'handover', 'release']);
		expect(h[0]).toMatchObject({ status: 'absent', superseded: true, correction: false });
		expect(h[1]).toMatchObject({
			status: 'late',
			author: 'teacher2',
			arrivedAt: '2026-11-30T07:45:00.000Z',
			reason: '误点为缺勤',
			correction: true,
			superseded: false
		});
		expect(h[3]).toMatchObject({ kind: 'release', override: false });
	});

	it("includes the leave notice and a handover into this group, not other groups' events", () => {
		const notice = f.makeLeave('s1', { groupIds: ['club-weiqi'] });
		const incoming = f.makeHandover('s1', {
			groupId: 'svc-3-1',
			to: { kind: 'group', groupId: 'club-weiqi' }
		});
		const arrival = f.makeArrival('s1', {
			groupId: 'club-weiqi',
			handoverId: incoming.id,
			fromGroupId: 'svc-3-1'
		});
		const h = childHistory(
			day({ leaves: [notice], handovers: [incoming], arrivals: [arrival] }),
			'club-weiqi',
			's1'
		);
		expect(h.map((e) => e.kind).sort()).toEqual(['arrival', 'handover', 'leave']);
		expect(childHistory(day({ leaves: [notice] }), 'svc-3-1', 's1')).toEqual([]);
	});

	it('shows a retraction as such', () => {
		const wrong = f.makeMark('s1', 'present');
		const undo = f.makeMark('s1', 'present', {
			at: '2026-11-30T07:41:00.000Z',
			supersedes: wrong.id,
			retracted: true,
			reason: '点错了人'
		});
		const h = childHistory(day({ marks: [wrong, undo] }), 'svc-3-1', 's1');
		expect(h[0].superseded).toBe(true);
		expect(h[1]).toMatchObject({ retracted: true, reason: '点错了人' });
	});
});
