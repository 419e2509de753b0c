// Membership of groups over time, folded from enrollment events, and the 45-cap.
// A period is [from, until): `until` is the first day no longer a member.
import type { Group } from './reference.schema';
import { SERVICE_CLASS_CAP } from './reference.schema';
import type { Enrollment } from './session.schema';
import { liveEvents } from './events';
import { compareEvents } from './roll';

export interface MembershipPeriod {
	from: string;
	/** First day no longer in the group; open-ended when absent. */
	until?: string;
}

/**
 * Each child's periods in one group, from that group's enrollment events. Applied in
 * order of effective date (then time, id): a `join` while already a member and a `leave`
 * while not one change nothing; a leave effective on or before the join's day erases that
 * period (the child never attended).
 */
export function membershipPeriods(
	events: readonly Enrollment[],
	groupId: string
): Map<string, MembershipPeriod[]> {
	const ordered = liveEvents(events.filter((e) => e.groupId === groupId)).sort((a, b) =>
		a.effective < b.effective ? -1 : a.effective > b.effective ? 1 : compareEvents(a, b)
	);
	const out = new Map<string, MembershipPeriod[]>();
	for (const e of ordered) {
		const periods = out.get(e.studentId) ?? [];
		const open = periods.at(-1);
		const isOpen = !!open && open.until === undefined;
		if (e.action === 'join' && !isOpen) periods.push({ from: e.effective });
		if (e.action === 'leave' && isOpen) {
			if (e.effective <= open.from) periods.pop();
			else open.until = e.effective;
		}
		out.set(e.studentId, periods);
	}
	return out;
}

export function isMemberOn(
	periods: readonly MembershipPeriod[] | undefined,
	date: string
): boolean {
	return !!periods?.some((p) => p.from <= date && (p.until === undefined || date < p.until));
}

/** The children in the group on `date`, sorted by id. */
export function membersOn(
	periods: ReadonlyMap<string, readonly MembershipPeriod[]>,
	date: string
): string[] {
	return [...periods]
		.filter(([, ps]) => isMemberOn(ps, date))
		.map(([id]) => id)
		.sort();
}

export interface CapacityCheck {
	ok: boolean;
	/** The binding limit: the group's capacity, and never more than 45 for a service class. */
	limit: number;
	count: number;
	over: number;
}

/** May the group hold `count` children? (每班班额原则上不超过45人.) */
export function checkCapacity(
	group: Pick<Group, 'kind' | 'capacity'>,
	count: number
): CapacityCheck {
	const limit =
		group.kind === 'service' ? Math.min(group.capacity, SERVICE_CLASS_CAP) : group.capacity;
	const over = Math.max(0, count - limit);
	return { ok: over === 0, limit, count, over };
}
