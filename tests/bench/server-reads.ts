// A wire burst (or steady) cycle of N tablets against an in-process sync-server, with the
// server's LevelDB reads (`get`), iterator steps and writes (`batch`) counted per request
// kind: `node --import tsx tests/bench/server-reads.ts [tablets=20] [burst|steady]`. Not a
// benchmark of its own (tablets and server share one process): it shows where a cycle's
// reads go (sync-server/README.md, Benchmark). Each request runs in an AsyncLocalStorage
// context, which LevelDB's callbacks keep, so reads are counted for the request that made
// them; answers shared between tablets count once, for the first.
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSyncServer } from '../../sync-server/app';
import { call, signIn } from '../../sync-server/test-helpers';
import {
	afternoonDocs,
	authorOf,
	groupDbOf,
	groupOf,
	PASSWORD,
	SCHOOL_DB,
	seedKehou
} from './support/bench-school';
import { requestKind } from './support/tablets';
import { WireTablet, type ChangeRow } from './support/wire-tablet';

interface Counts {
	n: number;
	gets: number;
	nexts: number;
	batches: number;
}
type Patched = { prototype: Record<string, (...a: unknown[]) => unknown> };

const request = new AsyncLocalStorage<Counts>();
const byKind = new Map<string, Counts>();
const emit = Server.prototype.emit as (this: Server, event: string, ...args: unknown[]) => boolean;
Server.prototype.emit = function (this: Server, event: string, ...args: unknown[]) {
	if (event !== 'request') return emit.call(this, event, ...args);
	const req = args[0] as { method: string; url: string };
	const kind = requestKind(req.method, `http://x${req.url}`);
	let c = byKind.get(kind);
	if (!c) byKind.set(kind, (c = { n: 0, gets: 0, nexts: 0, batches: 0 }));
	c.n++;
	return request.run(c, () => emit.call(this, event, ...args));
} as typeof Server.prototype.emit;
const require = createRequire(import.meta.url);
const count = (cls: Patched, method: string, field: 'gets' | 'nexts' | 'batches') => {
	const original = cls.prototype[method];
	cls.prototype[method] = function (this: unknown, ...a: unknown[]) {
		const c = request.getStore();
		if (c) c[field]++;
		return original.apply(this, a);
	};
};
count(require('leveldown') as Patched, '_get', 'gets');
count(require('leveldown') as Patched, '_batch', 'batches');
count(require('leveldown/iterator') as Patched, '_next', 'nexts');

const n = Number(process.argv[2] ?? 20);
const mode = (process.argv[3] ?? 'burst') as 'burst' | 'steady';
const dir = mkdtempSync(join(tmpdir(), 'kehou-reads-'));
await seedKehou(join(dir, 'server'), n);
const server = createSyncServer({ dataDir: join(dir, 'server'), logLevel: 'silent' });
const { url } = await server.listen(0);
const cookies: string[] = [];
for (let i = 0; i < n; i++) cookies.push(await signIn(url, authorOf(i), PASSWORD));
const changes = await call(url, `/${SCHOOL_DB}/_changes?style=all_docs`, { cookie: cookies[0] });
const school: ChangeRow[] = (
	changes.body as { results: Array<{ id: string; changes: [{ rev: string }] }> }
).results.map((r) => ({ id: r.id, rev: r.changes[0].rev }));
const tablets = cookies.map(
	(cookie, i) =>
		new WireTablet({
			url,
			cookie,
			groupDb: groupDbOf(groupOf(i)),
			schoolDb: SCHOOL_DB,
			docs: afternoonDocs(i),
			school
		})
);
for (const t of tablets) await t.prepare(mode);
byKind.clear();
const t0 = performance.now();
const results = await Promise.all(tablets.map((t) => t.cycle(mode, [])));
const failed = results.filter((r) => r.error);
console.log(
	`${n} tablets, ${mode}: ${(performance.now() - t0).toFixed(0)} ms, ${failed.length} errors ${failed[0]?.error ?? ''}`
);
console.log('per tablet:    n    gets   nexts batches  kind');
const f = (v: number) => (v / n).toFixed(1).padStart(7);
const sum: Counts = { n: 0, gets: 0, nexts: 0, batches: 0 };
for (const [kind, c] of [...byKind].sort((a, b) => b[1].gets - a[1].gets)) {
	console.log(`${f(c.n)} ${f(c.gets)} ${f(c.nexts)} ${f(c.batches)}  ${kind}`);
	for (const k of ['n', 'gets', 'nexts', 'batches'] as const) sum[k] += c[k];
}
console.log(`${f(sum.n)} ${f(sum.gets)} ${f(sum.nexts)} ${f(sum.batches)}  all`);
const stats = (server.storage.backend as unknown as { stats?: Record<string, number> }).stats;
console.log(`LevelDB handles: ${JSON.stringify(stats)}`);
for (const t of tablets) t.close();
await server.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
