// `npm run bench:client -- --experiments` (or run this file): where a first sync's time
// goes, taken apart outside the app. The same term as the client bench is seeded; then, in
// fresh browser contexts signed in as the bench teacher (cookie session, same origin):
//   - pull-only replication of the two group databases into fresh replicas, in parallel
//     as the app does, with the app's batch_size 500 / batches_limit 5 and larger batches;
//   - reading the full replicas' changes (pages of 500, docs and conflicts), no writes;
//   - the app's own projector (LocalStore + ReadModel from src/lib/db) over full replicas;
//   - a bulk-writing projector (bulkPut per page; conflicts rows deleted only where present).
// The browser code is `support/client-probe-entry.ts`, bundled by Vite and served by a
// Playwright route on the server's origin.
import { mkdtemp, readFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type Page } from '@playwright/test';
import { build } from 'vite';
import { groupDb } from '../../src/lib/domain/index';
import { launchOptions } from '../e2e/support/browser';
import { removeDir, startServer } from '../e2e/support/server';
import { BENCH_USER, GROUPS, SCHOOL, seedTerm, serverCounts } from './support/client-term';
import { median, ms, table } from './support/stats';

const { values: opts } = parseArgs({
	options: { runs: { type: 'string', default: '2' } },
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

async function bundleProbe(): Promise<string> {
	const outDir = await mkdtemp(join(tmpdir(), 'kehou-bench-probe-'));
	await build({
		configFile: false,
		logLevel: 'warn',
		build: {
			outDir,
			emptyOutDir: true,
			minify: false,
			lib: {
				entry: join(import.meta.dirname, 'support/client-probe-entry.ts'),
				formats: ['es'],
				fileName: () => 'probe.js'
			}
		}
	});
	const code = await readFile(join(outDir, 'probe.js'), 'utf8');
	await removeDir(outDir);
	return code;
}

async function probePage(browser: Browser, url: string, code: string): Promise<Page> {
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
	await page.waitForFunction(() => 'kehouProbe' in window);
	return page;
}

const call = <K extends keyof Probe>(page: Page, name: K, ...args: Parameters<Probe[K]>) =>
	page.evaluate(
		([n, a]) =>
			(
				(window as unknown as { kehouProbe: Record<string, (...x: unknown[]) => unknown> })
					.kehouProbe[n] as (...x: unknown[]) => unknown
			)(...(a as unknown[])),
		[name, args] as const
	) as Promise<Awaited<ReturnType<Probe[K]>>>;

async function main() {
	const code = await bundleProbe();
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

main().catch((e: unknown) => {
	console.error(e);
	process.exitCode = 1;
});
