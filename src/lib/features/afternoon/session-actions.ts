// The events one action on the sheet writes, as plain bodies (the repository adds the
// envelope: id, time, device, author). Pure, so every branch is unit-tested.
import type { ChildState, Pickup, Relation } from '$lib/domain';
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

export function handoverBody(
	k: SessionKey,
	studentId: string,
	to: { kind: 'group'; groupId: string } | { kind: 'gate' },
	gatePacket?: { student: StudentRow | undefined; pickups: Pickup[] }
): Body {
	return {
		type: 'handover',
		groupId: k.groupId,
		studentId,
		date: k.date,
		to,
		...(to.kind === 'group' && gatePacket?.student
			? {
					child: {
						studentName: gatePacket.student.name,
						className: gatePacket.student.className
					}
				}
			: {}),
		...(to.kind === 'gate'
			? {
					gate: {
						studentName: gatePacket?.student?.name ?? studentId,
						className: gatePacket?.student?.className ?? '—',
						pickups: (gatePacket?.pickups ?? []).map((p) => ({
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

/** Children whose tile may be tapped to change the roll-call mark. */
export function markable(state: ChildState): boolean {
	return state.status !== 'released' && state.status !== 'handed-over';
}
