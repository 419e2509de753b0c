// The care log's form as plain data (看护记录): one line per child who was here today
// (homework defaults to done, a tap changes it, a note where needed), what the group did,
// safety notes, a summary and photos; an amendment starts from the log it replaces. Pure.
import { HOMEWORK_STATES, type ActivityKind, type CareLog, type ChildState } from '$lib/domain';
import type { EncodedPhoto } from '$lib/features/photos/photo-files';

export type HomeworkState = (typeof HOMEWORK_STATES)[number];

export interface CareLogLine {
	studentId: string;
	homework: HomeworkState;
	note: string;
}

export interface CareLogInput {
	activities: ActivityKind[];
	children: CareLogLine[];
	safetyNotes: string;
	summary: string;
	photos: EncodedPhoto[];
	/** An amendment of a written log: the log it replaces and why. */
	amend?: { supersedes: string; reason: string };
}

/** Was this child with the group at some point today (so has a homework line)? */
export function wasHere(state: ChildState): boolean {
	if (state.status === 'present') return true;
	if (state.status === 'released' || state.status === 'handed-over') {
		return !state.flags.includes('departed-without-present');
	}
	return false;
}

/** The next homework state on a tap: done → partial → not done → none set → done. */
export function nextHomework(h: HomeworkState): HomeworkState {
	return HOMEWORK_STATES[(HOMEWORK_STATES.indexOf(h) + 1) % HOMEWORK_STATES.length];
}

/**
 * Lines for the children who were here, in the given order: from the log being amended
 * where it has a line for the child, else homework done and no note.
 */
export function initialLines(
	children: ReadonlyArray<{ studentId: string; state: ChildState }>,
	previous?: CareLog
): CareLogLine[] {
	const before = new Map((previous?.children ?? []).map((c) => [c.studentId, c]));
	const here = children.filter((c) => wasHere(c.state)).map((c) => c.studentId);
	// An amendment keeps lines of children the fold no longer counts as here (rare).
	const ids = [...here, ...[...before.keys()].filter((id) => !here.includes(id))];
	return ids.map((studentId) => ({
		studentId,
		homework: before.get(studentId)?.homework ?? 'done',
		note: before.get(studentId)?.note ?? ''
	}));
}

export function homeworkCounts(lines: readonly { homework?: HomeworkState }[]) {
	const counts: Record<HomeworkState, number> = {
		done: 0,
		partial: 0,
		'not-done': 0,
		'none-set': 0
	};
	for (const l of lines) if (l.homework) counts[l.homework]++;
	return counts;
}
