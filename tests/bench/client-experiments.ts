// `node --import tsx tests/bench/client-experiments.ts`: where a first sync's time goes,
// taken apart outside the app. The same term as the client bench is seeded; then, in fresh
// browser contexts signed in as the bench teacher (cookie session, same origin), one of two
// sets runs.
// Default (`--set pull`), the initial pull's local work on pages fetched beforehand
// (`support/client-pull-probe-entry.ts`), each experiment in a fresh context, all of them
// interleaved run by run, against the floor measured in the same context:
//   - the replica alone (`bulkDocs(new_edits: false)` per page, and `writeRaw` as the
//     initial pull now writes), the read model alone (per page, with the app's v4 schema,
//     v3's row per mark, and other layouts), and both (serial per page, overlapped as the
//     app does, or concurrent on the same page).
// `--set replicator` (the study made before the initial pull existed):
//   - pull-only replication of the two group databases into fresh replicas, in parallel
//     as the app does, with the app's batch_size 500 / batches_limit 5 and larger batches;
//   - reading the full replicas' changes (pages of 500, docs and conflicts), no writes;
//   - the app's own projector (LocalStore + ReadModel from src/lib/db) over full replicas;
//   - a bulk-writing projector (bulkPut per page; conflicts rows deleted only where present).
// The browser code is bundled by Vite and served by a Playwright route on the server's
// origin.
import { mkdtemp, readFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type Page } from '@playwright/test';
import { build } from 'vite';
import { groupDb } from '../../src/lib/domain/index';
import { launchOptions } from '../e2e/support/browser';
import { removeDir, startServer } from '../e2e/support/server';
import { cpuBreakdown, type CpuProfile } from './support/client-profile';
import { BENCH_USER, GROUPS, SCHOOL, seedTerm, serverCounts } from './support/client-term';
import { median, ms, table } from './support/stats';

const { values: opts } = parseArgs({
	options: {
		runs: { type: 'string', default: '2' },
		set: { type: 'string', default: 'pull' },
		cpu: { type: 'boolean', default: false },
		only: { type: 'string' }
	},
	strict: false
});
const RUNS = Math.max(1, Number(opts.runs));
const log = (s = '') => process.stdout.write(`${s}\n`);

interface Probe {
	replicate(
		dbs: string[],
		batchSize: number,
		batchesLimit: number
	): Promise<{ ms: number; each: Record<string, number> }>;
	appProjector(dbs: string[], rm: string): Promise<{ ms: number; marks: number }>;
	bulkProjector(
		dbs: string[],
		rm: string,
		pageSize: number
	): Promise<{ ms: number; marks: number }>;
	readChanges(dbs: string[], pageSize: number): Promise<{ ms: number; rows: number }>;
	fetchOnly(dbs: string[], batchSize: number): Promise<{ ms: number; docs: number }>;
	writeOnly(dbs: string[], batchSize: number, prefix: string): Promise<{ ms: number }>;
}

interface PullProbe {
	load(dbs: string[], pageSize: number): Promise<{ ms: number; docs: number }>;
	floor(dbs: string[], name: string): Promise<{ ms: number }>;
	floorPaged(dbs: string[], name: string): Promise<{ ms: number }>;
	replicaOnly(dbs: string[], prefix: string): Promise<{ ms: number }>;
	replicaRaw(dbs: string[], prefix: string): Promise<{ ms: number }>;
	readModelOnly(
		dbs: string[],
		schema: string,
		name: string
	): Promise<{ ms: number; marks: number }>;
	both(
		dbs: string[],
		prefix: string,
		schema: string,
		mode: string,
		raw?: boolean
	): Promise<{ ms: number }>;
}

async function bundleProbe(entry: string): Promise<string> {
	const outDir = await mkdtemp(join(tmpdir(), 'kehou-bench-probe-'));
	await build({
		configFile: false,
		logLevel: 'warn',
		build: {
			outDir,
			emptyOutDir: true,
			minify: false,
			lib: {
				entry: join(import.meta.dirname, entry),
				formats: ['es'],
				fileName: () => 'probe.js'
			}
		}
	});
	const code = await readFile(join(outDir, 'probe.js'), 'utf8');
	await removeDir(outDir);
	return code;
}

