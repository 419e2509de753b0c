// Where the first sync's time goes (`npm run bench:client -- --profile`): the page's
// resource timings grouped by CouchDB endpoint, its IndexedDB read-write commits grouped
// by database (through `installTxProbe`), and a CPU profile (CDP) by script and function.
import { writeFileSync } from 'node:fs';
import type { CDPSession, Page } from '@playwright/test';

export interface SyncProfile {
	requests: {
		kind: string;
		count: number;
		totalMs: number;
		firstStart: number;
		lastEnd: number;
		bytes: number;
	}[];
	commits: { db: string; count: number; firstDone: number; lastDone: number }[];
	cpu: { script: string; ms: number }[];
}

export interface CpuProfile {
	nodes: {
		id: number;
		callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
	}[];
	samples: number[];
	timeDeltas: number[];
}

const sessions = new WeakMap<Page, { cdp: CDPSession; t0: number }>();

/** Call right before the sign-in tap. */
export async function startProfile(page: Page): Promise<void> {
	const t0 = await page.evaluate(() => {
		performance.clearResourceTimings();
		performance.setResourceTimingBufferSize(100_000);
		return performance.now();
	});
	await page.evaluate(() => {
		(window as unknown as { __txLog: unknown[] }).__txLog = [];
	});
	const cdp = await page.context().newCDPSession(page);
	await cdp.send('Profiler.enable');
	await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
	await cdp.send('Profiler.start');
	sessions.set(page, { cdp, t0 });
}

/** Call once the first sync is complete. */
export async function profileFirstSync(page: Page): Promise<SyncProfile> {
	const s = sessions.get(page);
	if (!s) throw new Error('startProfile was not called');
	const { profile } = (await s.cdp.send('Profiler.stop')) as { profile: CpuProfile };
	await s.cdp.detach();
	// KEHOU_BENCH_SYNC_PROFILE=<file>: the raw CPU profile too (for DevTools or a script).
	const file = process.env.KEHOU_BENCH_SYNC_PROFILE;
	if (file) writeFileSync(file, JSON.stringify(profile));
	const raw = await page.evaluate(() => {
		const w = window as unknown as {
			__txLog?: { db: string; stores: string[]; mode: string; start: number; done: number }[];
		};
		return {
			resources: performance
				.getEntriesByType('resource')
				.map((e) => e as PerformanceResourceTiming)
				.map((e) => ({
					name: e.name,
					start: e.startTime,
					first: e.responseStart,
					end: e.responseEnd,
					bytes: e.encodedBodySize
				})),
			tx: (w.__txLog ?? []).filter((t) => t.mode === 'readwrite' && t.done >= 0)
		};
	});
	// KEHOU_BENCH_SYNC_TIMELINE=1: every request and read-write transaction, in time order.
	if (process.env.KEHOU_BENCH_SYNC_TIMELINE) printTimeline(raw, s.t0);
	const byKind = new Map<string, SyncProfile['requests'][number]>();
	for (const r of raw.resources) {
		if (r.start < s.t0) continue;
		const kind = requestKind(r.name);
		const row = byKind.get(kind) ?? {
			kind,
			count: 0,
			totalMs: 0,
			firstStart: Infinity,
			lastEnd: 0,
			bytes: 0
		};
		row.count++;
		row.totalMs += r.end - r.start;
		row.firstStart = Math.min(row.firstStart, r.start - s.t0);
		row.lastEnd = Math.max(row.lastEnd, r.end - s.t0);
		row.bytes += r.bytes;
		byKind.set(kind, row);
	}
	const byDb = new Map<string, SyncProfile['commits'][number]>();
	for (const t of raw.tx) {
		if (t.done < s.t0) continue;
		const db = `${t.db.replace('_pouch_kehou-replica-', 'replica ')} [${t.stores.join(',')}]`;
		const row = byDb.get(db) ?? { db, count: 0, firstDone: Infinity, lastDone: 0 };
		row.count++;
		row.firstDone = Math.min(row.firstDone, t.done - s.t0);
		row.lastDone = Math.max(row.lastDone, t.done - s.t0);
		byDb.set(db, row);
	}
	return {
		requests: [...byKind.values()].sort((a, b) => a.firstStart - b.firstStart),
		commits: [...byDb.values()].sort((a, b) => a.firstDone - b.firstDone),
		cpu: cpuBreakdown(profile)
	};
}

function printTimeline(
	raw: {
		resources: { name: string; start: number; first: number; end: number; bytes: number }[];
		tx: { db: string; stores: string[]; start: number; done: number }[];
	},
	t0: number
): void {
	const t = (v: number) => (v - t0).toFixed(0).padStart(5);
	const lines: [number, string][] = [
		...raw.resources
			.filter((r) => r.start >= t0)
			.map((r): [number, string] => [
				r.start,
				`${t(r.start)} → ${t(r.first)} → ${t(r.end)}  ${requestKind(r.name)} ${(r.bytes / 1e3).toFixed(0)} kB`
			]),
		...raw.tx
			.filter((x) => x.done >= t0)
			.map((x): [number, string] => [
				x.start,
				`${t(x.start)} ⇒ ${t(x.done)}  tx ${x.db.replace('_pouch_kehou-replica-', 'replica ')} [${x.stores.join(',')}]`
			])
	];
	for (const [, line] of lines.sort((a, b) => a[0] - b[0])) console.log(line);
}

function requestKind(url: string): string {
	const u = new URL(url);
	const parts = u.pathname.split('/').filter(Boolean);
	if (parts.length === 0) return 'GET /';
	const db = parts[0].replace(/^kh-[a-z0-9-]+?--/, '');
	const rest = parts.slice(1);
	if (rest.length === 0) return `${db} /`;
	if (rest[0] === '_local') return `${db} _local`;
	if (rest[0].startsWith('_')) return `${db} ${rest[0]}`;
	if (parts[0].startsWith('_')) return parts.slice(0, 2).join('/');
	return `${db} doc`;
}

/** Self time by script file and, for the heaviest, by function (top 15). */
export function cpuBreakdown(profile: CpuProfile): { script: string; ms: number }[] {
	const nodeById = new Map(profile.nodes.map((n) => [n.id, n]));
	const self = new Map<string, number>();
	profile.samples.forEach((id, i) => {
		const node = nodeById.get(id);
		if (!node) return;
		const { url, functionName, lineNumber, columnNumber } = node.callFrame;
		const file = url ? url.split('/').pop() : '';
		const key = file
			? `${file} ${functionName || '(anonymous)'}@${lineNumber + 1}:${columnNumber + 1}`
			: functionName || '(native)';
		self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
	});
	const byScript = new Map<string, number>();
	for (const [key, v] of self) {
		const script = key.includes(' ') ? key.split(' ')[0] : key;
		byScript.set(script, (byScript.get(script) ?? 0) + v);
	}
	const top = (m: Map<string, number>, n: number) =>
		[...m.entries()]
			.sort((a, b) => b[1] - a[1])
			.slice(0, n)
			.map(([script, ms]) => ({ script, ms }));
	return [...top(byScript, 8), { script: '—', ms: 0 }, ...top(self, 15)];
}
