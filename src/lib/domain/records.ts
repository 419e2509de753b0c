// Pure reads over a group's written records (care logs, activity records, incidents):
// which still count after amendments, in the order the screens show them.
import { lastEvent, liveEvents } from './events';
import { addDays } from './dates';
import type { ActivityRecord, CareLog, Incident } from './records.schema';

/** Activity records that still count, the latest week first (then the latest written). */
export function currentActivityRecords<T extends ActivityRecord>(records: readonly T[]): T[] {
	return liveEvents(records).sort(
		(a, b) =>
			b.weekOf.localeCompare(a.weekOf) || b.at.localeCompare(a.at) || b.id.localeCompare(a.id)
	);
}

/** Incidents that still count, the most recent first. */
export function currentIncidents<T extends Incident>(incidents: readonly T[]): T[] {
	return liveEvents(incidents).sort(
		(a, b) => b.occurredAt.localeCompare(a.occurredAt) || b.id.localeCompare(a.id)
	);
}

/** The care log of a session that counts now (the last amendment), if any. */
export function currentCareLog<T extends CareLog>(logs: readonly T[]): T | undefined {
	return lastEvent(liveEvents(logs));
}

/** How many days back the office is shown incidents on its attention list. */
export const INCIDENT_ATTENTION_DAYS = 7;

/** Incidents the office should see on `today`: current ones of the last week. */
export function incidentsForOffice<T extends Incident>(
	incidents: readonly T[],
	today: string,
	days = INCIDENT_ATTENTION_DAYS
): T[] {
	const from = addDays(today, 1 - days);
	return currentIncidents(incidents).filter((i) => from <= i.date && i.date <= today);
}
