// `npm run bench:server`: the sync-server against pouchdb-server 4.2.0 on the same
// machine in one run, with the same workloads, plus in-process PouchDB `bulkDocs` of the
// same documents as the ceiling. Figures are printed, never asserted.
//   burst  — N tablets start at once; each pushes an afternoon (91 documents) to its group
//            database and pulls the school database (500 documents) for the first time.
//   steady — tablets that already hold the school database arrive spread over a minute
//            (`--quick`: 20 s); each pushes its afternoon and pulls what changed.
// Each workload gets a fresh server process and data folder; server CPU time is the
// change of utime+stime in /proc/<pid>/stat over the workload, memory is VmHWM (peak RSS
// over the workload: reset before it through /proc/<pid>/clear_refs, since sign-ins during
// setup run scrypt with 32 MB each).
// Tablets (`--tablet-kind`): `wire` (default) sends the HTTP requests PouchDB's replicator
// sends, built beforehand, so that the tablets' CPU is their HTTP alone and the server is
// what is measured; `pouchdb` runs real PouchDB clients on LevelDB (support/*-tablet.ts).
// Options: --tablets 50,200  --steady-tablets 200 (0: no steady run)  --quick  --no-peer
//          --workers 4  --cpu-prof <dir> (our server runs with node --cpu-prof into <dir>)
//          --tablet-kind wire|pouchdb  --close-connections (wire: a connection per request,
//          as PouchDB in Node makes them; default keep-alive, as a browser)
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Client, signIn } from '../../sync-server/test-helpers';
import type { WorkerConfig } from './server-tablets';
import {
	afternoonDocs,
	AFTERNOON,
	authorOf,
	GROUP_DB_PATTERN,
	groupDbOf,
	groupOf,
	PASSWORD,
	SCHOOL_DB,
	SCHOOL_DOCS,
	schoolDocs,
	seedKehou
} from './support/bench-school';
import { percentile } from './support/stats';
import type { TabletKind, TabletResult, TabletSpec } from './support/tablets';
import type { ChangeRow } from './support/wire-tablet';

const ROOT = join(import.meta.dirname, '../..');
const PEER_DIR = process.env.KEHOU_BENCH_PEER_DIR ?? join(tmpdir(), 'kehou-bench-peer');
const PEER_BIN = join(PEER_DIR, 'node_modules/pouchdb-server/bin/pouchdb-server');
const SERVER_MAIN = join(ROOT, 'sync-server/dist/main.js');
/** Node flags our server runs with, as in `npm start` (`KEHOU_BENCH_NODE_FLAGS` to try others). */
const SERVER_NODE_FLAGS = (process.env.KEHOU_BENCH_NODE_FLAGS ?? '--max-semi-space-size=4')
	.split(' ')
	.filter(Boolean);
const TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

const { values: opts } = parseArgs({
	options: {
		tablets: { type: 'string', default: '50,200' },
		'steady-tablets': { type: 'string', default: '200' },
		quick: { type: 'boolean', default: false },
		'no-peer': { type: 'boolean', default: false },
		workers: { type: 'string', default: '4' },
		'cpu-prof': { type: 'string' },
		'tablet-kind': { type: 'string', default: 'wire' },
		'close-connections': { type: 'boolean', default: false }
	}
});
const BURSTS = opts.tablets
	.split(',')
	.map(Number)
	.filter((n) => n > 0);
const STEADY_N = Number(opts['steady-tablets']);
const SPREAD_MS = opts.quick ? 20_000 : 60_000;
const WORKERS = Number(opts.workers);
const KIND = opts['tablet-kind'] as TabletKind;
if (KIND !== 'wire' && KIND !== 'pouchdb') throw new Error('--tablet-kind wire|pouchdb');

interface Running {
	url: string;
	pid: number;
	child: ChildProcess;
	/** Session cookies per tablet (our server), or none (the peer runs as admin party). */
	cookies: Array<string | undefined>;
	/** The school database's documents in sequence order, as the server lists them. */
	school: ChangeRow[];
	stop(): Promise<void>;
}

