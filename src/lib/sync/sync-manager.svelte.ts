// Replication manager (DESIGN.md decision 5): one live two-way sync per open database,
// restarted with backoff after errors, on `online` and when the app becomes visible.
// Invariants: a 401/403 stops syncing and asks the user to sign in again (never a silent
// stop); the outbox shrinks only when the server confirms (push changes, `_revs_diff`).
// An empty replica is first filled by LocalStore's initial pull; live sync then starts
// from the sequences it reached, until a complete round has written checkpoints there.
import { describe as describeError, localStore, type LocalStore } from '$lib/db/local-store';
import { Live } from '$lib/db/live.svelte';
import {
	liveSync,
	openRemote,
	type Database,
	type Replication,
	type SyncOptions
} from '$lib/db/pouch';
import { backoffDelay, classifyError } from './backoff';

export type DbSyncStatus = 'starting' | 'active' | 'idle' | 'offline' | 'error' | 'auth';

/**
 * Documents per replication batch; larger batches make a first sync of a term markedly
 * faster, and a 413 from the server shrinks them (see #onError).
 */
const FIRST_BATCH = 1000;

/** A replication active this long without any event is considered stalled. */
const STALL_MS = 120_000;

interface Running {
	/** Null while the initial pull runs. */
	replication: Replication | null;
	abort: AbortController;
	lastEvent: number;
	timer?: ReturnType<typeof setTimeout>;
	attempt: number;
	batchSize: number;
	stopped: boolean;
}

export class SyncManager {
	status = $state<Record<string, DbSyncStatus>>({});
	lastSync = $state<string | null>(null);
	/** When each database last caught up both ways (the sync page lists them). */
	lastSyncOf = $state<Record<string, string>>({});
	lastError = $state<string | null>(null);
	needsSignIn = $state(false);
	denied = $state<{ count: number; reason: string } | null>(null);
	online = $state(typeof navigator === 'undefined' ? true : navigator.onLine);
	stalledNotice = $state(false);

	readonly pending: Live<number>;
	// Bookkeeping of running replications, never rendered: a plain Map on purpose.
	// eslint-disable-next-line svelte/prefer-svelte-reactivity
	#running = new Map<string, Running>();
	#origin = '';
	#listening = false;

	constructor(private readonly store: LocalStore = localStore) {
		this.pending = new Live(() => this.store.outboxCount());
	}

	/** Every open database has completed a sync since it was (re)started. */
	get allIdle(): boolean {
		const states = Object.values(this.status);
		return states.length > 0 && states.every((s) => s === 'idle');
	}

	/** True while any database is replicating a batch. */
	get syncing(): boolean {
		return Object.values(this.status).some((s) => s === 'active' || s === 'starting');
	}

