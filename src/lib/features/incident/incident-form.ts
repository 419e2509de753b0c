// The incident report's form as plain data (事故/事件报告): what is missing, and the event
// body it writes. Times are entered as the school's local time (Asia/Shanghai). Pure.
import {
	schoolDate,
	schoolInstant,
	schoolTime,
	type Incident,
	type IncidentKind
} from '$lib/domain';

export interface IncidentInput {
	/** The school date it happened: today by default, or an earlier day reported late. */
	date: string;
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
	'date' | 'kind' | 'time' | 'children' | 'description' | 'actions' | 'parentsTime' | 'reason';

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const YMD = /^\d{4}-\d{2}-\d{2}$/;
export function emptyIncident(now: Date): IncidentInput {
	return {
		date: schoolDate(now),
		kind: null,
		time: schoolTime(now),
		studentIds: [],
		description: '',
		actions: '',
		parentsInformed: false,
		parentsTime: schoolTime(now),
		followUp: ''
	};
}

export function incidentFrom(i: Incident): IncidentInput {
	return {
		date: i.date,
		kind: i.kind,
		time: schoolTime(i.occurredAt),
		studentIds: [...i.studentIds],
		description: i.description,
		actions: i.actions,
		parentsInformed: i.parentsInformed,
		parentsTime: i.parentsInformedAt ? schoolTime(i.parentsInformedAt) : schoolTime(i.occurredAt),
		followUp: i.followUp ?? ''
	};
}

/** What is missing or wrong; `today` (the school date) bounds the report's date. */
export function incidentProblems(
	input: IncidentInput,
	amend?: { reason: string },
	today?: string
): IncidentProblem[] {
	const out: IncidentProblem[] = [];
	if (!YMD.test(input.date) || (today !== undefined && input.date > today)) out.push('date');
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
		occurredAt: schoolInstant(date, input.time),
		kind: input.kind ?? 'other',
		studentIds: [...new Set(input.studentIds)],
		description: input.description.trim(),
		actions: input.actions.trim(),
		parentsInformed: input.parentsInformed,
		...(input.parentsInformed ? { parentsInformedAt: schoolInstant(date, input.parentsTime) } : {}),
		...(input.followUp.trim() ? { followUp: input.followUp.trim() } : {}),
		...(amend ? { supersedes: amend.supersedes, reason: amend.reason.trim() } : {})
	};
}