async function freePort(): Promise<number> {
	const srv = createServer();
	await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
	const port = (srv.address() as { port: number }).port;
	await new Promise((r) => srv.close(r));
	return port;
}

function drain(child: ChildProcess): void {
	child.stdout?.resume();
	child.stderr?.resume();
}

async function stopChild(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return;
	const exited = new Promise((r) => child.once('exit', r));
	child.kill('SIGTERM');
	const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
	await exited;
	clearTimeout(timer);
}

async function startKehou(dataDir: string, n: number): Promise<Running> {
	// Accounts and the school database go in before the server starts (LevelDB is locked).
	await seedKehou(dataDir, n);

	const prof = opts['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${opts['cpu-prof']}`] : [];
	// The bundle `npm start` runs (built once per benchmark run), not TypeScript through tsx.
	const child = spawn(process.execPath, [...prof, ...SERVER_NODE_FLAGS, SERVER_MAIN], {
		env: {
			...process.env,
			KEHOU_PORT: '0',
			KEHOU_DATA_DIR: dataDir,
			KEHOU_STATIC_DIR: join(dataDir, 'none'),
			KEHOU_DEMO: '0'
		},
		stdio: ['ignore', 'pipe', 'pipe']
	});
	const url = await new Promise<string>((resolve, reject) => {
		const rl = createInterface({ input: child.stdout! });
		rl.on('line', (line) => {
			const m = /listening on (http:\/\/\S+)/.exec(line);
			if (m) {
				rl.close();
				resolve(m[1]);
			}
		});
		child.once('exit', (code) => reject(new Error(`sync-server exited with ${code}`)));
	});
	drain(child);
	// Tablets are signed in already (sessions last weeks): sign-in is not part of a workload.
	const cookies: string[] = [];
	for (let i = 0; i < n; i += 8) {
		const batch = Array.from({ length: Math.min(8, n - i) }, (_, k) =>
			signIn(url, authorOf(i + k), PASSWORD)
		);
		cookies.push(...(await Promise.all(batch)));
	}
	const school = await schoolChanges(url, cookies[0]);
	return { url, pid: child.pid!, child, cookies, school, stop: () => stopChild(child) };
}

function ensurePeer(): void {
	if (existsSync(PEER_BIN)) return;
	console.log(`Installing pouchdb-server@4.2.0 into ${PEER_DIR} (once)…`);
	execFileSync(
		'npm',
		['install', '--prefix', PEER_DIR, '--no-audit', '--no-fund', 'pouchdb-server@4.2.0'],
		{
			stdio: 'inherit'
		}
	);
}

async function startPeer(dataDir: string, n: number): Promise<Running> {
	const port = await freePort();
	// Node 20 ends the process on its unhandled rejections unless told to warn.
	const child = spawn(
		process.execPath,
		['--unhandled-rejections=warn', PEER_BIN, '--port', String(port), '--dir', dataDir],
		{ cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'] }
	);
	drain(child);
	const url = `http://127.0.0.1:${port}`;
	for (let i = 0; ; i++) {
		const ok = await fetch(url).then(
			(r) => r.ok,
			() => false
		);
		if (ok) break;
		if (i > 200) throw new Error('pouchdb-server did not start');
		await new Promise((r) => setTimeout(r, 100));
	}
	await fetch(`${url}/${SCHOOL_DB}`, { method: 'PUT' });
	// The classes' databases exist before the workload, as on ours (seedKehou).
	for (let i = 0; i < n; i += 16) {
		await Promise.all(
			Array.from({ length: Math.min(16, n - i) }, (_, k) =>
				fetch(`${url}/${groupDbOf(groupOf(i + k))}`, { method: 'PUT' }).then((r) => {
					if (r.status !== 201) throw new Error(`creating a group database: ${r.status}`);
				})
			)
		);
	}
	const res = await fetch(`${url}/${SCHOOL_DB}/_bulk_docs`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ docs: schoolDocs() })
	});
	if (!res.ok) throw new Error(`seeding the peer failed: ${res.status}`);
	return {
		url,
		pid: child.pid!,
		child,
		cookies: Array(n).fill(undefined),
		school: await schoolChanges(url),
		stop: () => stopChild(child)
	};
}

