// Reading a record's photos: from the local replica of the group's database (never from
// the read model, which holds no attachment bodies), as Blobs for object URLs.
import { localStore } from '$lib/db/local-store';
import { groupDb } from '$lib/domain';

export interface PhotoRef {
	schoolId: string;
	groupId: string;
	docId: string;
	name: string;
}

export function loadPhoto(ref: PhotoRef): Promise<Blob> {
	return localStore.attachment(groupDb(ref.schoolId, ref.groupId), ref.docId, ref.name);
}

/** Every photo of a record, for an amendment that keeps them. */
export function loadPhotos(
	ref: Omit<PhotoRef, 'name'>,
	names: readonly string[]
): Promise<Array<{ name: string; blob: Blob }>> {
	return Promise.all(
		names.map(async (name) => ({ name, blob: await loadPhoto({ ...ref, name }) }))
	);
}
