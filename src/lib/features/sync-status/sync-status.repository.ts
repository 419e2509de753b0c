// What the sync screens read: this device's records the server has not yet confirmed, and
// the directory names of the groups and 行政班 whose databases are listed.
import { Live } from '$lib/db/live.svelte';
import { localStore } from '$lib/db/local-store';
import { readModel } from '$lib/db/read-model';

export const outboxLive = () => new Live(() => localStore.outboxRows());

/** Names by `group:<id>` and `class:<id>`, as the school's directory writes them. */
export const placeNamesLive = () =>
	new Live<Map<string, string>>(async () => {
		const [groups, classes] = await Promise.all([
			readModel.groups.toArray(),
			readModel.docs.where('type').equals('admin-class').toArray()
		]);
		return new Map([
			...groups.map((g) => [`group:${g.id}`, g.name] as const),
			...classes.map(
				(c) => [`class:${c._id.slice('admin-class:'.length)}`, String(c.name ?? '')] as const
			)
		]);
	});
