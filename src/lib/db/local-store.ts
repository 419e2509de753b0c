// The device's data layer: PouchDB replicas (one per database the user may open) and
// the Dexie read model fed from them. Invariants:
//  - every write goes to PouchDB first; the read model and outbox are updated before
//    the write's promise resolves, so the screen shows it at once;
//  - the read model is derived: a projector (projector.ts) follows each replica from a
//    stored cursor, so anything missed (a crash between the two writes) is caught up;
//  - the outbox lists this device's writes the server has not confirmed; it only
//    shrinks on evidence from the server (a push, or `_revs_diff` saying it has them);
//  - while an initial pull fills a replica (initial-pull.ts), app writes to it and the
//    pull's pages take turns (one lock), and the projector waits: each page's cursor
//    then covers exactly what has been projected.
import { StorageError, describe } from './errors';
import { newEventId } from './ids';
import { freshen, initialPullKey, type Seq } from './initial-pull';
import { InitialPulls, type Load, type PullOptions } from './initial-pulls';
import { openLocal, openRemote, pushOnce, type Database, type PouchDoc } from './pouch';
import { projectDocs } from './projection';
import { holdBackground } from './screen-first';
import { startProjector, type Projector } from './projector';
import { DERIVED_TABLES, readModel, type OutboxRow, type ReadModel } from './read-model';

export { StorageError, onStorageError, describe } from './errors';

export class LocalStore {
	#feeds = new Map<string, Projector>();
	readonly #initialPulls: InitialPulls;
	#deviceId: Promise<string> | null = null;

	/**
	 * `openReplica` opens the local replica of a database; the default is the app's. Tests
	 * that simulate several devices in one process give each its own replica names.
	 */
	constructor(
		readonly rm: ReadModel = readModel,
		private readonly openReplica: (dbName: string) => Database = openLocal
	) {
		this.#initialPulls = new InitialPulls(rm, (name) => this.#feeds.get(name));
	}

	/**
	 * A stable random id for this browser profile; never replicated, never personal. Read
	 * once (every event carries it; wipe keeps it), made in a transaction so that two first
	 * calls cannot store two different ids.
	 */
	deviceId(): Promise<string> {
		this.#deviceId ??= this.rm
			.transaction('rw', this.rm.device, async () => {
				const row = await this.rm.device.get('deviceId');
				if (typeof row?.value === 'string') return row.value;
				const id = `dev-${newEventId()}`;
				await this.rm.device.put({ key: 'deviceId', value: id });
				return id;
			})
			.catch((e: unknown) => {
				this.#deviceId = null;
				throw e;
			});
		return this.#deviceId;
	}

	async getDevice<T>(key: string): Promise<T | undefined> {
		return (await this.rm.device.get(key))?.value as T | undefined;
	}

	async setDevice(key: string, value: unknown): Promise<void> {
		await this.rm.device.put({ key, value });
	}

	async deleteDevice(key: string): Promise<void> {
		await this.rm.device.delete(key);
	}

