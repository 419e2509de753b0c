// A group's weekly activity records (活动记录): read live from the read model (the
// records' fields and photo names; the photos themselves stay in the replica), written as
// new events through the afternoon's writer, photos attached to the same document.
import { Live } from '$lib/db/live.svelte';
import { readModel } from '$lib/db/read-model';
import { currentActivityRecords, type ActivityRecord, type Slot } from '$lib/domain';
import { recordEvents, type Writer } from '$lib/features/afternoon/afternoon.repository';
import { timetableKinds } from './activity-form';

export interface ActivityRecordsView {
	/** Records that count (amendments replace what they supersede), newest week first. */
	records: ActivityRecord[];
	/** The kinds of the group's timetable, the form's default. */
	defaultKinds: ActivityRecord['activities'];
}

export const activityRecordsLive = (groupId: string) =>
	new Live<ActivityRecordsView>(async () => {
		const [records, slots] = await Promise.all([
			readModel.docs.where('[type+groupId]').equals(['activity-record', groupId]).toArray(),
			readModel.docs.where('[type+groupId]').equals(['slot', groupId]).toArray()
		]);
		const kinds = timetableKinds(slots as unknown as Slot[]);
		return {
			records: currentActivityRecords(records as unknown as ActivityRecord[]),
			defaultKinds: kinds.length ? kinds : ['homework']
		};
	});

export function saveActivityRecord(
	writer: Writer,
	body: Record<string, unknown> & { type: string }
): Promise<void> {
	return recordEvents(writer, [body]);
}