async function probePage(
	browser: Browser,
	url: string,
	code: string,
	global = 'kehouProbe'
): Promise<Page> {
	const context = await browser.newContext({ serviceWorkers: 'block' });
	await context.addInitScript('globalThis.__name = globalThis.__name || ((f) => f);');
	await context.route('**/__bench/probe.js', (route) =>
		route.fulfill({ body: code, contentType: 'text/javascript' })
	);
	const page = await context.newPage();
	// A page of the origin that starts no data layer of its own.
	await page.goto(`${url}/manifest.webmanifest`);
	const status = await page.evaluate(async (user) => {
		const res = await fetch('/_session', {
			method: 'POST',
			headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
			body: JSON.stringify(user)
		});
		return res.status;
	}, BENCH_USER);
	if (status !== 200) throw new Error(`sign-in for the probe failed: ${status}`);
	await page.addScriptTag({ url: `${url}/__bench/probe.js`, type: 'module' });
	await page.waitForFunction((g) => g in window, global);
	return page;
}

const callIn =
	<P>(global: string) =>
	<K extends keyof P & string>(
		page: Page,
		name: K,
		...args: P[K] extends (...a: infer A) => unknown ? A : never
	) =>
		page.evaluate(
			([g, n, a]) =>
				(
					(window as unknown as Record<string, Record<string, (...x: unknown[]) => unknown>>)[g][
						n
					] as (...x: unknown[]) => unknown
				)(...(a as unknown[])),
			[global, name, args] as const
		) as Promise<P[K] extends (...a: never[]) => infer R ? Awaited<R> : never>;

const call = callIn<Probe>('kehouProbe');
const callPull = callIn<PullProbe>('kehouPullProbe');

/**
 * The initial pull's local work, each experiment in a fresh context (fresh IndexedDB), in
 * the same order every run; the floor is measured in each context before its experiment.
 */
async function pullSet() {
	const code = await bundleProbe('support/client-pull-probe-entry.ts');
	const server = await startServer();
	const browser = await chromium.launch({ ...launchOptions(), headless: true });
	const results = new Map<string, { ms: number[]; ratio: number[] }>();
	const add = (k: string, v: number, floor: number) => {
		const r = results.get(k) ?? { ms: [], ratio: [] };
		r.ms.push(v);
		r.ratio.push(v / floor);
		results.set(k, r);
	};
	const dbs = GROUPS.map((g) => groupDb(SCHOOL, g));
	type Experiment = [string, (page: Page) => Promise<{ ms: number; marks?: number }>];
	const floorPaged: Experiment = [
		'floor, one transaction per page and database',
		(p) => callPull(p, 'floorPaged', dbs, 'fp')
	];
	const replicaOnly: Experiment = [
		'replica alone (bulkDocs new_edits:false per page)',
		(p) => callPull(p, 'replicaOnly', dbs, 'r-')
	];
	const replicaRaw: Experiment = [
		'replica written raw (writeRaw, as the initial pull now does)',
		(p) => callPull(p, 'replicaRaw', dbs, 'raw-')
	];
	const experiments: Experiment[] = [
		floorPaged,
		replicaOnly,
		replicaRaw,
		...['v3', 'slim', 'compound', 'v4', 'bare'].map((schema): Experiment => [
			`read model alone, ${schema} schema`,
			(p) => callPull(p, 'readModelOnly', dbs, schema, `rm-${schema}`)
		]),
		...['serial', 'overlap', 'concurrent'].flatMap((mode) =>
			[
				['v3', false],
				['v4', false],
				['v4', true]
			].map(([schema, raw]): Experiment => [
				`both, ${mode}, ${String(schema)} read model, ${raw ? 'raw' : 'bulkDocs'} replica`,
				(p) =>
					callPull(
						p,
						'both',
						dbs,
						`b-${mode}-${String(schema)}-${String(raw)}-`,
						String(schema),
						mode,
						Boolean(raw)
					)
			])
		)
	].filter(([k]) => !opts.only || k.includes(String(opts.only)));
	try {
		await seedTerm(server.url);
		log(
			`load average at start: ${loadavg()
				.map((l) => l.toFixed(1))
				.join(' ')}`
		);
		for (let run = 1; run <= RUNS; run++) {
			for (const [name, fn] of experiments) {
				const page = await probePage(browser, server.url, code, 'kehouPullProbe');
				const pageSize = Number(/pages of (\d+)/.exec(name)?.[1] ?? 1000);
				const loaded = await callPull(page, 'load', dbs, pageSize);
				const marks = (await serverCounts(server.url, dbs)).marks;
				const floor = (await callPull(page, 'floor', dbs, 'floor')).ms;
				add('floor (one transaction)', floor, floor);
				const cdp = opts.cpu && run === 1 ? await page.context().newCDPSession(page) : null;
				if (cdp) {
					await cdp.send('Profiler.enable');
					await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
					await cdp.send('Profiler.start');
				}
				const r = await fn(page);
				if ('marks' in r && r.marks !== marks) throw new Error(`${name}: ${String(r.marks)} marks`);
				add(name, r.ms, floor);
				log(`run ${run}: ${name}: ${ms(r.ms)} (floor ${ms(floor)}, ${loaded.docs} docs)`);
				if (cdp) {
					const { profile } = (await cdp.send('Profiler.stop')) as { profile: CpuProfile };
					log(
						table([
							['self time', 'ms'],
							...cpuBreakdown(profile).map((c) => [c.script, c.ms.toFixed(0)])
						])
					);
				}
				await page.context().close();
			}
		}
		log(
			`load average: ${loadavg()
				.map((l) => l.toFixed(1))
				.join(' ')}`
		);
		log(`\n=== initial pull, local work only (medians of ${RUNS} runs) ===`);
		log(
			table([
				['step', 'time', 'ratio to the floor of its context'],
				...[...results].map(([k, v]) => [k, ms(median(v.ms)), `${median(v.ratio).toFixed(2)}×`])
			])
		);
	} finally {
		await browser.close();
		await server.stop();
		await removeDir(server.dataDir);
	}
}