	start(dbNames: readonly string[], origin: string) {
		this.#origin = origin;
		this.needsSignIn = false;
		this.#listen();
		for (const name of [...this.#running.keys()]) if (!dbNames.includes(name)) this.#stop(name);
		for (const name of dbNames) if (!this.#running.has(name)) this.#run(name, 0, FIRST_BATCH);
	}

	stopAll() {
		for (const name of [...this.#running.keys()]) this.#stop(name);
	}

	/** Restarts every replication now (after `online`, or the user's "sync now"). */
	restart() {
		if (this.needsSignIn) return;
		for (const [name, r] of [...this.#running]) {
			this.#stop(name);
			this.#run(name, 0, r.batchSize);
		}
	}

	#listen() {
		if (this.#listening || typeof window === 'undefined') return;
		this.#listening = true;
		window.addEventListener('online', () => {
			this.online = true;
			this.restart();
		});
		window.addEventListener('offline', () => {
			this.online = false;
		});
		document.addEventListener('visibilitychange', () => {
			if (document.visibilityState === 'visible') this.restart();
		});
		// The watchdog: a replication that says it is busy but has been silent for minutes
		// (a half-open connection, a suspended tablet) is restarted rather than trusted.
		setInterval(() => this.#checkStalls(), 20_000);
	}

	#checkStalls(now = Date.now()) {
		for (const [name, r] of [...this.#running]) {
			const busy = this.status[name] === 'active' || this.status[name] === 'starting';
			if (busy && now - r.lastEvent > STALL_MS) {
				this.stalledNotice = true;
				this.#stop(name);
				this.#run(name, 0, r.batchSize);
			}
		}
	}

	#stop(name: string) {
		const r = this.#running.get(name);
		if (!r) return;
		r.stopped = true;
		clearTimeout(r.timer);
		r.abort.abort();
		r.replication?.cancel();
		this.#running.delete(name);
		delete this.status[name];
	}

	#run(name: string, attempt: number, batchSize: number) {
		const r: Running = {
			replication: null,
			abort: new AbortController(),
			attempt,
			batchSize,
			stopped: false,
			lastEvent: Date.now()
		};
		this.#running.set(name, r);
		this.status[name] = 'starting';
		void this.#begin(name, r);
	}

	async #begin(name: string, r: Running) {
		let since: SyncOptions['since'] | null;
		try {
			since = await this.store.initialPull(name, this.#origin, {
				signal: r.abort.signal,
				onPage: () => {
					r.lastEvent = Date.now();
					if (!r.stopped) this.status[name] = 'active';
				}
			});
		} catch (err) {
			if (!r.stopped) this.#onError(name, r, err);
			return;
		}
		if (r.stopped) return;
		const local = this.store.replica(name);
		const remote = openRemote(name, this.#origin);
		const replication = liveSync(local, remote, {
			batchSize: r.batchSize,
			since: since ?? undefined
		});
		r.replication = replication;
		for (const event of ['active', 'change', 'paused', 'denied', 'error']) {
			replication.on(event, () => (r.lastEvent = Date.now()));
		}

		replication.on('active', () => {
			if (!r.stopped) this.status[name] = 'active';
		});
		replication.on(
			'change',
			(info: { direction: string; change: { docs: { _id: string; _rev?: string }[] } }) => {
				if (info.direction === 'push') void this.#confirm(name, info.change.docs);
			}
		);
		replication.on('paused', (err: unknown) => {
			if (r.stopped || err) return;
			r.attempt = 0;
			// Both directions have checkpoints at or past the initial pull's sequences now.
			if (since) {
				since = null;
				this.store.initialPullSettled(name).catch((e: unknown) => {
					this.lastError = describeError(e);
				});
			}
			void this.#settle(name, r, remote);
		});
		// A two-way sync wraps the refusal as `{direction, doc}` (`doc` is the server's
		// `{error, reason}` row); a one-way replication gives the row itself.
		type Refusal = { reason?: string; message?: string };
		replication.on('denied', (event: Refusal & { doc?: Refusal }) => {
			const err = event?.doc ?? event;
			const reason = err?.reason ?? err?.message ?? 'forbidden';
			this.denied = { count: (this.denied?.count ?? 0) + 1, reason };
		});
		replication.on('error', (err: unknown) => {
			if (r.stopped) return;
			this.#onError(name, r, err);
		});
	}

	/** After a batch: the screen shows all that arrived before "synced" is claimed. */
	async #settle(name: string, r: Running, remote: Database) {
		try {
			await this.store.caughtUp(name);
			await this.store.reconcileOutbox(name, remote);
			if (r.stopped) return;
			this.status[name] = 'idle';
			// A timestamp string, not a reactive date: the rule's false positive.
			// eslint-disable-next-line svelte/prefer-svelte-reactivity
			this.lastSync = new Date().toISOString();
			this.lastSyncOf[name] = this.lastSync;
			this.lastError = null;
		} catch (e) {
			this.lastError = describeError(e);
		}
	}

	async #confirm(name: string, docs: { _id: string; _rev?: string }[]) {
		try {
			await this.store.confirmSent(name, docs);
		} catch (e) {
			this.lastError = describeError(e);
		}
	}

	#onError(name: string, r: Running, err: unknown) {
		const kind = classifyError(err);
		if (kind === 'auth') {
			this.status[name] = 'auth';
			this.needsSignIn = true;
			this.stopAll();
			return;
		}
		const batchSize = kind === 'too-large' ? Math.max(1, Math.floor(r.batchSize / 4)) : r.batchSize;
		this.online = typeof navigator === 'undefined' ? true : navigator.onLine;
		this.status[name] = this.online ? 'error' : 'offline';
		this.lastError = describeError(err);
		r.timer = setTimeout(() => {
			if (r.stopped) return;
			this.#running.delete(name);
			this.#run(name, r.attempt + 1, batchSize);
		}, backoffDelay(r.attempt));
	}
}

export const syncManager = new SyncManager();
