// The events one action on the sheet writes, as plain bodies (the repository adds the
// envelope: id, time, device, author). Pure, so every branch is unit-tested.
import { WALK_IN_PREFIX, type ChildState, type Pickup, type Relation } from '$lib/domain';
import type { StudentRow } from '$lib/db/read-model';
import { photoFields } from '$lib/features/photos/photo-files';
import type { CareLogInput } from './care-log-form';

export type { CareLogInput } from './care-log-form';

export interface SessionKey {
	groupId: string;
	date: string;
}

type Body = Record<string, unknown> & { type: string };

export function releaseBody(k: SessionKey, studentId: string, pickup: Pickup): Body {
	return {
		type: 'release',
		groupId: k.groupId,
		studentId,
		date: k.date,
		place: 'group',
		adult: { name: pickup.name, relation: pickup.relation },
		pickupId: pickup.id
	};
}

/** An adult without an authorisation: recorded only with a note, and flagged. */
export function overrideBody(
	k: SessionKey,
	studentId: string,
	adult: { name: string; relation: Relation; note: string }
): Body {
	return {
		type: 'release',
		groupId: k.groupId,
		studentId,
		date: k.date,
		place: 'group',
		adult: { name: adult.name, relation: adult.relation },
		override: { note: adult.note }
	};
}

/** Who a child is, for the receiving side: from the card, or as a visitor was named. */
export interface ChildId {
	student: StudentRow | undefined;
	visitor?: { name: string; className: string };
}

function named(c: ChildId | undefined) {
	if (c?.student) return { studentName: c.student.name, className: c.student.className };
	if (c?.visitor) return { studentName: c.visitor.name, className: c.visitor.className };
	return undefined;
}

export function handoverBody(
	k: SessionKey,
	studentId: string,
	to: { kind: 'group'; groupId: string } | { kind: 'gate' },
	packet?: ChildId & { pickups: Pickup[] }
): Body {
	const who = named(packet);
	return {
		type: 'handover',
		groupId: k.groupId,
		studentId,
		date: k.date,
		to,
		...(to.kind === 'group' && who ? { child: who } : {}),
		...(to.kind === 'gate'
			? {
					gate: {
						studentName: who?.studentName ?? studentId,
						className: who?.className ?? '—',
						pickups: (packet?.pickups ?? []).map((p) => ({
							pickupId: p.id,
							name: p.name,
							relation: p.relation,
							...(p.photo ? { photo: p.photo } : {})
						}))
					}
				}
			: {})
	};
}

/** A reason for a leave marked by tap: a new leave mark that corrects the reasonless one. */
export function leaveReasonBody(
	k: SessionKey,
	studentId: string,
	reason: string,
	supersedes: string | undefined
): Body {
	return {
		type: 'mark',
		groupId: k.groupId,
		studentId,
		date: k.date,
		status: 'leave',
		reason,
		...(supersedes ? { supersedes } : {})
	};
}

/**
 * The care log that closes the session, or amends the one that did: a line per child who
 * was here (homework, and a note only where written), photos attached to the same event.
 */
export function careLogBody(k: SessionKey, log: CareLogInput): Body {
	const safetyNotes = log.safetyNotes.trim();
	const summary = log.summary.trim();
	return {
		type: 'care-log',
		groupId: k.groupId,
		date: k.date,
		activities: [...new Set(log.activities)],
		children: log.children.map((c) => ({
			studentId: c.studentId,
			homework: c.homework,
			...(c.note.trim() ? { note: c.note.trim() } : {})
		})),
		...(safetyNotes ? { safetyNotes } : {}),
		...(summary ? { summary } : {}),
		...photoFields(log.photos),
		...(log.amend ? { supersedes: log.amend.supersedes, reason: log.amend.reason.trim() } : {})
	};
}

/** The receiving teacher confirms a child handed over from another group has arrived. */
export function arrivalBody(
	k: SessionKey,
	studentId: string,
	handover: { id: string; groupId: string }
): Body {
	return {
		type: 'arrival',
		groupId: k.groupId,
		studentId,
		date: k.date,
		handoverId: handover.id,
		fromGroupId: handover.groupId
	};
}

/**
 * A child who is not on the list turned up (名单外): taken in under a made-up id, with the
 * name and class they give and the reason, so the office sees it and someone must still
 * release or hand them over.
 */
export function unlistedArrivalBody(
	k: SessionKey,
	walkInId: string,
	child: { studentName: string; className: string; reason: string }
): Body {
	return {
		type: 'arrival',
		groupId: k.groupId,
		studentId: `${WALK_IN_PREFIX}${walkInId}`,
		date: k.date,
		unlisted: { studentName: child.studentName.trim(), className: child.className.trim() },
		reason: child.reason.trim()
	};
}

/**
 * 延时托管: the children still here at the end go to the extended-care group, one handover
 * each (the receiving teacher confirms each arrival).
 */
export function extendedCareBodies(
	k: SessionKey,
	extendedGroupId: string,
	children: ReadonlyArray<ChildId & { studentId: string }>
): Body[] {
	return children.map((c) =>
		handoverBody(k, c.studentId, { kind: 'group', groupId: extendedGroupId }, { ...c, pickups: [] })
	);
}

/** Children whose tile may be tapped to change the roll-call mark. */
export function markable(state: ChildState): boolean {
	return state.status !== 'released' && state.status !== 'handed-over';
}
