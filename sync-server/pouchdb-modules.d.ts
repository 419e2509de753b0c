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
