// The weekly activity record's form as plain data: what is missing before it may be
// saved, and the event body it writes (the repository adds the envelope). Pure.
import type { ActivityKind, ActivityRecord, Slot } from '$lib/domain';
import { photoFields, type EncodedPhoto } from '$lib/features/photos/photo-files';

export interface ActivityInput {
	title: string;
	activities: ActivityKind[];
	content: string;
	highlights: string;
	studentWork: string;
}

export type ActivityProblem = 'title' | 'activities' | 'content' | 'reason';

/** An amendment replaces `supersedes` and must say why. */
export interface Amendment {
	supersedes: string;
	reason: string;
}

export function emptyActivity(defaults: ActivityKind[]): ActivityInput {
	return { title: '', activities: [...defaults], content: '', highlights: '', studentWork: '' };
}

/** The form filled from a saved record, to amend it. */
export function activityFrom(r: ActivityRecord): ActivityInput {
	return {
		title: r.title,
		activities: [...r.activities],
		content: r.content,
		highlights: r.highlights ?? '',
		studentWork: r.studentWork ?? ''
	};
}

/** The group's kinds of activity in its weekly timetable, in the order they first occur. */
export function timetableKinds(slots: readonly Slot[]): ActivityKind[] {
	const sorted = [...slots].sort((a, b) => a.weekday - b.weekday || a.start.localeCompare(b.start));
	return [...new Set(sorted.map((s) => s.activity))];
}

export function activityProblems(input: ActivityInput, amend?: Amendment): ActivityProblem[] {
	const out: ActivityProblem[] = [];
	if (!input.title.trim()) out.push('title');
	if (input.activities.length === 0) out.push('activities');
	if (!input.content.trim()) out.push('content');
	if (amend && !amend.reason.trim()) out.push('reason');
	return out;
}

export function activityRecordBody(
	groupId: string,
	weekOf: string,
	input: ActivityInput,
	photos: readonly EncodedPhoto[],
	amend?: Amendment
): Record<string, unknown> & { type: string } {
	const optional = (v: string) => (v.trim() ? v.trim() : undefined);
	const body: Record<string, unknown> & { type: string } = {
		type: 'activity-record',
		groupId,
		weekOf,
		title: input.title.trim(),
		activities: [...new Set(input.activities)],
		content: input.content.trim(),
		highlights: optional(input.highlights),
		studentWork: optional(input.studentWork),
		...photoFields(photos),
		...(amend ? { supersedes: amend.supersedes, reason: amend.reason.trim() } : {})
	};
	for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
	return body;
}
