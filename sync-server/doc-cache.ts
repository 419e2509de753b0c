// Documents of the system database (sessions, accounts) kept in memory once read, so that
// identifying the caller of each request (auth.ts: the session, then its account) does not
// read LevelDB four times: a tablet's sync cycle makes about 17 requests.
// Invariant: exact, not time-based. Only for a store that this process alone writes (the
// LevelDB store: its folder is locked by one process), so every write passes through this
// wrapper. A write drops its ids before it starts and again when it ends, and a read that
// overlapped a write of its id is not kept; so a read never returns a revision older than
// a write that finished before the read began. Callers get their own copy of a document.
import type { Doc, PouchDatabase } from './storage';

/** Documents kept (sessions and accounts of ~1 KB each): about 2 MB at most. */
const MAX_ENTRIES = 2000;

export function cachingGets(db: PouchDatabase, max = MAX_ENTRIES): PouchDatabase {
	/** Least recently used first. */
	const entries = new Map<string, Doc>();
	/** Writes in flight per id. */
	const writing = new Map<string, number>();
	/** When each id's last write ended (a tick of `clock`), while reads are in flight. */
	const written = new Map<string, number>();
	let clock = 0;
	let reading = 0;

	const forget = (id: unknown) => {
		if (typeof id === 'string') entries.delete(id);
	};
	async function write<T>(ids: unknown[], run: () => Promise<T>): Promise<T> {
		const keys = ids.filter((id): id is string => typeof id === 'string');
		for (const id of keys) {
			forget(id);
			writing.set(id, (writing.get(id) ?? 0) + 1);
		}
		try {
			return await run();
		} finally {
			const tick = ++clock;
			for (const id of keys) {
				forget(id);
				const left = (writing.get(id) ?? 1) - 1;
				if (left > 0) writing.set(id, left);
				else writing.delete(id);
				if (reading > 0) written.set(id, tick);
			}
		}
	}

	return {
		info: () => db.info(),
		// Arguments are passed on as given: PouchDB reads an explicit `undefined` as options.
		put: (...args) => write([args[0]._id], () => db.put(...args)),
		remove: (...args) => write([args[0]], () => db.remove(...args)),
		bulkDocs: (...args) =>
			write(
				args[0].map((d) => d._id),
				() => db.bulkDocs(...args)
			),
		async get(id, opts) {
			if (opts && Object.keys(opts).length > 0) return db.get(id, opts);
			const hit = entries.get(id);
			if (hit) {
				entries.delete(id);
				entries.set(id, hit);
				return structuredClone(hit) as Doc & Doc[];
			}
			const began = clock;
			reading++;
			try {
				const doc = await db.get(id);
				if (!writing.has(id) && (written.get(id) ?? 0) <= began) {
					entries.set(id, structuredClone(doc));
					if (entries.size > max) entries.delete(entries.keys().next().value!);
				}
				return doc;
			} finally {
				if (--reading === 0) written.clear();
			}
		},
		bulkGet: (...args) => db.bulkGet(...args),
		allDocs: (...args) => db.allDocs(...args),
		changes: (...args) => db.changes(...args),
		revsDiff: (...args) => db.revsDiff(...args),
		getAttachment: (...args) => db.getAttachment(...args),
		close: () => db.close()
	};
}
