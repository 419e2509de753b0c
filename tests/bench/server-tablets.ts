// Simulated tablets for `tests/bench/server.ts`: one process runs a share of them, each a
// wire tablet (support/wire-tablet.ts: the replicator's HTTP requests, built beforehand) or a
// PouchDB client with LevelDB databases in a temp folder (support/pouch-tablet.ts), talking
// to the server on loopback.
// Protocol on stdio (one JSON object per line): the parent writes the config as the first
// line on stdin; this process prepares (each tablet's afternoon; in `steady` mode also a
// first pull of the school database), prints {"ready":true}, waits for a line {"go":<epoch
// ms>}, runs the workload and prints {"results":[…],"cpuS":…}.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afternoonDocs } from './support/bench-school';
import { PouchTablet } from './support/pouch-tablet';
import type { RequestTiming, TabletKind, TabletResult, TabletSpec } from './support/tablets';
import { WireTablet, type ChangeRow } from './support/wire-tablet';

export interface WorkerConfig {
	url: string;
	kind: TabletKind;
	schoolDb: string;
	/** A group's database name with `{group}` in place of the group. */
	groupDbPattern: string;
	/** The school database's documents in sequence order (wire tablets check their pull). */
	school: ChangeRow[];
	mode: 'burst' | 'steady';
	tablets: TabletSpec[];
	total: number;
	/** steady: arrivals spread evenly over this many ms. */
	spreadMs: number;
	/** Documents per afternoon (45 marks + 45 releases + 1 care log). */
	afternoon: number;
	/** Wire tablets: keep connections open (as a browser does). */
	keepAlive: boolean;
}

interface Tablet {
	cycle(
		mode: 'burst' | 'steady',
		requests: RequestTiming[]
	): Promise<{ pushed: number; pulled: number; error?: string }>;
}

async function main(): Promise<void> {
	const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
	const first = await lines.next();
	const cfg = JSON.parse(first.value as string) as WorkerConfig;
	const dir = mkdtempSync(join(tmpdir(), 'kehou-tablets-'));
	const tablets = await Promise.all(
		cfg.tablets.map(async (spec) => {
			const common = {
				url: cfg.url,
				cookie: spec.cookie,
				groupDb: cfg.groupDbPattern.replace('{group}', spec.group),
				schoolDb: cfg.schoolDb,
				docs: afternoonDocs(spec.index, cfg.afternoon)
			};
			const tablet =
				cfg.kind === 'wire'
					? new WireTablet({ ...common, school: cfg.school, keepAlive: cfg.keepAlive })
					: new PouchTablet({ ...common, dir: join(dir, String(spec.index)) });
			await tablet.prepare(cfg.mode);
			return { spec, tablet: tablet as Tablet };
		})
	);
	console.log(JSON.stringify({ ready: true }));

	let go: number | undefined;
	while (go === undefined) {
		const line = await lines.next();
		if (line.done) throw new Error('no go signal');
		const msg = JSON.parse(line.value) as { go?: number };
		if (typeof msg.go === 'number') go = msg.go;
	}

	const cpu0 = process.cpuUsage();
	const start = go;
	const results = await Promise.all(
		tablets.map(async ({ spec, tablet }): Promise<TabletResult> => {
			const offset =
				cfg.mode === 'steady' ? Math.round((spec.index / cfg.total) * cfg.spreadMs) : 0;
			const wait = start + offset - Date.now();
			if (wait > 0) await new Promise((r) => setTimeout(r, wait));
			const startedAt = Date.now();
			const t0 = performance.now();
			const requests: RequestTiming[] = [];
			const r = await tablet.cycle(cfg.mode, requests);
			return { index: spec.index, startedAt, ms: performance.now() - t0, requests, ...r };
		})
	);
	const cpu = process.cpuUsage(cpu0);
	console.log(JSON.stringify({ results, cpuS: (cpu.user + cpu.system) / 1e6 }));
	// Closing hundreds of replicated LevelDB databases can stall; the folder goes anyway.
	rmSync(dir, { recursive: true, force: true });
}

await main();
process.exit(0);
