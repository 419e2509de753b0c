// Pure assembly of one group's session from the day's documents: who is expected, each
// child's state, the tallies and whether the session may close. The rules themselves
// live in the domain (`foldSession`, `sessionClosure`); this only wires inputs.
import {
	authorisedPickups,
	calendarDay,
	foldSession,
	isMemberOn,
	membershipPeriods,
	sessionClosure,
	sessionSlots,
	tallySession,
	type CalendarDay,
	type ChildState,
	type Pickup,
	type SessionClosure,
	type SessionTally,
	type Slot
} from '$lib/domain';
import type { StudentRow } from '$lib/db/read-model';
import type { DayData } from './afternoon.repository';

export interface SessionView {
	day: CalendarDay | null;
	slots: Slot[];
	/** Children listed on the sheet: expected ones, then any others with events today. */
	children: Array<{
		student: StudentRow | undefined;
		/** Name and class from a handover, for a child whose card this group does not hold. */
		visitor?: { name: string; className: string };
		studentId: string;
		state: ChildState;
	}>;
	tally: SessionTally;
	closure: SessionClosure;
	pickupsFor(studentId: string): Pickup[];
}

/**
 * Members on the date. A group whose roster came without enrollment history (cards only)
 * counts its cards as members, so an imported roster works from the first afternoon.
 */
export function membersOn(groupId: string, date: string, data: DayData): string[] {
	if (data.enrollments.length === 0) return data.students.map((s) => s.id).sort();
	return [...membershipPeriods(data.enrollments, groupId)]
		.filter(([, periods]) => isMemberOn(periods, date))
		.map(([id]) => id)
		.sort();
}

/**
 * Children still in the group once the service has ended: listed prominently, never
 * signed out automatically. Empty before the end time or on a day without a term.
 */
export function stillHereAfterEnd(view: SessionView, serviceEnd: string | undefined, now: string) {
	if (!serviceEnd || now < serviceEnd) return [];
	return view.children.filter((c) => c.state.status === 'present');
}

export function buildSessionView(groupId: string, date: string, data: DayData): SessionView {
	const day = data.term ? calendarDay(data.term, date) : null;
	const expected = membersOn(groupId, date, data);
	const states = foldSession({
		groupId,
		date,
		expected,
		events: {
			marks: data.marks,
			arrivals: data.arrivals,
			leaves: data.leaves,
			handovers: data.handovers,
			releases: data.releases
		}
	});
	const byId = new Map(data.students.map((s) => [s.id, s]));
	// A child handed over from another group may have no card here: the handover names them.
	const visitors = new Map<string, { name: string; className: string }>();
	for (const h of data.handovers) {
		if (h.child && h.to.kind === 'group' && h.to.groupId === groupId) {
			visitors.set(h.studentId, { name: h.child.studentName, className: h.child.className });
		}
	}
	// A child taken in off the list is named by the arrival that took them in.
	for (const a of data.arrivals) {
		if (a.unlisted && a.groupId === groupId) {
			visitors.set(a.studentId, { name: a.unlisted.studentName, className: a.unlisted.className });
		}
	}
	return {
		day,
		slots: day ? sessionSlots(groupId, day, data.slots) : [],
		children: [...states.values()].map((state) => ({
			student: byId.get(state.studentId),
			visitor: byId.has(state.studentId) ? undefined : visitors.get(state.studentId),
			studentId: state.studentId,
			state
		})),
		tally: tallySession(states),
		closure: sessionClosure(states),
		pickupsFor: (studentId) => authorisedPickups(data.pickups, studentId, date)
	};
}
