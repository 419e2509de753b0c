// How the data layer reports failures: a `StorageError` for a write or read the caller
// awaits, and listeners for IndexedDB failures nobody awaits (a projector running behind
// the screen), which are shown, never swallowed.

export class StorageError extends Error {
	constructor(
		message: string,
		override readonly cause?: unknown
	) {
		super(message);
		this.name = 'StorageError';
	}
}

type StorageErrorListener = (message: string) => void;
const storageErrorListeners = new Set<StorageErrorListener>();

/** IndexedDB failures (quota, a broken database) are shown, never swallowed. */
export function onStorageError(listener: StorageErrorListener): () => void {
	storageErrorListeners.add(listener);
	return () => storageErrorListeners.delete(listener);
}

export function reportStorageError(e: unknown): void {
	const message = describe(e);
	console.error('kehou storage error', message);
	for (const l of storageErrorListeners) l(message);
}

export function describe(e: unknown): string {
	if (e instanceof Error) return e.message;
	if (typeof e === 'object' && e && 'reason' in e) return String((e as { reason: unknown }).reason);
	return String(e);
}
