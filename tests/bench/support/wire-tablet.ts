// A simulated tablet at the protocol level ("wire" tablet): it sends the HTTP requests
// PouchDB 9's replicator sends for a tablet's cycle (push of an afternoon to its group
// database, pull of the school database, in steady mode also the pull of its group), with
// the same paths, query parameters, headers that matter and body shapes, in the same order
// and overlap — but holds no database of its own. Every large body (`_revs_diff`,
// `_bulk_docs`, each `_bulk_get` page) is a JSON string built before the cycle, with the
// revisions PouchDB would compute, so that a cycle costs the tablet only its HTTP and the
// parsing of the answers; only checkpoint documents (a few hundred bytes) are rebuilt from
// the answer to their GET, as the replicator does.
// Every answer is checked as a replicator would check it (status codes, every `_bulk_docs`
// result, `_revs_diff` naming each pushed revision missing, the ids and revisions of each
// `_changes` page and `_bulk_get` answer, `last_seq` as the next `since`); any difference
// ends the cycle with an error, so the documents a bench counts were really exchanged.
// `bench-tablet.spec.ts` (sync-server/) checks the requests against PouchDB's own.
// Invariants mirrored from pouchdb-replication / pouchdb-checkpointer / pouchdb-adapter-http:
// - each remote database object checks it exists once (`GET /{db}/`, `PUT` on 404) before
//   its first call; each replication asks the server's id (`GET /`) once;
// - checkpoints: the target's is read first (remote for a push, this tablet's memory for a
//   pull), then the source's; a write reads the target's, then the source's, and PUTs a
//   remote one only when its `last_seq` changed;
// - `_changes?style=all_docs&since=…&limit=100` pages run ahead of the batches; a batch is
//   `_bulk_get?revs=true&latest=true` of the revisions not held, then `GET /{db}/` (not
//   awaited) and the checkpoint; an empty page writes a checkpoint only when no batch is
//   being processed or waiting.
import { createHash, randomUUID } from 'node:crypto';
import { Agent, request, type OutgoingHttpHeaders } from 'node:http';
import { createGunzip, createInflate } from 'node:zlib';
import type { Doc } from '../../../sync-server/storage';
import { requestKind, type RequestTiming } from './tablets';

/** A document of a database's changes feed: id and winning revision, in sequence order. */
export interface ChangeRow {
	id: string;
	rev: string;
}

export interface WireTabletOptions {
	/** Server origin, e.g. `http://127.0.0.1:3000`. */
	url: string;
	cookie?: string;
	groupDb: string;
	schoolDb: string;
	/** The afternoon, as the app writes it (no `_rev`): pushed with PouchDB's revisions. */
	docs: Doc[];
	/** The school database's documents in sequence order (what a first pull must receive). */
	school: ChangeRow[];
	/** Keep connections open between requests (a browser does; Node's PouchDB does not). */
	keepAlive?: boolean;
}

/** PouchDB's replicator defaults (batch_size, batches_limit). */
const BATCH_SIZE = 100;
const BATCHES_LIMIT = 10;
const JSON_HEADERS = { Accept: 'application/json', 'Content-Type': 'application/json' };

/** PouchDB's deterministic revision of a new document (pouchdb-utils `rev`, pouchdb-md5). */
export function pouchRev(doc: Doc): string {
	return `1-${createHash('md5').update(JSON.stringify(doc), 'binary').digest('hex')}`;
}

interface Checkpoint {
	_id: string;
	_rev?: string;
	session_id: string;
	history: Array<{ last_seq: unknown; session_id: string }>;
	replicator: string;
	version: number;
	last_seq?: unknown;
}

interface Remote {
	db: string;
	ready: Promise<void> | null;
}

/** One replication between this tablet and one remote database, kept across cycles. */
interface Flow {
	name: string;
	remote: Remote;
	/** `_local/<replication id>`, the same on both sides. */
	localId: string;
	/** This tablet's own copy of the checkpoint (the local database's `_local` document). */
	mine: Checkpoint | null;
	/** Documents this tablet holds from/for this database: id → revision. */
	held: Map<string, string>;
}

interface Page {
	rows: ChangeRow[];
	seq: unknown;
}

class Failure extends Error {}

function fail(message: string): never {
	throw new Failure(message);
}

/** A replication id as PouchDB makes one: base64 of an md5, '/' replaced by '.'. */
function replicationId(): string {
	return `_local/${createHash('md5').update(randomUUID()).digest('base64').replace(/\//g, '.')}`;
}

