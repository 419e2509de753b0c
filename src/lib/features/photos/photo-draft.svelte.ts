// The photos of a form not yet saved: compressed on arrival, previewed from object URLs,
// removable, and encoded for the record only when it is saved. Object URLs are revoked
// on removal and on `dispose` (the form's teardown), so previews do not leak memory.
import { PHOTO_MAX_BYTES } from '$lib/domain';
import { compressPhoto, PhotoError } from './compress';
import { blobToBase64, nextPhotoName, type EncodedPhoto } from './photo-files';

export interface DraftPhoto {
	name: string;
	blob: Blob;
	url: string;
}

export type PhotoProblem = 'unreadable' | 'too-large' | 'too-many';

export class PhotoDraft {
	items = $state.raw<DraftPhoto[]>([]);
	busy = $state(false);
	problem = $state<PhotoProblem | null>(null);

	constructor(readonly max: number) {}

	get full(): boolean {
		return this.items.length >= this.max;
	}

	/** Adds existing JPEGs (an amendment keeps the photos of the record it replaces). */
	keep(photos: ReadonlyArray<{ name: string; blob: Blob }>) {
		this.items = [
			...this.items,
			...photos.map((p) => ({ ...p, url: URL.createObjectURL(p.blob) }))
		].slice(0, this.max);
	}

	/** Compresses and adds camera pictures; those over the count are refused, not dropped silently. */
	async add(files: Iterable<File>) {
		this.problem = null;
		this.busy = true;
		try {
			for (const file of files) {
				if (this.full) {
					this.problem = 'too-many';
					break;
				}
				try {
					const blob = await compressPhoto(file, PHOTO_MAX_BYTES);
					const name = nextPhotoName(this.items.map((p) => p.name));
					this.items = [...this.items, { name, blob, url: URL.createObjectURL(blob) }];
				} catch (e) {
					this.problem = e instanceof PhotoError ? e.kind : 'unreadable';
				}
			}
		} finally {
			this.busy = false;
		}
	}

	remove(name: string) {
		const gone = this.items.find((p) => p.name === name);
		if (gone) URL.revokeObjectURL(gone.url);
		this.items = this.items.filter((p) => p.name !== name);
		this.problem = null;
	}

	encode(): Promise<EncodedPhoto[]> {
		return Promise.all(
			this.items.map(async (p) => ({ name: p.name, data: await blobToBase64(p.blob) }))
		);
	}

	/** Empties the draft after a save; the previews' URLs are released. */
	clear() {
		for (const p of this.items) URL.revokeObjectURL(p.url);
		this.items = [];
		this.problem = null;
	}

	dispose() {
		this.clear();
	}
}
