// PouchDB's plugin packages ship no types; storage.ts (and the tests) treat them as opaque
// plugins and type the database API themselves.
declare module 'pouchdb-adapter-leveldb' {
	const plugin: unknown;
	export default plugin;
}
declare module 'pouchdb-adapter-http' {
	const plugin: unknown;
	export default plugin;
}
declare module 'pouchdb-replication' {
	const plugin: unknown;
	export default plugin;
}

// leveldown ships no types: the few calls storage-level.ts makes on it.
declare module 'leveldown' {
	interface LevelDown {
		/** abstract-leveldown's state: 'new' | 'opening' | 'open' | 'closing' | 'closed'. */
		readonly status: string;
		getMany(
			keys: string[],
			options: { asBuffer: boolean; fillCache?: boolean },
			callback: (err: Error | null, values: Array<string | undefined>) => void
		): void;
		iterator(options: {
			gt?: string;
			lt?: string;
			limit?: number;
			keyAsBuffer?: boolean;
			valueAsBuffer?: boolean;
		}): LevelIterator;
	}
	interface LevelIterator {
		next(callback: (err: Error | null, key?: string, value?: string) => void): void;
		end(callback: (err?: Error | null) => void): void;
	}
	function leveldown(location: string): LevelDown;
	export type { LevelDown };
	export default leveldown;
}

// PouchDB's revision-tree helpers and its deep-JSON parser, as its LevelDB adapter uses them
// (level-changes.ts reads that adapter's records).
declare module 'pouchdb-merge' {
	export function winningRev(metadata: unknown): string;
	export function collectLeaves(revTree: unknown): { rev: string }[];
	export function collectConflicts(metadata: unknown): string[];
	export function isDeleted(metadata: unknown, rev?: string): boolean;
}
declare module 'pouchdb-json' {
	export function safeJsonParse(text: string): unknown;
}
