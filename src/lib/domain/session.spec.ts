import { describe, expect, it } from 'vitest';
import * as f from '../../../tests/fixtures/factories';
import type { CalendarDay } from './calendar';
import { membershipPeriods } from './enrollment';
import {
	expectedStudents,
	foldSession,
	sessionClosure,
	sessionSlots,
	tallySession
} from './session';
import type { SessionEvents } from './session';

const T = (min: number) => new Date(Date.UTC(2026, 10, 30, 7, min)).toISOString();
const DATE = '2026-11-30';
const G = 'svc-3-1';

const fold = (expected: string[], events: SessionEvents) =>
	foldSession({ groupId: G, date: DATE, expected, events });
const status = (states: ReturnType<typeof fold>, id: string) => states.get(id)?.status;

describe('expectedStudents (应到)', () => {
	const monday: CalendarDay = {
		date: DATE,
		service: true,
		reason: 'regular',
		weekday: 1,
		timetableWeekday: 1
	};
	const slots = [
		f.makeSlot({ groupId: G, weekday: 1 }),
		f.makeSlot({ groupId: 'club-weiqi', weekday: 3, activity: 'club' })
	];
	const periods = membershipPeriods(
		[
			f.makeEnrollment('a', 'join', '2026-09-07'),
			f.makeEnrollment('b', 'join', '2026-11-30'), // joined mid-term, today
			f.makeEnrollment('c', 'join', '2026-12-01'), // joins tomorrow
			f.makeEnrollment('d', 'join', '2026-09-07'),
			f.makeEnrollment('d', 'leave', '2026-11-16') // left two weeks ago
		],
		G
	);

	it('lists the members of the day, a child who joined mid-term included', () => {
		expect(expectedStudents({ groupId: G, day: monday, slots, periods })).toEqual(['a', 'b']);
		const earlier = { ...monday, date: '2026-11-09' };
		expect(expectedStudents({ groupId: G, day: earlier, slots, periods })).toEqual(['a', 'd']);
	});

	it('expects nobody on a day without service or without a slot for the group', () => {
		const holiday: CalendarDay = { date: DATE, service: false, reason: 'holiday', weekday: 1 };
		expect(expectedStudents({ groupId: G, day: holiday, slots, periods })).toEqual([]);
		const tuesday = { ...monday, weekday: 2 as const, timetableWeekday: 2 as const };
		expect(expectedStudents({ groupId: G, day: tuesday, slots, periods })).toEqual([]);
	});

	it('follows the timetable weekday on a moved Saturday', () => {
		const saturday: CalendarDay = {
			date: '2026-10-10',
			service: true,
			reason: 'moved-workday',
			weekday: 6,
			timetableWeekday: 3
		};
		expect(sessionSlots('club-weiqi', saturday, slots)).toHaveLength(1);
		expect(sessionSlots(G, saturday, slots)).toHaveLength(0);
	});

	it('honours a slot limited to part of the term', () => {
		const limited = [f.makeSlot({ groupId: G, weekday: 1, validTo: '2026-11-29' })];
		expect(expectedStudents({ groupId: G, day: monday, slots: limited, periods })).toEqual([]);
	});
});

