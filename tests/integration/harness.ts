// The app's own declarations of the untyped PouchDB browser packages (a script file, so
// it cannot be imported; tests/tsconfig.json does not include src/).
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="../../src/lib/db/pouchdb-modules.d.ts" />
// Integration harness: the real sync-server in-process and the app's real data layer as
// several "devices" in one Node process. Each device has its own Dexie read model and its
// own PouchDB replicas (own IndexedDB database names on fake-indexeddb, see `Device`), its
// own network link (`Network`: a device can go offline while the others stay online) and
// the app's real `SyncManager`.
import './env';
import { vi } from 'vitest';
import { newEventId } from '../../src/lib/db/ids';
import { LocalStore } from '../../src/lib/db/local-store';
import { openLocal, type Database, type PouchDoc } from '../../src/lib/db/pouch';
import { ReadModel, type MarkRow } from '../../src/lib/db/read-model';
import { groupDb, markSchema, type Mark, type MarkStatus } from '../../src/lib/domain';
import { startServer, type Running } from '../../sync-server/test-helpers';
import type { Doc } from '../../sync-server/storage';

export const SCHOOL = 'demo';
export const GROUP = 'svc-3-1';
export const GROUP_DB = groupDb(SCHOOL, GROUP);
export const TEACHER = { name: 'teacher', password: 'kehou-teacher' };

/**
 * The surface of `SyncManager` these tests drive. The class is loaded at run time (below)
 * because `tsc -p tests` cannot follow its `$lib/…` imports and runes; vitest compiles it
 * with the SvelteKit plugin like the app does. Keep this in step with the class.
 */
export interface Manager {
	status: Record<string, 'starting' | 'active' | 'idle' | 'offline' | 'error' | 'auth'>;
	lastError: string | null;
	needsSignIn: boolean;
	denied: { count: number; reason: string } | null;
	start(dbNames: readonly string[], origin: string): void;
	restart(): void;
	stopAll(): void;
}
const managerModule = '../../src/lib/sync/sync-manager.svelte.ts';
const { SyncManager } = (await import(/* @vite-ignore */ managerModule)) as {
	SyncManager: new (store: LocalStore) => Manager;
};

/**
 * Routes each device's requests to the server. A device's origin is a made-up host
 * (`http://<device>.kehou.test`); `openRemote` calls the global `fetch`, which this
 * replaces: requests to a device host get that device's HTTP Basic credentials and go to
 * the current server (which may restart on another port), or fail as a network error
 * while the device is offline or no server runs. Any other URL passes through.
 */
export interface Sent {
	/** The device's host name part (`tablet-a`). */
	device: string;
	method: string;
	/** Path and query as the server sees them, e.g. `/kh-demo--g--svc-3-1/_changes?since=0`. */
	path: string;
	/** The request body, when it was a string. */
	body?: string;
}

export class Network {
	server: Running | null = null;
	/** Every request a device sent to the server, in order. */
	readonly sent: Sent[] = [];
	/**
	 * Called before a device's request goes out (a throw fails it as a network error
	 * would) and after its response arrived (to change the server in between, or to
	 * answer something else instead).
	 */
	beforeSend?: (req: Sent) => void | Promise<void>;
	afterReply?: (req: Sent, res: Response) => void | Response | Promise<void | Response>;
	#links = new Map<string, { online: boolean; auth: string }>();
	#realFetch = globalThis.fetch;

	install(): void {
		const real = this.#realFetch;
		globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
			const url = new URL(input instanceof Request ? input.url : String(input));
			const link = this.#links.get(url.host);
			if (!link) return real(input, init);
			if (!link.online || !this.server) throw new TypeError('fetch failed');
			const sent: Sent = {
				device: url.host.split('.')[0],
				method: init?.method ?? 'GET',
				path: `${url.pathname}${url.search}`,
				...(typeof init?.body === 'string' ? { body: init.body } : {})
			};
			this.sent.push(sent);
			await this.beforeSend?.(sent);
			const headers = new Headers(init?.headers);
			headers.set('Authorization', link.auth);
			const res = await real(`${this.server.url}${sent.path}`, { ...init, headers });
			return (await this.afterReply?.(sent, res)) ?? res;
		};
	}

	uninstall(): void {
		globalThis.fetch = this.#realFetch;
	}

	/** Adds a device's link and returns the origin its app would sync with. */
	link(device: string, account: { name: string; password: string }): string {
		const host = `${device}.kehou.test`;
		const auth = `Basic ${Buffer.from(`${account.name}:${account.password}`).toString('base64')}`;
		this.#links.set(host, { online: true, auth });
		return `http://${host}`;
	}

	setOnline(origin: string, online: boolean): void {
		const link = this.#links.get(new URL(origin).host);
		if (!link) throw new Error(`no link for ${origin}`);
		link.online = online;
	}
}

const run = Math.random().toString(36).slice(2, 8);

/**
 * One simulated tablet. Isolation: PouchDB's indexeddb adapter reads the global
 * `indexedDB` (it takes no factory option), so two devices cannot each get their own
 * fake-indexeddb factory without swapping a global under interleaved async work. Instead
 * every IndexedDB database of a device carries the device's name (the read model's Dexie
 * name, and each replica's name through `LocalStore`'s `openReplica` seam): IndexedDB
 * databases of different names share nothing, and PouchDB's in-process caches and change
 * notifications are keyed by database name too.
 */
export class Device {
	readonly rm: ReadModel;
	readonly store: LocalStore;
	readonly manager: Manager;
	readonly origin: string;
	readonly #prefix: string;

