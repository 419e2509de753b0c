// Cross-group events (src/lib/domain/README.md): one document, one revision, stored in its
// home database (where its writer writes it, `homeDb`) and copied by this module into each
// database `mirrorDbs` names, with `new_edits: false` and `_revisions`, so both sides hold
// the identical revision tree. Users never write mirrors; the gate (access.ts) accepts a
// document at a mirror only as a replay of a revision already stored there.
//
// Copying is driven by the home database's changes feed, from a per-database checkpoint:
// after every accepted write the server copies what its home changed since the
// checkpoint, and at start it does so for every database (the repair pass).
// Invariant (M): once the checkpoint of a database H has passed the sequence at which a
// document whose home is H was written, that revision is stored in every one of its
// mirrors. The checkpoint advances only after the copies are written; the stored
// checkpoint (system database, `mirror:<db>`) is written after the one in memory and never
// ahead of it. So a crash between a home write and its copies leaves the document after
// the stored checkpoint, and the next write to H or the next start copies it. Copies are
// idempotent (a revision already stored is skipped), so a pass may run twice, in two
// processes sharing a CouchDB store, or after a partial failure.
import {
	homeDb,
	mirrorDbs,
	parseDbName,
	type DatabaseRef,
	type Routable
} from '../src/lib/domain/index';
import type { Doc, PouchDatabase, Storage } from './storage';

/**
 * Id prefixes of the types `mirrorDbs` can name mirrors for; only these documents are
 * read when a changes feed is scanned (mirrors.spec.ts checks the list against the domain).
 */
export const MIRRORED_TYPES = ['handover', 'arrival', 'release', 'leave'] as const;

const BATCH = 500;
/** The stored checkpoint is rewritten after a copy, or after this many changes without one. */
const PERSIST_EVERY = 500;
const RETRY_MS = 30_000;

interface Checkpoint {
	seq: number | string;
	/** What the system database holds. */
	stored: number | string;
	storedRev?: string;
	/** Changes passed since the stored checkpoint. */
	unstored: number;
}

/** A write's sequences before and after it (read under its write lock) and its ids. */
export interface WrittenBatch {
	from: number | string;
	to: number | string;
	ids: string[];
}

const isMirrored = (id: string) => MIRRORED_TYPES.some((t) => id.startsWith(`${t}:`));
const checkpointId = (name: string) => `mirror:${name}`;

export class Mirrors {
	private readonly checkpoints = new Map<string, Checkpoint>();
	private readonly retries = new Map<string, NodeJS.Timeout>();
	private closed = false;
	/** Resolves when the repair pass at start has finished (tests wait on it). */
	repaired: Promise<void> = Promise.resolve();

	constructor(
		private readonly storage: Storage,
		private readonly onError: (err: unknown, db: string) => void = () => undefined
	) {}

	/**
	 * Copies every document whose home is `name`, written since its checkpoint, into its
	 * mirrors; returns how many copies were written. Runs alone per database.
	 */
	flush(name: string): Promise<number> {
		const ref = parseDbName(name);
		if (!ref || this.closed) return Promise.resolve(0);
		return this.storage.withWriteLock(`\0mirror:${name}`, () => this.pass(name, ref));
	}

	/**
	 * `flush` for a write that was just accepted: a failure is retried later, not thrown.
	 * `batch`: what the write stored, when the caller knows it (see `passOver`).
	 */
	async afterWrite(name: string, batch?: WrittenBatch): Promise<void> {
		try {
			if (batch && (await this.passOver(name, batch))) return;
			await this.flush(name);
		} catch (e) {
			this.onError(e, name);
			this.scheduleRetry(name);
		}
	}

	/** The repair pass: every app database in the store, one after the other. */
	startRepair(): Promise<void> {
		this.repaired = (async () => {
			for (const name of this.storage.list()) {
				if (this.closed) return;
				await this.afterWrite(name);
			}
		})();
		return this.repaired;
	}

	/**
	 * Moves the checkpoint over a batch that holds no mirrored document without reading the
	 * feed back, when the batch follows the checkpoint directly (the one in memory, or the
	 * stored one when this process has not passed over the database yet). Integer sequences only (the
	 * LevelDB store, written by this process alone): every write of a database that moves
	 * its sequence runs under its write lock, and the caller read `from` and `to` under that
	 * lock around its own write, so the changes in (from, to] are that batch's documents.
	 * (M) holds: none of them has a mirror. Otherwise (`false`) the ordinary pass runs.
	 */
	private passOver(name: string, batch: WrittenBatch): Promise<boolean> {
		const { from, to, ids } = batch;
		if (typeof from !== 'number' || typeof to !== 'number' || this.closed) {
			return Promise.resolve(false);
		}
		if (ids.some(isMirrored) || !parseDbName(name)) return Promise.resolve(false);
		return this.storage.withWriteLock(`\0mirror:${name}`, async () => {
			// First write since start (a new group's first push): the stored checkpoint, read
			// now, is as good as one kept in memory — never ahead of what is copied.
			const cp = this.checkpoints.get(name) ?? (await this.checkpoint(name, this.storage.db(name)));
			if (cp.seq !== from) return false;
			cp.seq = to;
			cp.unstored += to - from;
			if (cp.unstored >= PERSIST_EVERY) await this.persist(name, cp);
			return true;
		});
	}

