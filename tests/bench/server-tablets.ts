// Simulated tablets for `tests/bench/server.ts`: one process runs a share of them, each a
// PouchDB client with LevelDB databases in a temp folder, talking to the server on loopback.
// Protocol on stdio (one JSON object per line): the parent passes the config as argv[2];
// this process prepares (writes each tablet's afternoon locally; in `steady` mode also
// pulls the school database once), prints {"ready":true}, waits for a line {"go":<epoch
// ms>} on stdin, runs the workload and prints {"results":[…]}.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client, mark, type ClientDatabase } from '../../sync-server/test-helpers';

export interface TabletSpec {
	/** Position among all tablets (for spreading arrivals). */
	index: number;
	group: string;
	author: string;
	cookie?: string;
}

export interface WorkerConfig {
	url: string;
	schoolDb: string;
	groupDb: (group: string) => string;
	mode: 'burst' | 'steady';
	tablets: TabletSpec[];
	total: number;
	/** steady: arrivals spread evenly over this many ms. */
	spreadMs: number;
	/** Documents per afternoon (45 marks + 45 releases + 1 care log). */
	afternoon: number;
}

export interface TabletResult {
	index: number;
	startedAt: number;
	ms: number;
	pushed: number;
	pulled: number;
	/** The HTTP requests of the workload: kind (method and path shape) and time to the body. */
	requests: RequestTiming[];
	error?: string;
}

export interface RequestTiming {
	kind: string;
	ms: number;
}

/**
 * A request as a shape, the same for both servers: `GET /{db}/_local/…`, query parameter
 * names only (`_changes?feed&since`), never ids or values.
 */
export function requestKind(method: string, url: string): string {
	const u = new URL(url);
	const parts = u.pathname.split('/').slice(1);
	const path = parts
		.map((p, i) => (i === 0 ? (p ? '{db}' : '') : i === 1 && p.startsWith('_') ? p : '…'))
		.join('/');
	const names = [...new Set(u.searchParams.keys())].sort().join('&');
	return `${method} /${path}${names ? `?${names}` : ''}`;
}

type SerialConfig = Omit<WorkerConfig, 'groupDb'> & { groupDbPattern: string };

/** Requests of each tablet while `log` is set (during the workload, not the setup). */
type Log = { requests: RequestTiming[] } | null;

function remote(
	url: string,
	name: string,
	cookie: string | undefined,
	log: () => Log
): ClientDatabase {
	return new Client(`${url}/${name}`, {
		fetch: async (u: string, opts: { headers: Headers; method?: string }) => {
			if (cookie) opts.headers.set('Cookie', cookie);
			const into = log();
			const t0 = performance.now();
			const res = await Client.fetch(u, opts);
			if (!into) return res;
			// Time to the whole body, as the replicator waits for it; the body is kept.
			const body = await res.arrayBuffer();
			into.requests.push({
				kind: requestKind(opts.method ?? 'GET', u),
				ms: performance.now() - t0
			});
			return new Response(res.status === 204 || res.status === 304 ? null : body, {
				status: res.status,
				statusText: res.statusText,
				headers: res.headers as unknown as HeadersInit
			});
		}
	});
}

async function main(): Promise<void> {
	const raw = JSON.parse(process.argv[2]) as SerialConfig;
	const cfg: WorkerConfig = {
		...raw,
		groupDb: (g) => raw.groupDbPattern.replace('{group}', g)
	};
	const dir = mkdtempSync(join(tmpdir(), 'kehou-tablets-'));
	const tablets = await Promise.all(
		cfg.tablets.map(async (t) => {
			const group = new Client(join(dir, `g-${t.index}`), { adapter: 'leveldb' });
			const school = new Client(join(dir, `s-${t.index}`), { adapter: 'leveldb' });
			// The afternoon: 45 roll-call marks, 45 releases and one care log. The domain has
			// no release or care-log documents yet, so all 91 are marks (see the README).
			const docs = Array.from({ length: cfg.afternoon }, (_, i) =>
				mark({
					groupId: t.group,
					studentId: `s${String(i % 45).padStart(4, '0')}`,
					status: i < 45 ? 'present' : 'leave',
					author: t.author,
					deviceId: `tablet-${t.index}-bench`
				})
			);
			await group.bulkDocs(docs);
			const log: { current: Log } = { current: null };
			const schoolRemote = remote(cfg.url, cfg.schoolDb, t.cookie, () => log.current);
			if (cfg.mode === 'steady') await school.replicate.from(schoolRemote);
			return {
				spec: t,
				group,
				school,
				groupRemote: remote(cfg.url, cfg.groupDb(t.group), t.cookie, () => log.current),
				schoolRemote,
				log
			};
		})
	);
	console.log(JSON.stringify({ ready: true }));

	const go = await new Promise<number>((resolve) => {
		const rl = createInterface({ input: process.stdin });
		rl.on('line', (line) => {
			const msg = JSON.parse(line) as { go?: number };
			if (typeof msg.go === 'number') {
				rl.close();
				resolve(msg.go);
			}
		});
	});

	const cpu0 = process.cpuUsage();
	const results = await Promise.all(
		tablets.map(async (t): Promise<TabletResult> => {
			const offset =
				cfg.mode === 'steady' ? Math.round((t.spec.index / cfg.total) * cfg.spreadMs) : 0;
			const wait = go + offset - Date.now();
			if (wait > 0) await new Promise((r) => setTimeout(r, wait));
			const startedAt = Date.now();
			const t0 = performance.now();
			const requests: RequestTiming[] = [];
			t.log.current = { requests };
			try {
				const jobs = [t.group.replicate.to(t.groupRemote), t.school.replicate.from(t.schoolRemote)];
				if (cfg.mode === 'steady') jobs.push(t.group.replicate.from(t.groupRemote));
				const [push, pullSchool, pullGroup] = await Promise.all(jobs);
				const failures = push.doc_write_failures + pullSchool.doc_write_failures;
				return {
					index: t.spec.index,
					startedAt,
					ms: performance.now() - t0,
					pushed: push.docs_written,
					pulled: pullSchool.docs_written + (pullGroup?.docs_written ?? 0),
					requests,
					...(failures ? { error: `${failures} write failures` } : {})
				};
			} catch (e) {
				return {
					index: t.spec.index,
					startedAt,
					ms: performance.now() - t0,
					pushed: 0,
					pulled: 0,
					requests,
					error: String((e as Error)?.message ?? e)
				};
			}
		})
	);
	const cpu = process.cpuUsage(cpu0);
	console.log(JSON.stringify({ results, cpuS: (cpu.user + cpu.system) / 1e6 }));
	// Closing hundreds of replicated LevelDB databases can stall; the folder goes anyway.
	rmSync(dir, { recursive: true, force: true });
}

await main();
process.exit(0);