	constructor(
		readonly name: string,
		private readonly net: Network,
		readonly account = TEACHER
	) {
		this.#prefix = `${run}-${name}--`;
		this.rm = new ReadModel(`kehou-rm-${run}-${name}`);
		this.store = new LocalStore(this.rm, (db) => openLocal(this.#prefix + db));
		this.manager = new SyncManager(this.store);
		this.origin = net.link(name, account);
	}

	/** Opens the group's replica and starts live sync, as signing in does. */
	async start(dbs: readonly string[] = [GROUP_DB]): Promise<void> {
		await this.store.open(dbs);
		this.manager.start(dbs, this.origin);
	}

	/** The device loses (or regains) its network; regaining restarts sync as `online` does. */
	setOnline(online: boolean): void {
		this.net.setOnline(this.origin, online);
		if (online) this.manager.restart();
	}

	/** A handle on this device's replica of `db`, outside the store (for inspection). */
	replica(db = GROUP_DB): Database {
		return openLocal(this.#prefix + db);
	}

	/** Resolves when live sync is idle, the read model caught up and the outbox empty. */
	async synced(db = GROUP_DB, timeout = 20_000): Promise<void> {
		await vi.waitFor(
			async () => {
				const pending = await this.store.outboxCount();
				const status = this.manager.status[db];
				if (status !== 'idle' || pending > 0) {
					throw new Error(`${this.name}: ${status}, ${pending} unsent, ${this.manager.lastError}`);
				}
			},
			{ timeout, interval: 50 }
		);
	}

	async marks(groupId = GROUP): Promise<MarkRow[]> {
		const days = await this.rm.markDays.toArray();
		return days
			.filter((d) => d.groupId === groupId)
			.flatMap((d) => d.marks)
			.sort((a, b) => a.id.localeCompare(b.id));
	}

	async studentIds(groupId = GROUP): Promise<string[]> {
		const ids = await this.rm.students.where('groupId').equals(groupId).primaryKeys();
		return ids.map(String).sort();
	}

	/** Stops syncing, closes the replicas and deletes everything the device stored. */
	async dispose(): Promise<void> {
		this.manager.stopAll();
		const dbs = this.store.openDbs;
		await this.store.open([]);
		for (const db of dbs) await this.replica(db).destroy();
		this.rm.close();
		await this.rm.delete();
	}
}

/** One server on port 0 in a temp folder (demo seeded), one network, disposable devices. */
export class World {
	readonly net = new Network();
	readonly devices: Device[] = [];

	get server(): Running {
		if (!this.net.server) throw new Error('no server running');
		return this.net.server;
	}

	async start(opts: Parameters<typeof startServer>[0] = {}): Promise<this> {
		this.net.install();
		this.net.server = await startServer(opts);
		return this;
	}

	device(name: string, account = TEACHER): Device {
		const d = new Device(name, this.net, account);
		this.devices.push(d);
		return d;
	}

	/** Stops the server but keeps its data folder: every device's requests now fail. */
	async stopServer(): Promise<string> {
		const { dataDir } = this.server;
		await this.server.stop(true);
		this.net.server = null;
		return dataDir;
	}

	/** Starts a server again on the same data (on a new port; devices do not notice). */
	async restartServer(dataDir: string): Promise<void> {
		this.net.server = await startServer({ dataDir });
	}

	/** Every stored leaf of the server's database, with conflicts, read from its storage. */
	async serverDocs(db = GROUP_DB): Promise<Doc[]> {
		const res = (await this.server.server.storage
			.db(db)
			.allDocs({ include_docs: true, conflicts: true })) as { rows: { doc: Doc }[] };
		return res.rows.map((r) => r.doc);
	}

	async dispose(): Promise<void> {
		for (const d of this.devices.splice(0)) await d.dispose();
		await this.net.server?.stop();
		this.net.server = null;
		this.net.uninstall();
	}
}

export interface MarkInput {
	studentId: string;
	status: MarkStatus;
	supersedes?: string;
	/** Device time; defaults to now. */
	at?: string;
	date?: string;
	author?: string;
}

/**
 * Marks exactly as the roll-call repository (`recordMarks`) makes them: a fresh UUIDv7,
 * the device id, the signed-in author, `arrivedAt` for `late`, validated by `markSchema`.
 * `author` may be overridden to make a document the server must refuse.
 */
export async function makeMarks(
	device: Device,
	inputs: readonly MarkInput[],
	date = '2026-11-30'
): Promise<Mark[]> {
	const deviceId = await device.store.deviceId();
	const now = new Date().toISOString();
	return inputs.map((input) => {
		const id = newEventId();
		const at = input.at ?? now;
		return markSchema.parse({
			_id: `mark:${id}`,
			type: 'mark',
			id,
			groupId: GROUP,
			studentId: input.studentId,
			date: input.date ?? date,
			status: input.status,
			...(input.status === 'late' ? { arrivedAt: at } : {}),
			at,
			deviceId,
			author: input.author ?? device.account.name,
			...(input.supersedes ? { supersedes: input.supersedes } : {})
		});
	});
}

/** Writes documents through the device's `LocalStore.write`, as every repository does. */
export async function write(device: Device, docs: readonly object[], db = GROUP_DB) {
	await device.store.write(db, docs as PouchDoc[]);
}

/** Ids mapped to how often they occur, for "exactly once" checks. */
export function counts(ids: readonly string[]): Map<string, number> {
	const m = new Map<string, number>();
	for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1);
	return m;
}