export class WireTablet {
	private readonly base: URL;
	private readonly agent: Agent;
	private readonly keepAlive: boolean;
	private readonly group: Remote;
	private readonly school: Remote;
	private readonly push: Flow;
	private readonly pullSchool: Flow;
	private readonly pullGroup: Flow;
	/** Push bodies and what `_revs_diff` must answer. */
	private readonly pushed: ChangeRow[];
	private readonly revsDiffBody: string;
	private readonly bulkDocsBody: string;
	/** The school's pages as a first pull receives them, each with its `_bulk_get` body. */
	private readonly schoolPages: Array<{ rows: ChangeRow[]; body: string }>;
	private log: RequestTiming[] | null = null;
	/** Requests not awaited by the replicator (`GET /{db}/` after a batch). */
	private readonly loose = new Set<Promise<unknown>>();

	constructor(private readonly opts: WireTabletOptions) {
		this.base = new URL(opts.url);
		this.keepAlive = opts.keepAlive ?? true;
		this.agent = new Agent({ keepAlive: this.keepAlive, maxSockets: 6 });
		this.group = { db: opts.groupDb, ready: null };
		this.school = { db: opts.schoolDb, ready: null };
		const flow = (name: string, remote: Remote): Flow => ({
			name,
			remote,
			localId: replicationId(),
			mine: null,
			held: new Map()
		});
		this.push = flow('push', this.group);
		this.pullSchool = flow('school pull', this.school);
		this.pullGroup = flow('group pull', this.group);
		// The local database stores the afternoon as PouchDB does and gives it back with
		// `revs: true`: the data fields, then `_id`, `_rev`, `_revisions`.
		const entries: string[] = [];
		const diff: Record<string, string[]> = {};
		this.pushed = opts.docs.map((doc) => {
			const rev = pouchRev(doc);
			const { _id, ...data } = doc;
			const id = String(_id);
			entries.push(
				JSON.stringify({
					...data,
					_id: id,
					_rev: rev,
					_revisions: { start: 1, ids: [rev.slice(2)] }
				})
			);
			diff[id] = [rev];
			this.pullGroup.held.set(id, rev);
			return { id, rev };
		});
		if (this.pushed.length > BATCH_SIZE) throw new Error('an afternoon fits one batch');
		this.revsDiffBody = JSON.stringify(diff);
		this.bulkDocsBody = `{"docs":[${entries.join(',')}],"new_edits":false}`;
		this.schoolPages = [];
		for (let i = 0; i < opts.school.length; i += BATCH_SIZE) {
			const rows = opts.school.slice(i, i + BATCH_SIZE);
			this.schoolPages.push({ rows, body: JSON.stringify({ docs: rows }) });
		}
	}

	/** The school documents this tablet holds (id → revision), as a PouchDB replica would. */
	get schoolHeld(): ReadonlyMap<string, string> {
		return this.pullSchool.held;
	}

	/** steady: the tablet already holds the school database (a first pull, not logged). */
	async prepare(mode: 'burst' | 'steady'): Promise<void> {
		if (mode === 'steady') await this.pull(this.pullSchool);
	}

	/**
	 * One cycle: the push and the school pull (steady: and the group pull) side by side, as
	 * the bench's PouchDB tablets start them; `sequential` runs them one after the other.
	 */
	async cycle(
		mode: 'burst' | 'steady',
		requests: RequestTiming[],
		sequential = false
	): Promise<{ pushed: number; pulled: number; error?: string }> {
		this.log = requests;
		const jobs: Array<() => Promise<number>> = [
			() => this.pushAfternoon(),
			() => this.pull(this.pullSchool)
		];
		if (mode === 'steady') jobs.push(() => this.pull(this.pullGroup));
		try {
			let counts: number[];
			if (sequential) {
				counts = [];
				for (const job of jobs) counts.push(await job());
			} else counts = await Promise.all(jobs.map((j) => j()));
			return { pushed: counts[0], pulled: counts[1] + (counts[2] ?? 0) };
		} catch (e) {
			return { pushed: 0, pulled: 0, error: e instanceof Error ? e.message : String(e) };
		} finally {
			await Promise.allSettled([...this.loose]);
			this.log = null;
		}
	}

	close(): void {
		this.agent.destroy();
	}

	// --- the replications ---

