// Roll call (点名考勤): the only writer of mark events, and the live queries the roll
// screens read. A tap is one new event; changing a mark supersedes the previous one.
import { localStore } from '$lib/db/local-store';
import { Live } from '$lib/db/live.svelte';
import { newEventId } from '$lib/db/ids';
import { readModel, type GroupRow } from '$lib/db/read-model';
import { groupDb, markSchema, type Mark, type MarkStatus } from '$lib/domain';

export interface MarkInput {
	studentId: string;
	status: MarkStatus;
	/** For `late`: when the child arrived, if not now. */
	arrivedAt?: string;
	/** Why: required by the sheet for a correction or a leave. */
	reason?: string;
	/** The mark this one replaces, if the child already had one. */
	supersedes?: string;
}

export interface Author {
	name: string;
	schoolId: string;
}

/** Writes one mark per input in a single batch; resolves when they are on screen. */
export async function recordMarks(
	author: Author,
	groupId: string,
	date: string,
	inputs: readonly MarkInput[]
): Promise<void> {
	if (inputs.length === 0) return;
	const deviceId = await localStore.deviceId();
	const at = new Date().toISOString();
	const docs = inputs.map((input) => {
		const id = newEventId();
		const mark: Mark = markSchema.parse({
			_id: `mark:${id}`,
			type: 'mark',
			id,
			groupId,
			studentId: input.studentId,
			date,
			status: input.status,
			...(input.status === 'late' ? { arrivedAt: input.arrivedAt ?? at } : {}),
			...(input.reason ? { reason: input.reason } : {}),
			at,
			deviceId,
			author: author.name,
			...(input.supersedes ? { supersedes: input.supersedes } : {})
		});
		return mark;
	});
	await localStore.write(groupDb(author.schoolId, groupId), docs);
}

export const groupsLive = (ids: readonly string[] | 'all') =>
	new Live<GroupRow[]>(async () => {
		const rows =
			ids === 'all'
				? await readModel.groups.toArray()
				: await readModel.groups.bulkGet([...ids]).then((r) => r.filter((g) => !!g));
		return rows.sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
	});

export const groupLive = (groupId: string) =>
	new Live<GroupRow | null>(async () => (await readModel.groups.get(groupId)) ?? null);

/** Staff display names by account name, from the school directory, for histories. */
export const staffNamesLive = () =>
	new Live<Map<string, string>>(async () => {
		const staff = await readModel.docs.where('type').equals('staff').toArray();
		return new Map(
			staff
				.filter((s) => typeof s.userName === 'string' && typeof s.name === 'string')
				.map((s) => [s.userName as string, s.name as string])
		);
	});