/**
 * What a first pull of the school must receive, read once before the workload (a request
 * no tablet makes, so it warms no answer the tablets ask for).
 */
async function schoolChanges(url: string, cookie?: string): Promise<ChangeRow[]> {
	const res = await fetch(`${url}/${SCHOOL_DB}/_changes?style=all_docs`, {
		headers: cookie ? { Cookie: cookie } : {}
	});
	const body = (await res.json()) as {
		results: Array<{ id: string; changes: Array<{ rev: string }> }>;
	};
	if (!res.ok || body.results.length !== SCHOOL_DOCS) throw new Error('school not seeded');
	return body.results.map((r) => ({ id: r.id, rev: r.changes[0].rev }));
}

function cpuSeconds(pid: number): number {
	// Fields after the command name (which may hold spaces): utime is the 12th, stime the 13th.
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

/** Resets VmHWM (Linux `clear_refs` 5), so the peak is the workload's, not the setup's. */
function resetPeak(pid: number): void {
	try {
		writeFileSync(`/proc/${pid}/clear_refs`, '5');
	} catch {
		console.log('  (could not reset the peak RSS: it includes setup)');
	}
}

function peakMb(pid: number): number {
	const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
	return m ? Number(m[1]) / 1024 : NaN;
}

interface Workload {
	wallMs: number;
	results: TabletResult[];
	cpuS: number;
	/** CPU of the tablet processes over the workload (they share the machine's cores). */
	tabletCpuS: number;
	peakMb: number;
}

async function runTablets(server: Running, mode: 'burst' | 'steady', n: number): Promise<Workload> {
	const workers: Array<{ child: ChildProcess; lines: AsyncIterator<string> }> = [];
	const per = Math.ceil(n / WORKERS);
	for (let w = 0; w * per < n; w++) {
		const tablets: TabletSpec[] = [];
		for (let i = w * per; i < Math.min(n, (w + 1) * per); i++) {
			tablets.push({ index: i, group: groupOf(i), author: authorOf(i), cookie: server.cookies[i] });
		}
		const cfg: WorkerConfig = {
			url: server.url,
			kind: KIND,
			schoolDb: SCHOOL_DB,
			groupDbPattern: GROUP_DB_PATTERN,
			school: server.school,
			mode,
			tablets,
			total: n,
			spreadMs: SPREAD_MS,
			afternoon: AFTERNOON,
			keepAlive: !opts['close-connections']
		};
		const child = spawn(
			process.execPath,
			['--import', 'tsx', join(import.meta.dirname, 'server-tablets.ts')],
			{ stdio: ['pipe', 'pipe', 'inherit'] }
		);
		child.stdin!.write(JSON.stringify(cfg) + '\n');
		workers.push({
			child,
			lines: createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
		});
	}
	const next = async (w: (typeof workers)[number]) => {
		const { value, done } = await w.lines.next();
		if (done) throw new Error('a tablet process ended early');
		return JSON.parse(value) as { ready?: boolean; results?: TabletResult[]; cpuS?: number };
	};
	for (const w of workers) await next(w);
	resetPeak(server.pid);
	const cpu0 = cpuSeconds(server.pid);
	const go = Date.now() + 200;
	for (const w of workers) w.child.stdin!.end(JSON.stringify({ go }) + '\n');
	const messages = await Promise.all(workers.map(next));
	const wallMs = Date.now() - go;
	const cpuS = cpuSeconds(server.pid) - cpu0;
	const results = messages.flatMap((m) => m.results ?? []);
	// Each tablet process reports its own CPU over the workload (it exits right after).
	const tabletCpuS = messages.reduce((sum, m) => sum + (m.cpuS ?? 0), 0);
	for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
	return { wallMs, results, cpuS, tabletCpuS, peakMb: peakMb(server.pid) };
}

const pct = (xs: number[], p: number) => {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

interface Row {
	target: string;
	workload: string;
	wallS: number;
	docsPerS?: number;
	p50?: number;
	p95?: number;
	cpuS: number;
	tabletCpuS: number;
	peakMb: number;
	errors: number;
}

async function measure(
	target: 'kehou' | 'pouchdb-server',
	mode: 'burst' | 'steady',
	n: number
): Promise<Row> {
	const dataDir = mkdtempSync(join(tmpdir(), `kehou-bench-${target}-`));
	const server = target === 'kehou' ? await startKehou(dataDir, n) : await startPeer(dataDir, n);
	try {
		const w = await runTablets(server, mode, n);
		const errors = w.results.filter((r) => r.error);
		for (const e of errors.slice(0, 3)) console.log(`  ${target} tablet ${e.index}: ${e.error}`);
		const moved = w.results.reduce((s, r) => s + r.pushed + r.pulled, 0);
		const row: Row = {
			target,
			workload: `${mode} ${n}`,
			wallS: w.wallMs / 1000,
			cpuS: w.cpuS,
			tabletCpuS: w.tabletCpuS,
			peakMb: w.peakMb,
			errors: errors.length
		};
		if (mode === 'burst') row.docsPerS = moved / (w.wallMs / 1000);
		else {
			const ms = w.results.map((r) => r.ms);
			row.p50 = pct(ms, 50);
			row.p95 = pct(ms, 95);
		}
		console.log(`  ${target} ${row.workload}: ${JSON.stringify(round(row))} load ${load()}`);
		printRequests(w.results);
		return row;
	} finally {
		await server.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}
}

/** The ceiling: the same documents stored by PouchDB in-process, no HTTP, no checks. */
async function ceiling(n: number): Promise<number> {
	const dir = mkdtempSync(join(tmpdir(), 'kehou-bench-ceiling-'));
	const school = schoolDocs();
	const dbs = Array.from({ length: n }, (_, i) => ({
		group: new Client(join(dir, `g${i}`), { adapter: 'leveldb' }),
		school: new Client(join(dir, `s${i}`), { adapter: 'leveldb' }),
		docs: afternoonDocs(i)
	}));
	const t0 = performance.now();
	await Promise.all(
		dbs.map(async (d) => {
			await d.group.bulkDocs(d.docs);
			await d.school.bulkDocs(school.map((doc) => ({ ...doc })));
		})
	);
	const s = (performance.now() - t0) / 1000;
	await Promise.all(dbs.flatMap((d) => [d.group.close(), d.school.close()]));
	rmSync(dir, { recursive: true, force: true });
	return (n * (AFTERNOON + SCHOOL_DOCS)) / s;
}

const load = () =>
	loadavg()
		.map((l) => l.toFixed(1))
		.join(' ');

/**
 * The requests a tablet's cycle made, by kind: how many per cycle and how long each took
 * to its whole body (client side: the server's time, the network and the client's wait).
 */
function printRequests(results: TabletResult[]): void {
	const byKind = new Map<string, number[]>();
	for (const r of results) {
		for (const q of r.requests) {
			let list = byKind.get(q.kind);
			if (!list) byKind.set(q.kind, (list = []));
			list.push(q.ms);
		}
	}
	const perCycle = results.reduce((s, r) => s + r.requests.length, 0) / results.length;
	console.log(`    requests per cycle: ${perCycle.toFixed(1)}`);
	const kinds = [...byKind].sort((a, b) => b[1].length - a[1].length);
	for (const [kind, ms] of kinds) {
		console.log(
			`    ${(ms.length / results.length).toFixed(2).padStart(5)} × ${kind.padEnd(48)} p50 ${percentile(ms, 50).toFixed(1)} ms, p95 ${percentile(ms, 95).toFixed(1)} ms`
		);
	}
}

function round(r: Row) {
	const f = (x: number | undefined, d = 1) => (x === undefined ? undefined : Number(x.toFixed(d)));
	return {
		...r,
		wallS: f(r.wallS, 2),
		docsPerS: f(r.docsPerS, 0),
		p50: f(r.p50, 0),
		p95: f(r.p95, 0),
		cpuS: f(r.cpuS, 2),
		tabletCpuS: f(r.tabletCpuS, 2),
		peakMb: f(r.peakMb, 0)
	};
}

async function benchMain(): Promise<void> {
	const withPeer = !opts['no-peer'];
	if (withPeer) ensurePeer();
	execFileSync('npm', ['run', '--silent', 'build:server'], { cwd: ROOT, stdio: 'ignore' });
	console.log(
		`Kehou sync-server benchmark — bursts ${BURSTS.join(', ')}, steady ${STEADY_N} over ${SPREAD_MS / 1000} s, ${KIND} tablets${KIND === 'wire' ? (opts['close-connections'] ? ' (a connection per request)' : ' (keep-alive)') : ''} in ${WORKERS} processes, Node ${process.version}, load average ${load()}`
	);
	const rows: Row[] = [];
	const targets = withPeer ? (['kehou', 'pouchdb-server'] as const) : (['kehou'] as const);
	const ceilings = new Map<number, number>();
	for (const n of BURSTS) {
		ceilings.set(n, await ceiling(n));
		console.log(`  ceiling ${n}: ${ceilings.get(n)!.toFixed(0)} docs/s in-process bulkDocs`);
		for (const t of targets) rows.push(await measure(t, 'burst', n));
	}
	if (STEADY_N > 0) for (const t of targets) rows.push(await measure(t, 'steady', STEADY_N));

	const peerOf = (r: Row) =>
		rows.find((x) => x.target === 'pouchdb-server' && x.workload === r.workload);
	const ratio = (a: number | undefined, b: number | undefined) =>
		a === undefined || b === undefined ? '–' : `${(a / b).toFixed(2)}×`;
	console.log(
		'\n| workload | server | wall s | docs/s | p50 ms | p95 ms | CPU s | tablets CPU s | peak MB | vs peer (docs/s · p95 · CPU · MB) | errors |'
	);
	console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
	for (const r of rows) {
		const p = peerOf(r);
		const x = round(r);
		const vs =
			r.target === 'kehou' && p
				? [
						ratio(r.docsPerS, p.docsPerS),
						ratio(r.p95, p.p95),
						ratio(r.cpuS, p.cpuS),
						ratio(r.peakMb, p.peakMb)
					].join(' · ')
				: '';
		console.log(
			`| ${r.workload} | ${r.target} | ${x.wallS} | ${x.docsPerS ?? '–'} | ${x.p50 ?? '–'} | ${x.p95 ?? '–'} | ${x.cpuS} | ${x.tabletCpuS} | ${x.peakMb} | ${vs} | ${r.errors} |`
		);
	}
	console.log('\nTargets:');
	for (const n of BURSTS) {
		const k = rows.find((r) => r.target === 'kehou' && r.workload === `burst ${n}`)!;
		const p = peerOf(k);
		const c = ceilings.get(n)!;
		if (p)
			console.log(
				`  burst ${n}: ≥ 2× peer docs/s: ${k.docsPerS! >= 2 * p.docsPerS! ? 'met' : 'NOT met'} (${ratio(k.docsPerS, p.docsPerS)})`
			);
		console.log(
			`  burst ${n}: ≥ ½ in-process ceiling: ${k.docsPerS! >= c / 2 ? 'met' : 'NOT met'} (${(k.docsPerS! / c).toFixed(2)} of ${c.toFixed(0)} docs/s)`
		);
	}
	const ks = rows.find((r) => r.target === 'kehou' && r.workload.startsWith('steady'));
	const ps = ks && peerOf(ks);
	if (ks && ps)
		console.log(
			`  steady: p95 ≤ ½ peer's: ${ks.p95! <= ps.p95! / 2 ? 'met' : 'NOT met'} (${ratio(ks.p95, ps.p95)})`
		);
	const maxMb = Math.max(...rows.filter((r) => r.target === 'kehou').map((r) => r.peakMb));
	console.log(
		`  resident < 200 MB: ${maxMb < 200 ? 'met' : 'NOT met'} (peak ${maxMb.toFixed(0)} MB)`
	);
	console.log(`Load average at the end: ${load()}`);
}

await benchMain();
