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
	}
	function leveldown(location: string): LevelDown;
	export type { LevelDown };
	export default leveldown;
}