	/**
	 * Opens replicas for these databases and starts projecting. Databases no longer in the
	 * list (the user lost a class) are closed and, when nothing of theirs is unsent,
	 * destroyed, and the read model is rebuilt without them: no screen may show them.
	 */
	async open(dbNames: readonly string[]): Promise<void> {
		// Every event carries the device id: read it now, not in the first tap's write.
		this.deviceId().catch(() => {});
		let dropped = false;
		for (const [name, feed] of [...this.#feeds]) {
			if (dbNames.includes(name)) continue;
			await this.#initialPulls.stop(name);
			feed.cancel();
			await feed.idle();
			this.#feeds.delete(name);
			if ((await this.unsentIn(name)) === 0) {
				await feed.db.destroy();
				await this.deleteDevice(initialPullKey(name));
				dropped = true;
			} else {
				await feed.db.close();
			}
		}
		for (const name of dbNames) {
			if (!this.#feeds.has(name))
				this.#feeds.set(name, await startProjector(this.rm, name, this.openReplica(name)));
		}
		if (dropped) await this.rebuild();
	}

	get openDbs(): string[] {
		return [...this.#feeds.keys()];
	}

	replica(dbName: string): Database {
		const feed = this.#feeds.get(dbName);
		if (!feed) throw new StorageError(`database not open: ${dbName}`);
		return feed.db;
	}

	/** Writes new documents to one database; resolves once they are on screen. */
	async write(dbName: string, docs: PouchDoc[]): Promise<void> {
		const db = this.replica(dbName);
		const load = this.#initialPulls.active(dbName);
		if (load) return load.run(() => this.#write(dbName, db, docs, load));
		return this.#write(dbName, db, docs);
	}

	async #write(dbName: string, db: Database, docs: PouchDoc[], load?: Load): Promise<void> {
		const release = holdBackground();
		try {
			await this.#writeBoth(dbName, db, docs, load);
		} finally {
			release();
		}
	}

	async #writeBoth(dbName: string, db: Database, docs: PouchDoc[], load?: Load): Promise<void> {
		// Written during an initial pull: the push must start before this write.
		if (load) {
			await freshen(db, load);
			load.pushFrom ??= load.localSeq;
		}
		let results;
		try {
			results = await db.bulkDocs(docs);
		} catch (e) {
			throw new StorageError(describe(e), e);
		}
		const now = new Date().toISOString();
		// bulkDocs is not atomic: documents before or after a refused one may have landed.
		// Those are in PouchDB and will be pushed, so they are projected and counted in the
		// outbox like any other write; otherwise a sign-out could wipe them unsent.
		const landed: PouchDoc[] = docs.flatMap((doc, i) => {
			const rev = results[i].rev;
			return results[i].error || !rev ? [] : [{ ...doc, _rev: rev }];
		});
		await this.rm.transaction('rw', [...DERIVED_TABLES, 'outbox'], async () => {
			await projectDocs(this.rm, landed, dbName);
			await this.rm.outbox.bulkPut(
				landed.map((doc) => ({
					docId: doc._id,
					db: dbName,
					rev: doc._rev ?? '',
					type: String(doc.type ?? ''),
					writtenAt: now
				}))
			);
		});
		const failed = results.find((r) => r.error);
		if (failed) {
			const code = typeof failed.error === 'string' ? failed.error : (failed.name ?? 'error');
			throw new StorageError(`${code}: ${failed.reason ?? failed.message ?? ''} (${failed.id})`);
		}
	}

	/**
	 * An attachment (a photo) read from the local replica: attachments never enter the read
	 * model (projection.ts drops `_attachments`), so screens read them here, on demand.
	 */
	async attachment(dbName: string, docId: string, name: string): Promise<Blob> {
		try {
			return await this.replica(dbName).getAttachment(docId, name);
		} catch (e) {
			throw new StorageError(describe(e), e);
		}
	}

	/** Every revision in a conflict (the winner first), for an administrator to compare. */
	async conflictVersions(dbName: string, docId: string): Promise<PouchDoc[]> {
		const db = this.replica(dbName);
		const winner = await db.get(docId, { conflicts: true });
		const losers = Array.isArray(winner._conflicts) ? (winner._conflicts as string[]) : [];
		const others = await Promise.all(losers.map((rev) => db.get(docId, { rev })));
		return [winner, ...others];
	}

	/**
	 * Resolves a conflict the CouchDB way: the kept version's content becomes a new revision
	 * on the winning branch and every losing branch gets a tombstone, so all replicas agree.
	 */
	async resolveConflict(dbName: string, docId: string, keepRev: string): Promise<void> {
		const load = this.#initialPulls.active(dbName);
		if (load) {
			return load.run(async () => {
				await freshen(this.replica(dbName), load);
				load.pushFrom ??= load.localSeq;
				return this.#resolve(dbName, docId, keepRev);
			});
		}
		return this.#resolve(dbName, docId, keepRev);
	}

	async #resolve(dbName: string, docId: string, keepRev: string): Promise<void> {
		const [winner, ...losers] = await this.conflictVersions(dbName, docId);
		const kept = [winner, ...losers].find((d) => d._rev === keepRev);
		if (!kept) throw new StorageError(`revision ${keepRev} is not part of the conflict`);
		const docs: PouchDoc[] = losers.map((l) => ({ _id: docId, _rev: l._rev, _deleted: true }));
		if (kept._rev !== winner._rev) {
			const content = Object.fromEntries(
				Object.entries(kept).filter(([k]) => k !== '_rev' && k !== '_conflicts')
			);
			docs.unshift({ ...content, _id: docId, _rev: winner._rev });
		}
		// Not through write(): a tombstone of a losing branch must not remove the document
		// from the read model; the projector reads the resolved document from the replica.
		const results = await this.replica(dbName).bulkDocs(docs);
		const failed = results.find((r) => r.error);
		if (failed) throw new StorageError(`${String(failed.error)}: ${failed.reason ?? failed.id}`);
		const last = results[0];
		await this.rm.outbox.put({
			docId,
			db: dbName,
			rev: last.rev ?? '',
			type: String(winner.type ?? ''),
			writtenAt: new Date().toISOString()
		});
		await this.caughtUp(dbName);
	}

	/** Removes outbox rows the server has acknowledged (by id and revision). */
	async confirmSent(dbName: string, docs: { _id: string; _rev?: string }[]): Promise<void> {
		if (docs.length === 0) return;
		await this.rm.transaction('rw', this.rm.outbox, async () => {
			for (const d of docs) {
				const row = await this.rm.outbox.get(d._id);
				if (row && row.db === dbName && (!d._rev || row.rev === d._rev)) {
					await this.rm.outbox.delete(d._id);
				}
			}
		});
	}

	/** Asks the server which outbox rows it already holds and drops those. */
	async reconcileOutbox(dbName: string, remote: Database): Promise<void> {
		const rows = await this.rm.outbox.where('db').equals(dbName).toArray();
		for (let i = 0; i < rows.length; i += 500) {
			const chunk = rows.slice(i, i + 500);
			const diff: Record<string, string[]> = {};
			for (const r of chunk) diff[r.docId] = [r.rev];
			const missing = await remote.revsDiff(diff);
			const held = chunk
				.filter((r) => !missing[r.docId])
				.map((r) => ({ _id: r.docId, _rev: r.rev }));
			await this.confirmSent(dbName, held);
		}
	}

	outboxRows(): Promise<OutboxRow[]> {
		return this.rm.outbox.orderBy('docId').toArray();
	}

	outboxCount(): Promise<number> {
		return this.rm.outbox.count();
	}

	/** This device's records in one database that the server has not confirmed. */
	unsentIn(dbName: string): Promise<number> {
		return this.rm.outbox.where('db').equals(dbName).count();
	}

	/**
	 * Pushes every open replica to the server once. Resolves with the number of
	 * documents the server has not confirmed afterwards (0 means safe to wipe).
	 */
	async pushAll(origin: string): Promise<number> {
		for (const [name, feed] of this.#feeds) {
			const remote = openRemote(name, origin);
			try {
				await pushOnce(feed.db, remote);
				await this.reconcileOutbox(name, remote);
			} catch {
				// Counted below: whatever did not reach the server stays in the outbox.
			}
		}
		return this.outboxCount();
	}

	/** Clears the derived tables and projects every replica again from the start. */
	async rebuild(): Promise<void> {
		const names = this.openDbs;
		await this.#initialPulls.stopAll();
		for (const feed of this.#feeds.values()) {
			feed.cancel();
			await feed.idle();
		}
		this.#feeds.clear();
		await this.rm.transaction('rw', [...DERIVED_TABLES], async () => {
			for (const t of DERIVED_TABLES) await this.rm.table(t).clear();
		});
		for (const name of names)
			this.#feeds.set(name, await startProjector(this.rm, name, this.openReplica(name)));
	}

	/** Destroys every local replica and the read model's user data (keeps the device id). */
	async wipe(): Promise<void> {
		const names = new Set([
			...this.openDbs,
			...(await this.rm.cursors.toCollection().primaryKeys())
		]);
		// Wait for projections already queued: one finishing after the clear below would
		// bring back rows of the previous user and a cursor past the end of the new replica.
		await this.#initialPulls.stopAll();
		for (const feed of this.#feeds.values()) {
			feed.cancel();
			await feed.idle();
		}
		this.#feeds.clear();
		for (const name of names) await this.openReplica(String(name)).destroy();
		await this.rm.transaction('rw', [...DERIVED_TABLES, 'outbox', 'device'], async () => {
			for (const t of [...DERIVED_TABLES, 'outbox']) await this.rm.table(t).clear();
			await this.rm.device.where('key').startsWith(initialPullKey('')).delete();
		});
	}

	/**
	 * Fills an empty replica from the server in one pass (see initial-pulls.ts) and says
	 * where live replication must start (`null`: from its own checkpoints). Call before
	 * starting live sync; after its first complete round, call `initialPullSettled`.
	 */
	initialPull(
		dbName: string,
		origin: string,
		opts: PullOptions = {}
	): Promise<{ pull: Seq; push: Seq } | null> {
		return this.#initialPulls.run(dbName, origin, opts);
	}

	initialPullSettled(dbName: string): Promise<void> {
		return this.#initialPulls.settled(dbName);
	}

	/** Documents per page of an initial pull (tests make it small to get many pages). */
	set initialPullPageSize(n: number) {
		this.#initialPulls.pageSize = n;
	}

	/** Resolves once the read model holds everything the replica holds now. */
	async caughtUp(dbName: string): Promise<void> {
		await this.#feeds.get(dbName)?.catchUp();
	}
}

export const localStore = new LocalStore();
