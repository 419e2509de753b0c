// The afternoon fold: who is expected in a group's session (应到), where each child is
// now (expected → present → handed over / released, or absent / on leave), and whether
// the session may close. Pure and deterministic over the events a group's database holds,
// mirrored ones included (see README.md).
//
// Safety invariants: a child someone has seen (a present mark or an arrival) stays the
// group's responsibility until a handover or release — a leave notice or a later mark
// cannot make them vanish; a handover or release is final against marks, whatever the
// device clocks say, and only a later arrival brings a child back.
import type { CalendarDay } from './calendar';
import { isMemberOn, type MembershipPeriod } from './enrollment';
import { lastEvent, liveEvents } from './events';
import type { Slot } from './reference.schema';
import type { Mark, MarkStatus } from './roll.schema';
import type { Arrival, Handover, Leave, Release } from './session.schema';

/** The group's timetable slots on a calendar day (none when there is no service). */
export function sessionSlots(groupId: string, day: CalendarDay, slots: readonly Slot[]): Slot[] {
	if (!day.service || day.timetableWeekday === undefined) return [];
	return slots
		.filter(
			(s) =>
				s.groupId === groupId &&
				s.weekday === day.timetableWeekday &&
				(!s.validFrom || s.validFrom <= day.date) &&
				(!s.validTo || day.date <= s.validTo)
		)
		.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

/**
 * 应到: the members on that date, if the group meets that day (a service day whose
 * timetable weekday has a slot for the group). Children on leave are still expected:
 * they are counted and shown as on leave, not dropped.
 */
export function expectedStudents(input: {
	groupId: string;
	day: CalendarDay;
	slots: readonly Slot[];
	periods: ReadonlyMap<string, readonly MembershipPeriod[]>;
}): string[] {
	if (sessionSlots(input.groupId, input.day, input.slots).length === 0) return [];
	return [...input.periods]
		.filter(([, ps]) => isMemberOn(ps, input.day.date))
		.map(([id]) => id)
		.sort();
}

export type ChildStatus = 'expected' | 'present' | 'absent' | 'leave' | 'handed-over' | 'released';

/** Statuses that end the group's responsibility for the day (with a reason for leave). */
export const FINAL_STATUSES: ReadonlySet<ChildStatus> = new Set([
	'absent',
	'leave',
	'handed-over',
	'released'
]);

export type SessionFlag =
	/**
	 * Events for a child not in the day's expected list (joined late? wrong group? taken in
	 * off the list?); a child another group handed over is not flagged.
	 */
	| 'not-expected'
	/** Released or handed over, but never marked present or seen arriving. */
	| 'departed-without-present'
	/** Released to an adult without a pickup authorisation. */
	| 'release-override'
	/** A leave notice covers the day, but the child was seen: they stay until released. */
	| 'leave-notice-while-present'
	/** On leave by a roll-call mark with no reason and no leave notice. */
	| 'leave-without-reason'
	/** Handed over to another group that has not yet recorded the arrival. */
	| 'handover-unconfirmed'
	/** Another group handed this child over to us and the arrival is not yet recorded. */
	| 'incoming';

export interface ChildState {
	studentId: string;
	status: ChildStatus;
	expected: boolean;
	/** Roll-call status behind `present`/`absent`/`leave`, when marked. */
	mark?: MarkStatus;
	/** Why the child is away: the leave notice's cause and details, or the mark's reason. */
	leave?: { cause?: Leave['cause']; details?: string; leaveId?: string };
	handover?: { id: string; to: Handover['to']; at: string };
	release?: {
		id: string;
		at: string;
		place: Release['place'];
		adult: Release['adult'];
		pickupId?: string;
	};
	flags: SessionFlag[];
}

export interface SessionEvents {
	marks?: readonly Mark[];
	arrivals?: readonly Arrival[];
	leaves?: readonly Leave[];
	handovers?: readonly Handover[];
	releases?: readonly Release[];
}

/** Each child's state in one group's session; expected children first, then the others. */
export function foldSession(input: {
	groupId: string;
	date: string;
	expected: readonly string[];
	events: SessionEvents;
}): Map<string, ChildState> {
	const { groupId, date, events } = input;
	const mine = <T extends { groupId: string; date: string }>(xs: readonly T[] = []) =>
		xs.filter((x) => x.groupId === groupId && x.date === date);
	const today = <T extends { date: string }>(xs: readonly T[] = []) =>
		xs.filter((x) => x.date === date);

	const marks = liveEvents(mine(events.marks));
	const allArrivals = liveEvents(today(events.arrivals));
	const arrivals = allArrivals.filter((a) => a.groupId === groupId);
	const allHandovers = liveEvents(today(events.handovers));
	const handovers = allHandovers.filter((h) => h.groupId === groupId);
	const releases = liveEvents(mine(events.releases));
	const leaves = liveEvents(events.leaves ?? []).filter(
		(l) => l.groupIds.includes(groupId) && l.firstDay <= date && date <= l.lastDay
	);
	/** Handovers someone has accepted: the receiving side's arrival names them. */
	const accepted = new Set(allArrivals.map((a) => a.handoverId).filter(Boolean));
	const incoming = allHandovers.filter(
		(h) => h.to.kind === 'group' && h.to.groupId === groupId && !accepted.has(h.id)
	);

	const expected = new Set(input.expected);
	const ids = [...input.expected];
	const seen = new Set(ids);
	for (const e of [...marks, ...arrivals, ...handovers, ...releases, ...incoming]) {
		if (!seen.has(e.studentId)) {
			seen.add(e.studentId);
			ids.push(e.studentId);
		}
	}

	const out = new Map<string, ChildState>();
	for (const studentId of ids) {
		const of = <T extends { studentId: string }>(xs: readonly T[]) =>
			xs.filter((x) => x.studentId === studentId);
		const childMarks = of(marks);
		const childArrivals = of(arrivals);
		const state: ChildState = {
			studentId,
			status: 'expected',
			expected: expected.has(studentId),
			flags: []
		};
		// A child another group handed over is expected by that handover, not out of place.
		const byHandover =
			incoming.some((h) => h.studentId === studentId) || childArrivals.some((a) => a.handoverId);
		if (!state.expected && !byHandover) state.flags.push('not-expected');

		const lastMark = lastEvent(childMarks);
		if (lastMark) state.mark = lastMark.status;
		const seenPresent =
			childArrivals.length > 0 ||
			childMarks.some((m) => m.status === 'present' || m.status === 'late');

		// Presence: the latest of marks and arrivals (an arrival counts as present).
		const presence = lastEvent<Mark | Arrival>([...childMarks, ...childArrivals]);
		if (presence) {
			const status = presence.type === 'arrival' ? 'present' : presence.status;
			state.status = status === 'late' ? 'present' : status;
			if (presence.type === 'mark' && presence.status === 'leave' && presence.reason?.trim()) {
				state.leave = { details: presence.reason };
			}
		}

		// Custody: the latest of arrivals, handovers and releases; a departure is final
		// against marks, and only a later arrival brings the child back.
		const custody = lastEvent<Arrival | Handover | Release>([
			...childArrivals,
			...of(handovers),
			...of(releases)
		]);
		if (custody?.type === 'handover') {
			state.status = 'handed-over';
			state.handover = { id: custody.id, to: custody.to, at: custody.at };
			if (custody.to.kind === 'group' && !accepted.has(custody.id)) {
				state.flags.push('handover-unconfirmed');
			}
		} else if (custody?.type === 'release') {
			state.status = 'released';
			state.release = {
				id: custody.id,
				at: custody.releasedAt ?? custody.at,
				place: custody.place,
				adult: custody.adult,
				...(custody.pickupId ? { pickupId: custody.pickupId } : {})
			};
			if (custody.override) state.flags.push('release-override');
		}
		if ((custody?.type === 'handover' || custody?.type === 'release') && !seenPresent) {
			state.flags.push('departed-without-present');
		}
		// Handed over and now handed back (service class → club → service class): the child
		// is coming back; the group is responsible again once it records the arrival.
		const returning =
			custody?.type === 'handover' &&
			incoming.some((h) => h.studentId === studentId && h.at > custody.at);
		if (returning) {
			state.status = 'expected';
			state.flags = state.flags.filter(
				(f) => f !== 'handover-unconfirmed' && f !== 'departed-without-present'
			);
		}

		const notice = lastEvent(of(leaves));
		if (notice) {
			const leave = {
				cause: notice.cause,
				leaveId: notice.id,
				...(notice.details ? { details: notice.details } : {})
			};
			if (
				(state.status === 'expected' && !returning) ||
				state.status === 'absent' ||
				state.status === 'leave'
			) {
				state.status = 'leave';
				state.leave = leave;
			} else if (seenPresent) {
				state.flags.push('leave-notice-while-present');
				state.leave = leave;
			}
		}
		if (state.status === 'leave' && !state.leave) state.flags.push('leave-without-reason');
		if (state.status === 'expected' && incoming.some((h) => h.studentId === studentId)) {
			state.flags.push('incoming');
		}
		out.set(studentId, state);
	}
	return out;
}

export type BlockingReason = 'not-marked' | 'still-present' | 'leave-without-reason';

export interface SessionClosure {
	canClose: boolean;
	/** Children without a final state, and why. */
	blocking: Array<{ studentId: string; status: ChildStatus; why: BlockingReason }>;
	/** Final but worth a look: overrides, departures without a present mark, … */
	attention: Array<{ studentId: string; flags: SessionFlag[] }>;
}

const INFO_ONLY: ReadonlySet<SessionFlag> = new Set(['leave-without-reason']);

/**
 * A session may close when every child has a final state: released, handed over,
 * absent, or on leave with a reason. Children not expected count too — if they were
 * marked present, someone must still release or hand them over.
 */
export function sessionClosure(states: ReadonlyMap<string, ChildState>): SessionClosure {
	const blocking: SessionClosure['blocking'] = [];
	const attention: SessionClosure['attention'] = [];
	for (const s of states.values()) {
		if (s.status === 'expected')
			blocking.push({ studentId: s.studentId, status: s.status, why: 'not-marked' });
		else if (s.status === 'present') {
			blocking.push({ studentId: s.studentId, status: s.status, why: 'still-present' });
		} else if (s.flags.includes('leave-without-reason')) {
			blocking.push({ studentId: s.studentId, status: s.status, why: 'leave-without-reason' });
		}
		const flags = s.flags.filter((f) => !INFO_ONLY.has(f));
		if (flags.length) attention.push({ studentId: s.studentId, flags });
	}
	return { canClose: blocking.length === 0, blocking, attention };
}

export interface SessionTally {
	/** 应到: children expected today, by enrollment or by another group's handover. */
	expected: number;
	/** Expected and not yet marked. */
	waiting: number;
	present: number;
	absent: number;
	leave: number;
	handedOver: number;
	released: number;
}

/** Counts per status for the session header; unexpected children count by status only. */
export function tallySession(states: ReadonlyMap<string, ChildState>): SessionTally {
	const t: SessionTally = {
		expected: 0,
		waiting: 0,
		present: 0,
		absent: 0,
		leave: 0,
		handedOver: 0,
		released: 0
	};
	for (const s of states.values()) {
		// 应到 includes children another group handed over (a group without a roster, such as
		// extended care, expects exactly those); only children out of place are left out.
		if (s.expected || !s.flags.includes('not-expected')) t.expected++;
		if (s.status === 'expected') t.waiting++;
		else if (s.status === 'handed-over') t.handedOver++;
		else t[s.status]++;
	}
	return t;
}