	private async pushAfternoon(): Promise<number> {
		const flow = this.push;
		const session = randomUUID();
		await this.ready(flow.remote);
		await this.send('GET', '/', undefined, false);
		const since = await this.readCheckpoint(flow, 'remote-target');
		// The local changes feed: the afternoon's documents have sequences 1…N.
		if (since !== 0) fail(`push: the afternoon was pushed before (checkpoint ${String(since)})`);
		const diff = await this.json('POST', this.path(flow, '_revs_diff'), this.revsDiffBody);
		const answer = diff.body as Record<string, { missing?: string[] }>;
		for (const { id, rev } of this.pushed) {
			const missing = answer?.[id]?.missing;
			if (!missing || missing.length !== 1 || missing[0] !== rev)
				fail(`_revs_diff: ${id} ${rev} not missing (${JSON.stringify(answer?.[id])})`);
		}
		const res = await this.json('POST', this.path(flow, '_bulk_docs'), this.bulkDocsBody, 201);
		if (!Array.isArray(res.body)) fail('_bulk_docs: no array');
		for (const r of res.body as Array<{ id?: string; error?: string; reason?: string }>) {
			if (r.error) fail(`_bulk_docs: ${r.id} ${r.error}: ${r.reason}`);
		}
		// The local feed's next page (empty) comes back while this batch is still being
		// written, so the replicator writes no second checkpoint.
		await this.writeCheckpoint(flow, this.pushed.length, session, 'remote-target');
		return this.pushed.length;
	}

	private async pull(flow: Flow): Promise<number> {
		const session = randomUUID();
		await this.ready(flow.remote);
		await this.send('GET', '/', undefined, false);
		let since = await this.readCheckpoint(flow, 'local-target');
		await this.send('GET', `/${flow.remote.db}/`, undefined, false);
		const batches: Page[] = [];
		// The batch loop while it runs (the replicator's `currentBatch` is set meanwhile), and
		// the first error of either loop.
		const state: { running: Promise<void> | null; failure: unknown } = {
			running: null,
			failure: null
		};
		let pulled = 0;
		// A first pull of the school receives its pages in order; nothing else is pulled.
		let pageIndex = flow === this.pullSchool && since === 0 ? 0 : -1;

		const batch = async ({ rows, seq }: Page) => {
			const missing = rows.filter((r) => flow.held.get(r.id) !== r.rev);
			if (missing.length) {
				const page = pageIndex >= 0 ? this.schoolPages[pageIndex++] : undefined;
				if (
					!page ||
					page.rows.length !== missing.length ||
					page.rows.some((r, i) => r.id !== missing[i].id || r.rev !== missing[i].rev)
				)
					fail(`${flow.name}: ${missing.length} documents unlike the school database's`);
				pulled += await this.bulkGet(flow, page);
			}
			const info = this.send('GET', `/${flow.remote.db}/`, undefined, false);
			this.loose.add(info);
			void info.then(
				() => this.loose.delete(info),
				() => this.loose.delete(info)
			);
			await this.writeCheckpoint(flow, seq, session, 'local-target');
		};
		const startBatches = () => {
			state.running ??= (async () => {
				while (batches.length && !state.failure) await batch(batches.shift()!);
			})()
				.catch((e: unknown) => void (state.failure ??= e))
				.finally(() => {
					state.running = null;
					// A page that arrived while the loop was ending waits for no one.
					if (batches.length && !state.failure) startBatches();
				});
		};

		try {
			for (;;) {
				while (batches.length >= BATCHES_LIMIT && state.running) await state.running;
				if (state.failure) throw state.failure;
				const query = `since=${encodeURIComponent(String(since))}&limit=${BATCH_SIZE}`;
				const res = await this.json('GET', `/${flow.remote.db}/_changes?style=all_docs&${query}`);
				const body = res.body as {
					results?: Array<{ id: string; seq: unknown; changes?: Array<{ rev: string }> }>;
					last_seq?: string | number;
				};
				if (!Array.isArray(body?.results) || body.last_seq === undefined)
					fail(`${flow.name}: _changes without results or last_seq`);
				if (body.results.length > BATCH_SIZE) fail(`${flow.name}: _changes past its limit`);
				if (!body.results.length) {
					// The replicator checkpoints an empty page only when no batch is in hand.
					if (!state.running && !batches.length && !state.failure)
						await this.writeCheckpoint(flow, body.last_seq, session, 'local-target');
					break;
				}
				const last = body.results[body.results.length - 1].seq;
				if (JSON.stringify(last) !== JSON.stringify(body.last_seq))
					fail(`${flow.name}: last_seq ${body.last_seq} is not the last row's (${String(last)})`);
				since = body.last_seq;
				const rows = body.results.map((r) => {
					if (r.changes?.length !== 1)
						fail(`${flow.name}: ${r.id} with ${r.changes?.length} leaves`);
					return { id: r.id, rev: r.changes[0].rev };
				});
				batches.push({ rows, seq: last });
				startBatches();
			}
		} catch (e) {
			// The batch in hand finishes first, as the replicator lets it.
			state.failure ??= e;
		}
		while (state.running) await state.running;
		if (state.failure) throw state.failure;
		return pulled;
	}

