// One tablet's steady cycle against an in-process sync-server, taken apart per request:
// server time, LevelDB reads (`get`), iterator steps and writes (`batch`) on the server's
// folders. `node --import tsx tests/bench/server-cycle.ts [cycles]`. Not a benchmark of
// its own: it shows where a cycle's server work goes (sync-server/README.md, Benchmark).
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSyncServer } from '../../sync-server/app';
import { Client, mark, signIn, type ClientDatabase } from '../../sync-server/test-helpers';

interface Counts {
	n: number;
	ms: number;
	gets: number;
	nexts: number;
	batches: number;
}

const require = createRequire(import.meta.url);
const LevelDOWN = require('leveldown') as {
	prototype: Record<string, (...a: unknown[]) => unknown>;
};
const dir = mkdtempSync(join(tmpdir(), 'kehou-cycle-'));
const serverDir = join(dir, 'server');
let current: Counts | null = null;
const ours = (self: unknown) =>
	String((self as { location?: string }).location).startsWith(serverDir);
for (const [method, field] of [
	['_get', 'gets'],
	['_batch', 'batches']
] as const) {
	const original = LevelDOWN.prototype[method];
	LevelDOWN.prototype[method] = function (this: unknown, ...args: unknown[]) {
		if (current && ours(this)) current[field]++;
		return original.apply(this, args);
	};
}
const originalIterator = LevelDOWN.prototype._iterator;
LevelDOWN.prototype._iterator = function (this: unknown, ...args: unknown[]) {
	const it = originalIterator.apply(this, args) as Record<string, (...a: unknown[]) => unknown>;
	if (current && ours(this)) {
		const counts = current;
		const next = it._next;
		it._next = function (this: unknown, ...a: unknown[]) {
			counts.nexts++;
			return next.apply(this, a);
		};
	}
	return it;
};

const server = createSyncServer({ dataDir: serverDir, logLevel: 'silent', demo: true });
const byKind = new Map<string, Counts>();
const { url } = await server.listen(0);
const cookie = await signIn(url, 'teacher', 'kehou-teacher');
const remote = (name: string): ClientDatabase =>
	new Client(`${url}/${name}`, {
		fetch: async (u: string, opts: { headers: Headers; method?: string }) => {
			opts.headers.set('Cookie', cookie);
			const kind = kindOf(opts.method ?? 'GET', u);
			const c = byKind.get(kind) ?? { n: 0, ms: 0, gets: 0, nexts: 0, batches: 0 };
			byKind.set(kind, c);
			// Requests of one cycle run one at a time here, so counts belong to one request.
			while (current) await new Promise((r) => setImmediate(r));
			current = c;
			c.n++;
			const t0 = performance.now();
			try {
				const res = await Client.fetch(u, opts);
				const body = await res.arrayBuffer();
				return new Response(res.status === 204 || res.status === 304 ? null : body, {
					status: res.status,
					headers: res.headers as unknown as HeadersInit
				});
			} finally {
				c.ms += performance.now() - t0;
				current = null;
			}
		}
	});

function kindOf(method: string, url: string): string {
	const u = new URL(url);
	const parts = u.pathname.split('/').slice(1);
	const path = parts
		.map((p, i) => (i === 0 ? (p ? '{db}' : '') : i === 1 && p.startsWith('_') ? p : '…'))
		.join('/');
	return `${method} /${path}`;
}

const groupDb = 'kh-demo--g--svc-3-1';
const schoolDb = 'kh-demo--school';
const group = new Client(join(dir, 'g'), { adapter: 'leveldb' });
const school = new Client(join(dir, 's'), { adapter: 'leveldb' });
await school.replicate.from(remote(schoolDb));
await group.replicate.from(remote(groupDb));
await group.replicate.to(remote(groupDb));
byKind.clear();
const cycles = Number(process.argv[2] ?? 20);
const t0 = performance.now();
for (let c = 0; c < cycles; c++) {
	const docs = Array.from({ length: 91 }, (_, i) =>
		mark({
			groupId: 'svc-3-1',
			studentId: `s${String(i % 45).padStart(4, '0')}`,
			author: 'teacher'
		})
	);
	await group.bulkDocs(docs);
	// One after the other (the tablets run them side by side): counts stay per request.
	await group.replicate.to(remote(groupDb));
	await school.replicate.from(remote(schoolDb));
	await group.replicate.from(remote(groupDb));
}
const total = performance.now() - t0;
console.log(
	`${cycles} cycles, ${(total / cycles).toFixed(1)} ms each (client and server in one process)`
);
console.log('per cycle:   n     ms   gets  nexts  batches  kind');
let sum = { n: 0, ms: 0, gets: 0, nexts: 0, batches: 0 };
for (const [kind, c] of [...byKind].sort((a, b) => b[1].ms - a[1].ms)) {
	const f = (v: number, d = 1) => (v / cycles).toFixed(d).padStart(6);
	console.log(
		`      ${f(c.n)} ${f(c.ms)} ${f(c.gets, 0)} ${f(c.nexts, 0)} ${f(c.batches)}  ${kind}`
	);
	sum = {
		n: sum.n + c.n,
		ms: sum.ms + c.ms,
		gets: sum.gets + c.gets,
		nexts: sum.nexts + c.nexts,
		batches: sum.batches + c.batches
	};
}
const f = (v: number, d = 1) => (v / cycles).toFixed(d).padStart(6);
console.log(
	`      ${f(sum.n)} ${f(sum.ms)} ${f(sum.gets, 0)} ${f(sum.nexts, 0)} ${f(sum.batches)}  all`
);
await server.close();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
