// The PouchDB browser packages ship no types; pouch.ts gives them a narrow typed face.
declare module 'pouchdb-browser' {
	const PouchDB: unknown;
	export default PouchDB;
}
declare module 'pouchdb-adapter-indexeddb' {
	const plugin: unknown;
	export default plugin;
}