	private async bulkGet(flow: Flow, page: { rows: ChangeRow[]; body: string }): Promise<number> {
		const res = await this.json(
			'POST',
			this.path(flow, '_bulk_get?revs=true&latest=true'),
			page.body
		);
		const results = (res.body as { results?: unknown[] })?.results;
		if (!Array.isArray(results) || results.length !== page.rows.length)
			fail(
				`_bulk_get: ${Array.isArray(results) ? results.length : 'no'} results for ${page.rows.length}`
			);
		page.rows.forEach(({ id, rev }, i) => {
			const r = results[i] as { id?: string; docs?: Array<{ ok?: Doc; error?: unknown }> };
			const doc = r?.docs?.length === 1 ? r.docs[0].ok : undefined;
			const revisions = doc?._revisions as { start?: number; ids?: string[] } | undefined;
			if (r?.id !== id || !doc || doc._id !== id || doc._rev !== rev)
				fail(`_bulk_get: ${id} ${rev} not received (${JSON.stringify(r).slice(0, 200)})`);
			if (
				revisions?.start !== Number(rev.split('-')[0]) ||
				revisions.ids?.[0] !== rev.slice(rev.indexOf('-') + 1)
			)
				fail(`_bulk_get: ${id} without its revision history`);
			flow.held.set(id, rev);
		});
		return page.rows.length;
	}

	// --- checkpoints (pouchdb-checkpointer) ---

	private async getRemoteCheckpoint(flow: Flow): Promise<Checkpoint | null> {
		const res = await this.json('GET', this.path(flow, flow.localId), undefined, [200, 404]);
		return res.status === 404 ? null : (res.body as Checkpoint);
	}

	/** `getCheckpoint`: the sequence this replication starts from. */
	private async readCheckpoint(flow: Flow, target: 'remote-target' | 'local-target') {
		const targetDoc = target === 'remote-target' ? await this.getRemoteCheckpoint(flow) : flow.mine;
		if (!targetDoc) return 0;
		const sourceDoc = target === 'remote-target' ? flow.mine : await this.getRemoteCheckpoint(flow);
		if (!sourceDoc) {
			if (!targetDoc.last_seq) return 0;
			const put = { _id: flow.localId, last_seq: 0 };
			if (target === 'local-target')
				await this.json('PUT', this.path(flow, flow.localId), JSON.stringify(put), 201);
			else flow.mine = { ...put, session_id: '', history: [], replicator: 'pouchdb', version: 1 };
			return 0;
		}
		if (targetDoc.version !== sourceDoc.version) return 0;
		return compareLogs(sourceDoc, targetDoc);
	}

	/** `writeCheckpoint`: the target's, then the source's; remote ones only when changed. */
	private async writeCheckpoint(
		flow: Flow,
		seq: unknown,
		session: string,
		target: 'remote-target' | 'local-target'
	): Promise<void> {
		const local = () => {
			flow.mine = updated(flow.mine ?? fresh(flow.localId, session), seq, session) ?? flow.mine;
		};
		const remote = async () => {
			const doc = (await this.getRemoteCheckpoint(flow)) ?? fresh(flow.localId, session);
			const next = updated(doc, seq, session);
			if (!next) return;
			const res = await this.json('PUT', this.path(flow, flow.localId), JSON.stringify(next), 201);
			if ((res.body as { ok?: boolean })?.ok !== true) fail(`${flow.name}: checkpoint not written`);
		};
		if (target === 'remote-target') {
			await remote();
			local();
		} else {
			local();
			await remote();
		}
	}

	// --- HTTP ---

