// The afternoon of one group (课后服务的一个下午): everything the session screens read,
// as one live query over the read model, and the writers for the events a teacher makes
// (arrivals, handovers, releases, care logs). Every write is one new event document,
// validated with the shared schemas and routed to its home database by the domain.
import { Live } from '$lib/db/live.svelte';
import { localStore } from '$lib/db/local-store';
import { newEventId } from '$lib/db/ids';
import { readModel, type DocRow, type MarkRow, type StudentRow } from '$lib/db/read-model';
import { buildSessionView } from './session-view';
import {
	homeDb,
	incidentsForOffice,
	validateDoc,
	type Arrival,
	type CareLog,
	type Enrollment,
	type Handover,
	type Incident,
	type Leave,
	type Pickup,
	type Release,
	type Slot,
	type Term
} from '$lib/domain';

export interface DayData {
	students: StudentRow[];
	marks: MarkRow[];
	enrollments: Enrollment[];
	pickups: Pickup[];
	arrivals: Arrival[];
	handovers: Handover[];
	releases: Release[];
	leaves: Leave[];
	careLogs: CareLog[];
	slots: Slot[];
	term: Term | null;
}

const ofType = <T>(rows: DocRow[], type: string) =>
	rows.filter((r) => r.type === type) as unknown as T[];

/** Everything one group's session needs for one date, live. */
export const dayLive = (groupId: string, date: string) =>
	new Live<DayData>(() => loadDay(groupId, date));

/** Reads one group's day from the read model (inside a live query, every read is watched). */
export async function loadDay(groupId: string, date: string): Promise<DayData> {
	const [students, marks, concerning, terms, school] = await Promise.all([
		readModel.students.where('groupId').equals(groupId).toArray(),
		readModel.markDays.get([groupId, date]).then((day) => day?.marks ?? []),
		// The day's events (their group-day row) and the group's undated documents, not a
		// term of releases.
		Promise.all([
			readModel.dayDocs.get([groupId, date]).then((day) => day?.docs ?? []),
			readModel.docs.where('kGroupDays').equals(`${groupId}|`).toArray()
		]).then(([day, undated]) => [...day, ...undated]),
		readModel.docs.where('type').equals('term').toArray(),
		readModel.docs.get('school')
	]);
	const today = concerning.filter((r) => r.date === date);
	const currentTermId = (school as { currentTermId?: string } | undefined)?.currentTermId;
	const term = (terms.find((t) => t._id === `term:${currentTermId}`) ??
		terms.find((t) => String(t.start) <= date && date <= String(t.end)) ??
		null) as unknown as Term | null;
	return {
		students,
		marks,
		enrollments: ofType<Enrollment>(concerning, 'enrollment'),
		pickups: ofType<Pickup>(concerning, 'pickup'),
		arrivals: ofType<Arrival>(today, 'arrival'),
		handovers: ofType<Handover>(today, 'handover'),
		releases: ofType<Release>(today, 'release'),
		leaves: ofType<Leave>(concerning, 'leave').filter(
			(l) => l.firstDay <= date && date <= l.lastDay
		),
		careLogs: ofType<CareLog>(today, 'care-log'),
		slots: ofType<Slot>(concerning, 'slot'),
		term
	};
}

/** Other groups of the school, as handover destinations. */
export const otherGroupsLive = (groupId: string) =>
	new Live(async () =>
		(await readModel.groups.toArray())
			.filter((g) => g.id !== groupId)
			.sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'))
	);

export interface Writer {
	name: string;
	schoolId: string;
}

type EventBody = Record<string, unknown> & { type: string };

/**
 * Writes new events: adds the envelope (id, time, device, author), validates each with
 * the shared schema, and stores them in their home database. Resolves once on screen.
 */
export async function recordEvents(writer: Writer, bodies: readonly EventBody[]): Promise<void> {
	if (bodies.length === 0) return;
	const deviceId = await localStore.deviceId();
	const at = new Date().toISOString();
	const byDb = new Map<string, Record<string, unknown>[]>();
	for (const body of bodies) {
		const id = newEventId();
		const doc = { ...body, _id: `${body.type}:${id}`, id, at, deviceId, author: writer.name };
		const checked = validateDoc(doc);
		if (!checked.ok) throw new Error(checked.reason);
		const db = homeDb(writer.schoolId, doc as never);
		if (!db) throw new Error(`no database for ${body.type}`);
		byDb.set(db, [...(byDb.get(db) ?? []), doc]);
	}
	for (const [db, docs] of byDb) await localStore.write(db, docs as never);
}

export interface AttentionItem {
	groupId: string;
	studentId: string;
	name: string;
	/** 'absent-unexcused', a session flag worth the office's look, or 'incident'. */
	kind: string;
	/** For an incident: its id (several may name the same child) and its kind. */
	incidentId?: string;
	incidentKind?: Incident['kind'];
}

/**
 * What the office should look at today across groups: incident reports of the last week
 * (INCIDENT_ATTENTION_DAYS), absences without a leave notice, releases to adults not on
 * the list, departures without a present mark. Computed with the same folds as the
 * teacher's screens, from the same read model.
 */
export const attentionLive = (groupIds: readonly string[], date: string) =>
	new Live<AttentionItem[]>(async () => {
		const items: AttentionItem[] = [];
		for (const groupId of groupIds) {
			const data = await loadDay(groupId, date);
			const view = buildSessionView(groupId, date, data);
			const incidents = (await readModel.docs
				.where('[type+groupId]')
				.equals(['incident', groupId])
				.toArray()) as unknown as Incident[];
			for (const incident of incidentsForOffice(incidents, date)) {
				const names = incident.studentIds.map(
					(id) => data.students.find((s) => s.id === id)?.name ?? id
				);
				items.push({
					groupId,
					studentId: incident.studentIds[0],
					name: names.join('、'),
					kind: 'incident',
					incidentId: incident.id,
					incidentKind: incident.kind
				});
			}
			for (const { studentId, student, visitor, state } of view.children) {
				const name = student?.name ?? visitor?.name ?? studentId;
				if (state.status === 'absent' && !state.leave) {
					items.push({ groupId, studentId, name, kind: 'absent-unexcused' });
				}
				for (const flag of state.flags) {
					if (
						flag === 'release-override' ||
						flag === 'departed-without-present' ||
						flag === 'not-expected'
					) {
						items.push({ groupId, studentId, name, kind: flag });
					}
				}
			}
		}
		return items;
	});
