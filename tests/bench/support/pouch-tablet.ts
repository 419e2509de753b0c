// A simulated tablet that is a real PouchDB client: LevelDB databases in a folder of its
// own, replicating with PouchDB's replicator over the HTTP adapter (node-fetch: a new
// connection per request, gzip accepted). Its cycle costs the tablet what a tablet's
// PouchDB costs (local reads and writes, revision trees, checkpoints), so a bench of many
// such tablets on a few cores measures them as much as the server (sync-server/README.md).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client, type ClientDatabase } from '../../../sync-server/test-helpers';
import type { Doc } from '../../../sync-server/storage';
import { requestKind, type RequestTiming } from './tablets';

export interface PouchTabletOptions {
	url: string;
	cookie?: string;
	groupDb: string;
	schoolDb: string;
	/** The afternoon, as the app writes it: stored locally before the cycle. */
	docs: Doc[];
	/** A folder of this tablet's own for its LevelDB databases. */
	dir: string;
}

export class PouchTablet {
	private readonly group: ClientDatabase;
	private readonly school: ClientDatabase;
	private readonly groupRemote: ClientDatabase;
	private readonly schoolRemote: ClientDatabase;
	private log: RequestTiming[] | null = null;

	constructor(private readonly opts: PouchTabletOptions) {
		// leveldown makes a database's folder, not the folders above it.
		mkdirSync(opts.dir, { recursive: true });
		this.group = new Client(join(opts.dir, 'group'), { adapter: 'leveldb' });
		this.school = new Client(join(opts.dir, 'school'), { adapter: 'leveldb' });
		this.groupRemote = this.remote(opts.groupDb);
		this.schoolRemote = this.remote(opts.schoolDb);
	}

	/** Stores the afternoon; steady: the tablet already holds the school database. */
	async prepare(mode: 'burst' | 'steady'): Promise<void> {
		await this.group.bulkDocs(this.opts.docs.map((d) => ({ ...d })));
		if (mode === 'steady') await this.school.replicate.from(this.schoolRemote);
	}

	/** The push and the school pull (steady: and the group pull), side by side or in turn. */
	async cycle(
		mode: 'burst' | 'steady',
		requests: RequestTiming[],
		sequential = false
	): Promise<{ pushed: number; pulled: number; error?: string }> {
		this.log = requests;
		const jobs = [
			() => this.group.replicate.to(this.groupRemote),
			() => this.school.replicate.from(this.schoolRemote)
		];
		if (mode === 'steady') jobs.push(() => this.group.replicate.from(this.groupRemote));
		try {
			const results = [];
			if (sequential) for (const job of jobs) results.push(await job());
			else results.push(...(await Promise.all(jobs.map((j) => j()))));
			const [push, pullSchool, pullGroup] = results;
			const failures = push.doc_write_failures + pullSchool.doc_write_failures;
			return {
				pushed: push.docs_written,
				pulled: pullSchool.docs_written + (pullGroup?.docs_written ?? 0),
				...(failures ? { error: `${failures} write failures` } : {})
			};
		} catch (e) {
			return { pushed: 0, pulled: 0, error: String((e as Error)?.message ?? e) };
		} finally {
			this.log = null;
		}
	}

	/** The school documents this tablet holds: id → winning revision. */
	async schoolHeld(): Promise<Map<string, string>> {
		const all = (await this.school.allDocs({})) as {
			rows: Array<{ id: string; value: { rev: string } }>;
		};
		return new Map(all.rows.map((r) => [r.id, r.value.rev]));
	}

	async close(): Promise<void> {
		await Promise.all([this.group.close(), this.school.close()]);
	}

	private remote(name: string): ClientDatabase {
		const cookie = this.opts.cookie;
		return new Client(`${this.opts.url}/${name}`, {
			fetch: async (u: string, opts: { headers: Headers; method?: string }) => {
				if (cookie) opts.headers.set('Cookie', cookie);
				const into = this.log;
				const t0 = performance.now();
				const res = await Client.fetch(u, opts);
				if (!into) return res;
				// Time to the whole body, as the replicator waits for it; the body is kept.
				const body = await res.arrayBuffer();
				into.push({ kind: requestKind(opts.method ?? 'GET', u), ms: performance.now() - t0 });
				return new Response(res.status === 204 || res.status === 304 ? null : body, {
					status: res.status,
					statusText: res.statusText,
					headers: res.headers as unknown as HeadersInit
				});
			}
		});
	}
}