	private path(flow: Flow, rest: string): string {
		if (rest.startsWith('_local/'))
			return `/${flow.remote.db}/_local/${encodeURIComponent(rest.slice(7))}`;
		return `/${flow.remote.db}/${rest}`;
	}

	/** The adapter's setup: `GET /{db}/`, and `PUT` when it is missing (the peer's groups). */
	private ready(remote: Remote): Promise<void> {
		remote.ready ??= (async () => {
			const res = await this.json('GET', `/${remote.db}/`, undefined, [200, 404]);
			if (res.status === 404) await this.json('PUT', `/${remote.db}/`, undefined, [201, 412]);
		})();
		remote.ready.catch(() => (remote.ready = null));
		return remote.ready;
	}

	/** A request through `fetchJSON`: JSON headers, status checked, body parsed. */
	private async json(
		method: string,
		path: string,
		body?: string,
		expect: number | number[] = 200
	): Promise<{ status: number; body: unknown }> {
		const res = await this.send(method, path, body, true);
		const ok = Array.isArray(expect) ? expect.includes(res.status) : res.status === expect;
		if (!ok)
			fail(
				`${method} ${requestKind(method, this.base.origin + path)}: ${res.status} ${res.text.slice(0, 200)}`
			);
		try {
			return { status: res.status, body: JSON.parse(res.text) };
		} catch {
			return fail(`${method} ${path}: not JSON`);
		}
	}

	private send(
		method: string,
		path: string,
		body: string | undefined,
		jsonHeaders: boolean
	): Promise<{ status: number; text: string }> {
		// node-fetch's own headers, as PouchDB in Node sends them (the peer compresses).
		const headers: OutgoingHttpHeaders = jsonHeaders ? { ...JSON_HEADERS } : { Accept: '*/*' };
		headers['Accept-Encoding'] = 'gzip,deflate';
		if (this.opts.cookie) headers.Cookie = this.opts.cookie;
		if (!this.keepAlive) headers.Connection = 'close';
		const payload = body === undefined ? undefined : Buffer.from(body);
		if (payload) headers['Content-Length'] = payload.length;
		const log = this.log;
		const t0 = performance.now();
		return new Promise((resolve, reject) => {
			const req = request(
				{
					host: this.base.hostname,
					port: this.base.port,
					method,
					path,
					headers,
					agent: this.agent
				},
				(res) => {
					const enc = res.headers['content-encoding'];
					const body =
						enc === 'gzip'
							? res.pipe(createGunzip())
							: enc === 'deflate'
								? res.pipe(createInflate())
								: res;
					body.setEncoding('utf8');
					let text = '';
					body.on('data', (c: string) => (text += c));
					body.on('error', reject);
					res.on('error', reject);
					body.on('end', () => {
						log?.push({
							kind: requestKind(method, this.base.origin + path),
							ms: performance.now() - t0
						});
						resolve({ status: res.statusCode ?? 0, text });
					});
				}
			);
			req.on('error', reject);
			req.end(payload);
		});
	}
}

function fresh(id: string, session: string): Checkpoint {
	return { session_id: session, _id: id, history: [], replicator: 'pouchdb', version: 1 };
}

/** `updateCheckpoint`'s new document, or null when `last_seq` is already `seq`. */
function updated(doc: Checkpoint, seq: unknown, session: string): Checkpoint | null {
	if (doc.last_seq === seq) return null;
	const history = (doc.history ?? []).filter((h) => h.session_id !== session);
	history.unshift({ last_seq: seq, session_id: session });
	return {
		...doc,
		history: history.slice(0, 5),
		version: 1,
		replicator: 'pouchdb',
		session_id: session,
		last_seq: seq
	};
}

/** CouchDB's replication-log comparison as pouchdb-checkpointer ports it (version 1). */
function compareLogs(source: Checkpoint, target: Checkpoint): number | string {
	if (source.session_id === target.session_id) return source.last_seq as number | string;
	const walk = (s: Checkpoint['history'], t: Checkpoint['history']): number | string => {
		if (!s[0] || t.length === 0) return 0;
		if (t.some((h) => h.session_id === s[0].session_id)) return s[0].last_seq as number | string;
		if (s.slice(1).some((h) => h.session_id === t[0].session_id))
			return t[0].last_seq as number | string;
		return walk(s.slice(1), t.slice(1));
	};
	return walk(source.history ?? [], target.history ?? []);
}