describe('foldSession', () => {
	it('moves a child expected → present → released', () => {
		const s = fold(['a', 'b'], {
			marks: [f.makeMark('a', 'present', { at: T(1) })],
			releases: [f.makeRelease('a', { at: T(90) })]
		});
		expect(status(s, 'a')).toBe('released');
		expect(s.get('a')?.release).toMatchObject({ pickupId: 'pk-1', place: 'group' });
		expect(s.get('a')?.flags).toEqual([]);
		expect(status(s, 'b')).toBe('expected');
	});

	it('keeps a child present when a leave notice arrives after the present mark', () => {
		const s = fold(['a'], {
			marks: [f.makeMark('a', 'present', { at: T(1) })],
			leaves: [f.makeLeave('a', { at: T(30) })]
		});
		expect(status(s, 'a')).toBe('present');
		expect(s.get('a')?.flags).toContain('leave-notice-while-present');
		expect(s.get('a')?.leave?.cause).toBe('sick');
		expect(sessionClosure(s).blocking).toEqual([
			{ studentId: 'a', status: 'present', why: 'still-present' }
		]);
	});

	it('puts an unmarked or absent child with a leave notice on leave, with its reason', () => {
		const s = fold(['a', 'b'], {
			marks: [f.makeMark('b', 'absent')],
			leaves: [f.makeLeave('a'), f.makeLeave('b', { cause: 'family', details: '外出' })]
		});
		expect(s.get('a')).toMatchObject({ status: 'leave', leave: { cause: 'sick' } });
		expect(s.get('b')).toMatchObject({ status: 'leave', leave: { cause: 'family' } });
		expect(sessionClosure(s).canClose).toBe(true);
	});

	it('ignores leave notices for other dates or other groups', () => {
		const s = fold(['a'], {
			leaves: [
				f.makeLeave('a', { firstDay: '2026-12-01', lastDay: '2026-12-02' }),
				f.makeLeave('a', { groupIds: ['club-weiqi'] })
			]
		});
		expect(status(s, 'a')).toBe('expected');
	});

	it('flags a release without a present mark, and still counts it final', () => {
		const s = fold(['a'], { releases: [f.makeRelease('a')] });
		expect(status(s, 'a')).toBe('released');
		expect(s.get('a')?.flags).toEqual(['departed-without-present']);
		const closure = sessionClosure(s);
		expect(closure.canClose).toBe(true);
		expect(closure.attention).toEqual([{ studentId: 'a', flags: ['departed-without-present'] }]);
	});

	it('flags an override release', () => {
		const s = fold(['a'], {
			marks: [f.makeMark('a', 'present')],
			releases: [
				f.makeRelease('a', {
					pickupId: undefined,
					override: { note: '母亲电话确认，由舅舅代接' },
					adult: { name: '韩立新', relation: 'relative' }
				})
			]
		});
		expect(s.get('a')?.flags).toEqual(['release-override']);
	});

	it('lets the last of a correction of a correction stand', () => {
		const r1 = f.makeRelease('a', { at: T(60), pickupId: 'pk-1' });
		const r2 = f.makeRelease('a', {
			at: T(61),
			pickupId: 'pk-2',
			supersedes: r1.id,
			reason: '选错家长'
		});
		const r3 = f.makeRelease('a', {
			at: T(62),
			pickupId: 'pk-3',
			supersedes: r2.id,
			reason: '再次更正'
		});
		const s = fold(['a'], { marks: [f.makeMark('a', 'present')], releases: [r3, r1, r2] });
		expect(s.get('a')?.release?.pickupId).toBe('pk-3');
	});

	it('brings a wrongly released child back when the release is retracted', () => {
		const r = f.makeRelease('a', { at: T(60) });
		const undo = f.makeRelease('a', {
			at: T(61),
			supersedes: r.id,
			retracted: true,
			reason: '点错了孩子'
		});
		const s = fold(['a'], { marks: [f.makeMark('a', 'present')], releases: [r, undo] });
		expect(status(s, 'a')).toBe('present');
	});

	it('keeps a departure final against a later mark, whatever the clocks say', () => {
		const s = fold(['a'], {
			marks: [f.makeMark('a', 'present', { at: T(1) }), f.makeMark('a', 'absent', { at: T(99) })],
			releases: [f.makeRelease('a', { at: T(50) })]
		});
		expect(status(s, 'a')).toBe('released');
	});

	it('counts late as present and records the mark', () => {
		const s = fold(['a'], { marks: [f.makeMark('a', 'late')] });
		expect(s.get('a')).toMatchObject({ status: 'present', mark: 'late' });
	});

	it('blocks closing for a leave mark without any reason, not for one with a reason', () => {
		const s = fold(['a', 'b'], {
			marks: [f.makeMark('a', 'leave'), f.makeMark('b', 'leave', { reason: '家长微信请假' })]
		});
		expect(s.get('a')?.flags).toContain('leave-without-reason');
		expect(s.get('b')?.leave).toEqual({ details: '家长微信请假' });
		expect(sessionClosure(s).blocking).toEqual([
			{ studentId: 'a', status: 'leave', why: 'leave-without-reason' }
		]);
	});

	it('lists children not expected, and they must still leave properly', () => {
		const s = fold(['a'], {
			marks: [f.makeMark('a', 'absent'), f.makeMark('x', 'present')]
		});
		expect(s.get('x')).toMatchObject({
			status: 'present',
			expected: false,
			flags: ['not-expected']
		});
		expect(sessionClosure(s).blocking.map((b) => b.studentId)).toEqual(['x']);
	});

	it('ignores events of other groups and other days', () => {
		const s = fold(['a'], {
			marks: [
				f.makeMark('a', 'present', { groupId: 'svc-3-2' }),
				f.makeMark('a', 'present', { date: '2026-11-27' })
			]
		});
		expect(status(s, 'a')).toBe('expected');
	});
});

