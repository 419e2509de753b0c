// A group's incident reports (事故/事件报告): read live from the read model with the
// group's children (to pick and to name them), written as new events. The office sees
// them through `attentionLive` (afternoon.repository.ts).
import { Live } from '$lib/db/live.svelte';
import { readModel, type StudentRow } from '$lib/db/read-model';
import { currentIncidents, type Incident } from '$lib/domain';
import { recordEvents, type Writer } from '$lib/features/afternoon/afternoon.repository';

export interface IncidentsView {
	incidents: Incident[];
	/** The group's children by student number, to pick those involved. */
	students: StudentRow[];
}

export const incidentsLive = (groupId: string) =>
	new Live<IncidentsView>(async () => {
		const [incidents, students] = await Promise.all([
			readModel.docs.where('[type+groupId]').equals(['incident', groupId]).toArray(),
			readModel.students.where('groupId').equals(groupId).toArray()
		]);
		return {
			incidents: currentIncidents(incidents as unknown as Incident[]),
			students: students.sort((a, b) => a.studentNo.localeCompare(b.studentNo))
		};
	});

export function saveIncident(
	writer: Writer,
	body: Record<string, unknown> & { type: string }
): Promise<void> {
	return recordEvents(writer, [body]);
}