	close(): void {
		this.closed = true;
		for (const t of this.retries.values()) clearTimeout(t);
		this.retries.clear();
	}

	private scheduleRetry(name: string): void {
		if (this.closed || this.retries.has(name)) return;
		const t = setTimeout(() => {
			this.retries.delete(name);
			void this.afterWrite(name);
		}, RETRY_MS);
		t.unref();
		this.retries.set(name, t);
	}

	private async pass(name: string, ref: DatabaseRef): Promise<number> {
		const db = this.storage.db(name);
		const cp = await this.checkpoint(name, db);
		let copied = 0;
		for (;;) {
			const page = await db.changes({ since: cp.seq, limit: BATCH });
			for (const change of page.results) {
				if (isMirrored(change.id)) copied += await this.copyOut(db, name, ref, change.id);
			}
			// (M): the checkpoint passes these changes only now that their copies are stored.
			cp.seq = page.last_seq;
			cp.unstored += page.results.length;
			if (page.results.length < BATCH) break;
		}
		if (cp.seq !== cp.stored && (copied > 0 || cp.unstored >= PERSIST_EVERY)) {
			await this.persist(name, cp);
		}
		return copied;
	}

	/** The checkpoint in memory, read from the system database the first time. */
	private async checkpoint(name: string, db: PouchDatabase): Promise<Checkpoint> {
		let cp = this.checkpoints.get(name);
		if (!cp) {
			const doc = (await this.storage.system.get(checkpointId(name)).catch(() => null)) as {
				seq?: number | string;
				_rev?: string;
			} | null;
			const seq = doc?.seq ?? 0;
			cp = { seq, stored: seq, storedRev: doc?._rev, unstored: 0 };
			this.checkpoints.set(name, cp);
		}
		// A database deleted and made again (a restore) starts its sequences over.
		if (typeof cp.seq === 'number') {
			const { update_seq } = await db.info();
			if (typeof update_seq === 'number' && update_seq < cp.seq) cp.seq = 0;
		}
		return cp;
	}

	private async persist(name: string, cp: Checkpoint): Promise<void> {
		const seq = cp.seq;
		const doc: Doc = { _id: checkpointId(name), type: 'mirror-checkpoint', seq };
		if (cp.storedRev) doc._rev = cp.storedRev;
		try {
			const out = await this.storage.system.put(doc);
			cp.stored = seq;
			cp.storedRev = out.rev;
			cp.unstored = 0;
		} catch {
			// Another process wrote it (a shared store): read its revision for the next time.
			// A stored checkpoint behind ours only means a longer rescan.
			const current = await this.storage.system.get(checkpointId(name)).catch(() => null);
			cp.storedRev = current?._rev;
		}
	}

	/** Copies one document of `home` into its mirrors when `home` is its home. */
	private async copyOut(
		db: PouchDatabase,
		home: string,
		ref: DatabaseRef,
		id: string
	): Promise<number> {
		const doc = (await db
			.get(id, { revs: true, attachments: true, binary: false })
			.catch(() => null)) as Doc | null;
		if (!doc || doc._deleted || typeof doc.type !== 'string') return 0;
		const routable = doc as unknown as Routable;
		// A mirrored copy held here is another database's document: not ours to send on.
		if (homeDb(ref.schoolId, routable) !== home) return 0;
		let copied = 0;
		for (const target of mirrorDbs(ref.schoolId, routable)) {
			if (target === home) continue;
			copied += await this.storage.withWriteLock(target, async () => {
				const mirror = this.storage.db(target);
				const diff = await mirror.revsDiff({ [id]: [doc._rev!] });
				if (!diff[id]?.missing.length) return 0;
				const [failed] = (await mirror.bulkDocs([doc], { new_edits: false })).filter(
					(r) => r.error
				);
				if (failed) throw new Error(`mirror of ${id} into ${target} failed: ${failed.name}`);
				this.storage.notify(target);
				return 1;
			});
		}
		return copied;
	}
}

const instances = new WeakMap<Storage, Mirrors>();

/** The one `Mirrors` of a store in this process. */
export function mirrorsOf(storage: Storage): Mirrors {
	let m = instances.get(storage);
	if (!m) {
		m = new Mirrors(storage);
		instances.set(storage, m);
	}
	return m;
}

/** Sets how `mirrorsOf(storage)` reports a failed copy (the server's logger). */
export function configureMirrors(
	storage: Storage,
	onError: (err: unknown, db: string) => void
): Mirrors {
	const m = new Mirrors(storage, onError);
	instances.set(storage, m);
	return m;
}