describe('handover between groups (two devices, one document in both databases)', () => {
	const handover = f.makeHandover('a', { at: T(60) });
	const arrival = f.makeArrival('a', {
		groupId: 'club-weiqi',
		handoverId: handover.id,
		fromGroupId: G,
		at: T(65)
	});

	it('the sender sees handed over, unconfirmed until the club records the arrival', () => {
		const before = fold(['a'], { marks: [f.makeMark('a', 'present')], handovers: [handover] });
		expect(before.get('a')).toMatchObject({
			status: 'handed-over',
			flags: ['handover-unconfirmed']
		});
		const after = fold(['a'], {
			marks: [f.makeMark('a', 'present')],
			handovers: [handover],
			arrivals: [arrival] // mirrored back from the club's database
		});
		expect(after.get('a')).toMatchObject({ status: 'handed-over', flags: [] });
		expect(sessionClosure(after).canClose).toBe(true);
	});

	it('the club sees the child incoming, then present, then must release them', () => {
		const club = (events: SessionEvents) =>
			foldSession({ groupId: 'club-weiqi', date: DATE, expected: ['a', 'z'], events });
		const incoming = club({ handovers: [handover] }); // mirrored from the service class
		expect(incoming.get('a')).toMatchObject({ status: 'expected', flags: ['incoming'] });
		const arrived = club({ handovers: [handover], arrivals: [arrival] });
		expect(arrived.get('a')?.status).toBe('present');
		expect(arrived.get('a')?.flags).toEqual([]);
		expect(sessionClosure(arrived).blocking.map((b) => b.studentId)).toEqual(['a', 'z']);
	});

	it('a child handed to the club and back is incoming again, then present, then must go home', () => {
		const back = f.makeHandover('a', {
			groupId: 'club-weiqi',
			to: { kind: 'group', groupId: G },
			at: T(120)
		});
		const home = (events: SessionEvents) => fold(['a'], events);
		const out = { marks: [f.makeMark('a', 'present')], handovers: [handover], arrivals: [arrival] };
		const returning = home({ ...out, handovers: [handover, back] });
		expect(returning.get('a')).toMatchObject({ status: 'expected', flags: ['incoming'] });
		expect(sessionClosure(returning).canClose).toBe(false);
		const again = f.makeArrival('a', {
			handoverId: back.id,
			fromGroupId: 'club-weiqi',
			at: T(125)
		});
		const arrived = home({ ...out, handovers: [handover, back], arrivals: [arrival, again] });
		expect(arrived.get('a')).toMatchObject({ status: 'present', flags: [] });
		expect(sessionClosure(arrived).blocking).toEqual([
			{ studentId: 'a', status: 'present', why: 'still-present' }
		]);
		// A leave notice for the day does not hide a child who was here and is coming back.
		const notice = f.makeLeave('a');
		const withNotice = home({ ...out, handovers: [handover, back], leaves: [notice] });
		expect(withNotice.get('a')?.status).toBe('expected');
		expect(withNotice.get('a')?.flags).toContain('leave-notice-while-present');
		// The club sees its handover back confirmed once the arrival is mirrored to it.
		const club = foldSession({
			groupId: 'club-weiqi',
			date: DATE,
			expected: ['a'],
			events: { handovers: [handover, back], arrivals: [arrival, again] }
		});
		expect(club.get('a')).toMatchObject({ status: 'handed-over', flags: [] });
	});

	it('a group without a roster (extended care) receives children without flagging them', () => {
		const ext = (events: SessionEvents) =>
			foldSession({ groupId: 'club-weiqi', date: DATE, expected: [], events });
		expect(ext({ handovers: [handover] }).get('a')).toMatchObject({
			status: 'expected',
			expected: false,
			flags: ['incoming']
		});
		expect(tallySession(ext({ handovers: [handover] }))).toMatchObject({ expected: 1, waiting: 1 });
		const arrived = ext({ handovers: [handover], arrivals: [arrival] });
		expect(arrived.get('a')).toMatchObject({ status: 'present', flags: [] });
		expect(tallySession(arrived)).toMatchObject({ expected: 1, present: 1 });
		expect(sessionClosure(arrived).blocking.map((b) => b.studentId)).toEqual(['a']);
	});

	it('a gate release mirrored into the group closes a child handed to the gate', () => {
		const toGate = f.makeHandover('a', {
			at: T(100),
			to: { kind: 'gate' },
			gate: { studentName: '林小禾', className: '三(1)班', pickups: [] }
		});
		const atGate = f.makeRelease('a', {
			at: T(110),
			place: 'gate',
			handoverId: toGate.id,
			author: 'gate'
		});
		const s = fold(['a'], {
			marks: [f.makeMark('a', 'present')],
			handovers: [toGate],
			releases: [atGate]
		});
		expect(s.get('a')).toMatchObject({ status: 'released', release: { place: 'gate' }, flags: [] });
	});
});

describe('sessionClosure and tallySession', () => {
	it('lists every child blocking the close, and tallies the day', () => {
		const s = fold(['a', 'b', 'c', 'd', 'e'], {
			marks: [
				f.makeMark('a', 'present'),
				f.makeMark('b', 'present'),
				f.makeMark('c', 'absent'),
				f.makeMark('d', 'present')
			],
			releases: [f.makeRelease('b')],
			handovers: [f.makeHandover('d')]
		});
		expect(sessionClosure(s)).toMatchObject({
			canClose: false,
			blocking: [
				{ studentId: 'a', why: 'still-present' },
				{ studentId: 'e', why: 'not-marked' }
			]
		});
		expect(tallySession(s)).toEqual({
			expected: 5,
			waiting: 1,
			present: 1,
			absent: 1,
			leave: 0,
			handedOver: 1,
			released: 1
		});
	});

	it('closes an empty session', () => {
		expect(sessionClosure(fold([], {})).canClose).toBe(true);
	});
});