async function replicatorSet() {
	const code = await bundleProbe('support/client-probe-entry.ts');
	const server = await startServer();
	const browser = await chromium.launch({ ...launchOptions(), headless: true });
	const results = new Map<string, number[]>();
	const add = (k: string, v: number) => results.set(k, [...(results.get(k) ?? []), v]);
	try {
		const term = await seedTerm(server.url);
		const dbs = GROUPS.map((g) => groupDb(SCHOOL, g));
		const seeded = Object.values(term.written).reduce((a, b) => a + b, 0);
		const docs = Object.values((await serverCounts(server.url, dbs)).docs).reduce(
			(a, b) => a + b,
			0
		);
		log(
			`seeded ${seeded} documents (${docs} in the group databases); ${RUNS} runs of each experiment`
		);
		for (let run = 1; run <= RUNS; run++) {
			for (const [bs, bl] of [
				[500, 5],
				[2000, 2],
				[5000, 1]
			] as const) {
				const page = await probePage(browser, server.url, code);
				const r = await call(page, 'replicate', dbs, bs, bl);
				add(`replicate, batch_size ${bs}, batches_limit ${bl}`, r.ms);
				if (bs === 500) {
					const f = await call(page, 'fetchOnly', dbs, 500);
					add('HTTP only: _changes + _bulk_get, batches of 500', f.ms);
					if (f.docs !== docs) throw new Error(`HTTP only fetched ${f.docs} of ${docs} documents`);
					add(
						'local bulkDocs(new_edits: false) only, batches of 500',
						(await call(page, 'writeOnly', dbs, 500, 'w500-')).ms
					);
					add(
						'local bulkDocs(new_edits: false) only, batches of 2000',
						(await call(page, 'writeOnly', dbs, 2000, 'w2000-')).ms
					);
					add(
						'read changes (pages of 500, docs), no writes',
						(await call(page, 'readChanges', dbs, 500)).ms
					);
					const app = await call(page, 'appProjector', dbs, `rm-app-${run}`);
					add("app's projector (LocalStore, per-doc awaits)", app.ms);
					const b500 = await call(page, 'bulkProjector', dbs, `rm-bulk500-${run}`, 500);
					add('bulk projector, pages of 500', b500.ms);
					const b2000 = await call(page, 'bulkProjector', dbs, `rm-bulk2000-${run}`, 2000);
					add('bulk projector, pages of 2000', b2000.ms);
					if (app.marks !== b500.marks || app.marks !== b2000.marks) {
						throw new Error(`projectors disagree: ${app.marks} ${b500.marks} ${b2000.marks}`);
					}
				}
				log(`run ${run}: batch_size ${bs}: ${ms(r.ms)} ${JSON.stringify(r.each)}`);
				await page.context().close();
			}
		}
		log(
			`load average: ${loadavg()
				.map((l) => l.toFixed(1))
				.join(' ')}`
		);
		log(`\n=== first-sync experiments, ${docs} documents in 2 group databases (median) ===`);
		log(
			table([
				['step', 'time', 'docs/s'],
				...[...results].map(([k, v]) => [k, ms(median(v)), (docs / (median(v) / 1000)).toFixed(0)])
			])
		);
	} finally {
		await browser.close();
		await server.stop();
		await removeDir(server.dataDir);
	}
}

const main = opts.set === 'replicator' ? replicatorSet : pullSet;
main().catch((e: unknown) => {
	console.error(e);
	process.exitCode = 1;
});
