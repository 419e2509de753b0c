// The incident report's form as plain data (事故/事件报告): what is missing, and the event
// body it writes. Times are entered as the school's local time (Asia/Shanghai). Pure.
import type { Incident, IncidentKind } from '$lib/domain';

export interface IncidentInput {
	kind: IncidentKind | null;
	/** `HH:MM`, school time, on the report's date. */
	time: string;
	studentIds: string[];
	description: string;
	actions: string;
	parentsInformed: boolean;
	parentsTime: string;
	followUp: string;
}

export type IncidentProblem =
	'kind' | 'time' | 'children' | 'description' | 'actions' | 'parentsTime' | 'reason';

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const SCHOOL_OFFSET = '+08:00';

/** The instant of a school-time `HH:MM` on a date. */
export function instantOf(date: string, time: string): string {
	return new Date(`${date}T${time}:00${SCHOOL_OFFSET}`).toISOString();
}

/** `HH:MM` in school time of an instant. */
export function timeOf(instant: string | Date): string {
	return new Intl.DateTimeFormat('en-GB', {
		hour: '2-digit',
		minute: '2-digit',
		hourCycle: 'h23',
		timeZone: 'Asia/Shanghai'
	}).format(new Date(instant));
}

export function emptyIncident(now: Date): IncidentInput {
	return {
		kind: null,
		time: timeOf(now),
		studentIds: [],
		description: '',
		actions: '',
		parentsInformed: false,
		parentsTime: timeOf(now),
		followUp: ''
	};
}

export function incidentFrom(i: Incident): IncidentInput {
	return {
		kind: i.kind,
		time: timeOf(i.occurredAt),
		studentIds: [...i.studentIds],
		description: i.description,
		actions: i.actions,
		parentsInformed: i.parentsInformed,
		parentsTime: i.parentsInformedAt ? timeOf(i.parentsInformedAt) : timeOf(i.occurredAt),
		followUp: i.followUp ?? ''
	};
}

export function incidentProblems(
	input: IncidentInput,
	amend?: { reason: string }
): IncidentProblem[] {
	const out: IncidentProblem[] = [];
	if (!input.kind) out.push('kind');
	if (!HHMM.test(input.time)) out.push('time');
	if (input.studentIds.length === 0) out.push('children');
	if (!input.description.trim()) out.push('description');
	if (!input.actions.trim()) out.push('actions');
	if (input.parentsInformed && !HHMM.test(input.parentsTime)) out.push('parentsTime');
	if (amend && !amend.reason.trim()) out.push('reason');
	return out;
}

/** The body to write; call only when `incidentProblems` is empty. */
export function incidentBody(
	groupId: string,
	date: string,
	input: IncidentInput,
	amend?: { supersedes: string; reason: string }
): Record<string, unknown> & { type: string } {
	return {
		type: 'incident',
		groupId,
		date,
		occurredAt: instantOf(date, input.time),
		kind: input.kind ?? 'other',
		studentIds: [...new Set(input.studentIds)],
		description: input.description.trim(),
		actions: input.actions.trim(),
		parentsInformed: input.parentsInformed,
		...(input.parentsInformed ? { parentsInformedAt: instantOf(date, input.parentsTime) } : {}),
		...(input.followUp.trim() ? { followUp: input.followUp.trim() } : {}),
		...(amend ? { supersedes: amend.supersedes, reason: amend.reason.trim() } : {})
	};
}
