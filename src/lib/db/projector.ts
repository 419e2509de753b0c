// The projector (DESIGN.md decision 1): keeps the read model caught up with one replica.
// Invariants: the live changes feed is only a signal; the projector always pages from the
// stored cursor, in the same transaction as the rows it projects, so it never skips a
// change and the cursor never goes back. The feed starts before the first catch-up so
// that no change falls between them.
import { reportStorageError } from './errors';
import { liveChanges, type ChangeRow, type Database } from './pouch';
import { projectDocs } from './projection';
import { DERIVED_TABLES, type ReadModel } from './read-model';

export interface Projector {
	db: Database;
	cancel(): void;
	/** Stops projecting until `resume` (an initial pull projects its pages itself). */
	suspend(): Promise<void>;
	resume(): Promise<void>;
	/** Resolves when the projector has processed everything queued so far. */
	idle(): Promise<void>;
	/** Projects whatever the replica holds beyond the cursor. */
	catchUp(): Promise<void>;
}

/** Starts following `db` (the replica of `name`); resolves once it has caught up. */
export async function startProjector(
	rm: ReadModel,
	name: string,
	db: Database
): Promise<Projector> {
	let queue: Promise<void> = Promise.resolve();
	let scheduled = false;
	let suspended = false;
	const catchUp = () => {
		if (!scheduled && !suspended) {
			scheduled = true;
			queue = queue
				.then(async () => {
					scheduled = false;
					await pageFrom(rm, name, db);
				})
				.catch(reportStorageError);
		}
		return queue;
	};
	const listen = () => {
		const feed = liveChanges(db, { since: 'now', return_docs: false });
		feed.on('change', () => void catchUp());
		feed.on('error', (e: unknown) => reportStorageError(e));
		return feed;
	};
	let changes = listen();
	let cancelled = false;
	await catchUp();
	return {
		db,
		cancel: () => {
			cancelled = true;
			changes.stop();
		},
		idle: () => queue,
		catchUp,
		// While suspended (an initial pull) nobody listens: a live feed would read back every
		// document of every page the pull writes, only to be told to wait.
		suspend: async () => {
			suspended = true;
			changes.stop();
			await queue;
		},
		resume: () => {
			suspended = false;
			// A pull stopped by `open` or `wipe` may resume a feed they have just cancelled.
			if (cancelled) return queue;
			changes = listen();
			return catchUp();
		}
	};
}

async function pageFrom(rm: ReadModel, name: string, db: Database): Promise<void> {
	let since: number | string = (await rm.cursors.get(name))?.seq ?? 0;
	for (;;) {
		const page = await db.changes({ since, limit: 500, include_docs: true, conflicts: true });
		if (page.results.length === 0) return;
		await project(rm, name, page.results, page.last_seq);
		since = page.last_seq;
	}
}

async function project(
	rm: ReadModel,
	name: string,
	rows: ChangeRow[],
	seq: number | string
): Promise<void> {
	await rm.transaction('rw', [...DERIVED_TABLES], async () => {
		// Mostly the app's own writes, already projected by `LocalStore.write`.
		await projectDocs(
			rm,
			rows.flatMap((row) => (row.doc ? [row.doc] : [])),
			name,
			{ skipUnchanged: true }
		);
		await rm.cursors.put({ db: name, seq });
	});
}
