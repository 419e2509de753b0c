// Photos as they travel with a record: a name and JPEG bytes, turned into the inline
// attachments of the event document (base64, as CouchDB's JSON API carries them).
import { PHOTO_TYPE } from '$lib/domain';

export interface EncodedPhoto {
	name: string;
	/** The JPEG bytes, base64. */
	data: string;
}

/** The `photos` list and `_attachments` of a record body; empty when there are none. */
export function photoFields(photos: readonly EncodedPhoto[]): Record<string, unknown> {
	if (photos.length === 0) return {};
	return {
		photos: photos.map((p) => p.name),
		_attachments: Object.fromEntries(
			photos.map((p) => [p.name, { content_type: PHOTO_TYPE, data: p.data }])
		)
	};
}

/** A fresh photo name not among `taken`: photo-1.jpg, photo-2.jpg, … */
export function nextPhotoName(taken: readonly string[]): string {
	for (let n = 1; ; n++) {
		const name = `photo-${n}.jpg`;
		if (!taken.includes(name)) return name;
	}
}

export async function blobToBase64(blob: Blob): Promise<string> {
	const bytes = new Uint8Array(await blob.arrayBuffer());
	let binary = '';
	// In slices: String.fromCharCode with a whole photo as arguments overflows the stack.
	for (let i = 0; i < bytes.length; i += 0x8000) {
		binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
	}
	return btoa(binary);
}
