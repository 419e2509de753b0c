// One child's afternoon in one group, as the events tell it: every mark, arrival, leave
// notice, handover and release of the day, oldest first, with who wrote it and when, and
// which entries a later correction replaced. Pure; the sheet shows it as the history.
import type { Arrival, Handover, Leave, Mark, MarkStatus, Release } from '$lib/domain';
import type { DayData } from './afternoon.repository';

export type HistoryEntry = {
	id: string;
	at: string;
	author: string;
	/** A later event names this one in `supersedes`. */
	superseded: boolean;
	/** This event withdraws the one it supersedes and says nothing of its own. */
	retracted: boolean;
	reason?: string;
} & (
	| { kind: 'mark'; status: MarkStatus; arrivedAt?: string; correction: boolean }
	| { kind: 'arrival'; fromGroupId?: string; unlisted: boolean }
	| { kind: 'leave'; cause: Leave['cause']; details?: string }
	| { kind: 'handover'; to: Handover['to'] }
	| { kind: 'release'; adult: Release['adult']; override: boolean }
);

type AnyEvent = Mark | Arrival | Leave | Handover | Release;

export function childHistory(data: DayData, groupId: string, studentId: string): HistoryEntry[] {
	const events: AnyEvent[] = [
		...data.marks.filter((m) => m.groupId === groupId && m.studentId === studentId),
		...data.arrivals.filter((a) => a.groupId === groupId && a.studentId === studentId),
		...data.leaves.filter((l) => l.studentId === studentId && l.groupIds.includes(groupId)),
		...data.handovers.filter(
			(h) =>
				h.studentId === studentId &&
				(h.groupId === groupId || (h.to.kind === 'group' && h.to.groupId === groupId))
		),
		...data.releases.filter((r) => r.groupId === groupId && r.studentId === studentId)
	] as AnyEvent[];
	const replaced = new Set(events.map((e) => e.supersedes).filter((id): id is string => !!id));
	return events
		.map((e): HistoryEntry => {
			const base = {
				id: e.id,
				at: e.at,
				author: e.author,
				superseded: replaced.has(e.id),
				retracted: e.retracted === true,
				...(e.reason?.trim() ? { reason: e.reason.trim() } : {})
			};
			switch (e.type) {
				case 'mark':
					return {
						...base,
						kind: 'mark',
						status: e.status,
						...(e.arrivedAt ? { arrivedAt: e.arrivedAt } : {}),
						correction: !!e.supersedes
					};
				case 'arrival':
					return {
						...base,
						kind: 'arrival',
						...(e.fromGroupId ? { fromGroupId: e.fromGroupId } : {}),
						unlisted: !!e.unlisted
					};
				case 'leave':
					return {
						...base,
						kind: 'leave',
						cause: e.cause,
						...(e.details ? { details: e.details } : {})
					};
				case 'handover':
					return { ...base, kind: 'handover', to: e.to };
				case 'release':
					return { ...base, kind: 'release', adult: e.adult, override: !!e.override };
			}
		})
		.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id < b.id ? -1 : 1));
}
