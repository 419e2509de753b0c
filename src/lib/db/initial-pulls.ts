// When and how an initial pull (initial-pull.ts) runs for each replica of a LocalStore:
// one at a time per database, only into an empty replica or to resume an interrupted
// pull, with the replica's projector paused and app writes taking turns with the pages.
// Invariant: the answer for a database (where live sync starts) stays the same until
// `settled` says live replication has written its checkpoints there.
import { reportStorageError } from './errors';
import {
	HttpError,
	NetworkError,
	PAGE_SIZE,
	freshen,
	initialPull,
	initialPullKey,
	type InitialPullRecord,
	type LoadSession,
	type Seq
} from './initial-pull';
import type { Database } from './pouch';
import type { ReadModel } from './read-model';

/** What the store lends: a replica and a way to pause and resume its projector. */
export interface PulledReplica {
	db: Database;
	suspend(): Promise<void>;
	resume(): Promise<void>;
}

export interface PullOptions {
	signal?: AbortSignal;
	/** Called after each page (a stall watchdog's sign of life). */
	onPage?: () => void;
	pageSize?: number;
}

/** One initial pull in progress: its turns with app writes, and how to stop it. */
export interface Load extends LoadSession {
	abort: AbortController;
	done: Promise<unknown>;
}

export class InitialPulls {
	#loads = new Map<string, Load>();
	#queues = new Map<string, Promise<void>>();
	/** Documents per page (tests make it small to get many pages). */
	pageSize = PAGE_SIZE;

	constructor(
		private readonly rm: ReadModel,
		private readonly replica: (dbName: string) => PulledReplica | undefined
	) {}

	/** The pull filling this database now, if any: app writes must take turns with it. */
	active(dbName: string): Load | undefined {
		return this.#loads.get(dbName);
	}

	/**
	 * Fills an empty replica from the server and says where live replication must start;
	 * `null` when ordinary replication must do it (the replica holds documents this pull
	 * did not write, e.g. after an interrupted pull and app writes since).
	 */
	run(
		dbName: string,
		origin: string,
		opts: PullOptions = {}
	): Promise<{ pull: Seq; push: Seq } | null> {
		// One at a time per database: a restarted sync may ask while the last pull stops.
		const prev = this.#queues.get(dbName) ?? Promise.resolve();
		const result = prev.then(() => this.#run(dbName, origin, opts));
		this.#queues.set(
			dbName,
			result.then(
				() => {},
				() => {}
			)
		);
		return result;
	}

	/** Live replication has completed a round from the pull's sequences. */
	async settled(dbName: string): Promise<void> {
		await this.rm.device.delete(initialPullKey(dbName));
	}

	/** Stops a pull in progress and waits until it has. */
	async stop(dbName: string): Promise<void> {
		const load = this.#loads.get(dbName);
		if (!load) return;
		load.abort.abort();
		await load.done.catch(() => {});
	}

	async stopAll(): Promise<void> {
		for (const name of [...this.#loads.keys()]) await this.stop(name);
	}

	async #run(
		dbName: string,
		origin: string,
		opts: PullOptions
	): Promise<{ pull: Seq; push: Seq } | null> {
		opts.signal?.throwIfAborted();
		const replica = this.replica(dbName);
		if (!replica) throw new Error(`database not open: ${dbName}`);
		const key = initialPullKey(dbName);
		const rec = (await this.rm.device.get(key))?.value as InitialPullRecord | undefined;
		if (rec?.state === 'done') return { pull: rec.remoteSeq, push: rec.pushFrom ?? rec.localSeq };
		if (rec?.state === 'failed') return null;
		const { update_seq } = await replica.db.info();
		const empty = Number(update_seq) === 0;
		const resume = !empty && rec?.state === 'loading' && rec.localSeq === update_seq ? rec : null;
		if (!empty && !resume) {
			if (rec) await this.rm.device.delete(key);
			return null;
		}
		// The caller's signal or `stop` ends it (not AbortSignal.any: older Safari lacks it).
		const abort = new AbortController();
		const onAbort = () => abort.abort(opts.signal?.reason);
		opts.signal?.addEventListener('abort', onAbort, { once: true });
		if (opts.signal?.aborted) onAbort();
		let tail: Promise<unknown> = Promise.resolve();
		const load: Load = {
			abort,
			done: Promise.resolve(),
			localSeq: resume?.localSeq ?? 0,
			pushFrom: resume?.pushFrom,
			run: <T>(fn: () => Promise<T>) => {
				const result = tail.then(fn);
				tail = result.catch(() => {});
				return result;
			}
		};
		this.#loads.set(dbName, load);
		await replica.suspend();
		try {
			const pulled = initialPull({
				dbName,
				local: replica.db,
				rm: this.rm,
				remoteUrl: `${origin}/${dbName}`,
				session: load,
				resume: resume ?? undefined,
				signal: abort.signal,
				onPage: opts.onPage,
				pageSize: opts.pageSize ?? this.pageSize
			});
			load.done = pulled;
			return await pulled;
		} catch (e) {
			// The network or the server: try again later, from the last page. Anything else
			// (a document the replica refuses) would fail the same way every time: leave it
			// to the replicator, which reports such documents one by one.
			const transient = e instanceof HttpError || e instanceof NetworkError || isAbort(e);
			if (!transient) {
				const failed: InitialPullRecord = { state: 'failed', remoteSeq: 0, localSeq: 0 };
				await this.rm.device.put({ key, value: failed }).catch(() => {});
			}
			throw e;
		} finally {
			// App writes queued behind the last page go first; then writes go straight through.
			await load.run(async () => {
				if (this.#loads.get(dbName) === load) this.#loads.delete(dbName);
				// PouchDB must know the replica's sequence before anything else writes to it.
				await freshen(replica.db, load).catch(reportStorageError);
			});
			opts.signal?.removeEventListener('abort', onAbort);
			await replica.resume();
		}
	}
}

const isAbort = (e: unknown) =>
	typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'AbortError';
