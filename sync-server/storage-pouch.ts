// PouchDB as both store backends use it: one constructor with the LevelDB and HTTP
// adapters, and the facade that runs every database call through a backend's `use`, so a
// backend can close and reopen the real handle between calls.
import PouchDB from 'pouchdb-core';
import http from 'pouchdb-adapter-http';
import leveldb from 'pouchdb-adapter-leveldb';
import type { PouchDatabase } from './storage';

interface PouchConstructor {
	new (name: string, opts: Record<string, unknown>): PouchDatabase;
	plugin(plugin: unknown): PouchConstructor;
}

export const Pouch = PouchDB as unknown as PouchConstructor;
Pouch.plugin(leveldb).plugin(http);

/** The methods of `PouchDatabase` that run against a database (all but `close`). */
const DB_METHODS = [
	'info',
	'get',
	'put',
	'remove',
	'bulkDocs',
	'bulkGet',
	'allDocs',
	'changes',
	'revsDiff',
	'getAttachment'
] as const;

type Use = <T>(fn: (db: PouchDatabase) => Promise<T>) => Promise<T>;

/**
 * A stable `PouchDatabase` whose every call borrows the real handle through `use` for
 * exactly the call's duration; `close` on the facade is a no-op (the backend owns handles).
 */
export function facade(use: Use): PouchDatabase {
	const out: Record<string, unknown> = { close: () => Promise.resolve() };
	for (const m of DB_METHODS) {
		out[m] = (...args: unknown[]) =>
			use((db) => (db[m] as (...a: unknown[]) => Promise<unknown>).apply(db, args));
	}
	return out as unknown as PouchDatabase;
}
