// PouchDB's replicator in Node against the server, as real devices use it: 10,000 documents
// both ways, live sync, attachments, a conflict made on two devices, a replication cut
// mid-batch that resumes from its checkpoint, and a server restart mid-replication.
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncServer } from './app';
import { ROOT, freshDb, raw } from './protocol-helpers';
import {
	Client,
	localDb,
	startServer,
	stopping,
	until,
	type ClientDatabase,
	type Running
} from './test-helpers';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(): Promise<Running> {
	const r = await startServer();
	cleanups.push(() => r.stop());
	return r;
}

function device(): ClientDatabase {
	const d = localDb();
	cleanups.push(d.dispose);
	return d.db;
}

/** The server's database as a PouchDB client sees it; `cutAfter` fails every request past N. */
function remote(
	url: string,
	db: string,
	cutAfter = Infinity
): ClientDatabase & { requests: number } {
	let requests = 0;
	const client = new Client(`${url}/${db}`, {
		fetch: (u: string, opts: { headers: Headers }) => {
			requests++;
			(client as unknown as { requests: number }).requests = requests;
			if (requests > cutAfter) return Promise.reject(new Error('connection cut'));
			opts.headers.set('Authorization', ROOT);
			return Client.fetch(u, opts);
		}
	}) as ClientDatabase & { requests: number };
	return client;
}

async function plainDb(url: string): Promise<string> {
	const name = freshDb('repl');
	expect((await raw(url, `/${name}`, { method: 'PUT' })).status).toBe(201);
	return name;
}

const docsOf = (n: number, prefix = 'doc') =>
	Array.from({ length: n }, (_, i) => ({
		_id: `${prefix}-${String(i).padStart(6, '0')}`,
		n: i,
		text: `第${i}号 — some text to give the document a body`
	}));

describe('replication with PouchDB', () => {
	it('pushes 10,000 documents from one device and pulls them into another', async () => {
		const r = await server();
		const name = await plainDb(r.url);
		const a = device();
		const b = device();
		for (let i = 0; i < 10; i++) await a.bulkDocs(docsOf(1000, `d${i}`));
		const pushed = await a.replicate.to(remote(r.url, name), { batch_size: 500 });
		expect(pushed).toMatchObject({ ok: true, docs_written: 10_000, doc_write_failures: 0 });
		expect((await raw(r.url, `/${name}`)).json).toMatchObject({ doc_count: 10_000 });
		const pulled = await b.replicate.from(remote(r.url, name), { batch_size: 500 });
		expect(pulled).toMatchObject({ ok: true, docs_written: 10_000 });
		const info = (await b.info()) as { doc_count: number };
		expect(info.doc_count).toBe(10_000);
	}, 90_000);

	it('keeps a live sync going both ways', async () => {
		const r = await server();
		const name = await plainDb(r.url);
		const a = device();
		const b = device();
		const liveA = a.sync(remote(r.url, name), { live: true, retry: true });
		const liveB = b.sync(remote(r.url, name), { live: true, retry: true });
		cleanups.push(stopping(liveA), stopping(liveB));
		await a.put({ _id: 'from-a', v: 1 });
		await b.put({ _id: 'from-b', v: 2 });
		await until(async () => !!(await b.get('from-a').catch(() => null)));
		await until(async () => !!(await a.get('from-b').catch(() => null)));
	});

	it('carries attachments both ways with digests intact', async () => {
		const r = await server();
		const name = await plainDb(r.url);
		const a = device();
		const b = device();
		const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256));
		await a.put({
			_id: 'photo',
			_attachments: { 'p.jpg': { content_type: 'image/jpeg', data: bytes.toString('base64') } }
		});
		await a.replicate.to(remote(r.url, name));
		const onServer = (await raw(r.url, `/${name}/photo`)).json as {
			_attachments: Record<string, { digest: string; length: number }>;
		};
		const local = (await a.get('photo')) as unknown as {
			_attachments: Record<string, { digest: string }>;
		};
		expect(onServer._attachments['p.jpg'].digest).toBe(local._attachments['p.jpg'].digest);
		expect(onServer._attachments['p.jpg'].length).toBe(bytes.length);
		await b.replicate.from(remote(r.url, name));
		const pulled = await b.getAttachment('photo', 'p.jpg');
		expect(Buffer.from(pulled).toString('base64')).toBe(bytes.toString('base64'));
		// An attachment added on the server (PUT) comes back to the first device.
		const rev = (local as unknown as { _rev: string })._rev;
		await raw(r.url, `/${name}/photo/note.txt?rev=${rev}`, {
			method: 'PUT',
			body: '备注',
			type: 'text/plain;charset=utf-8'
		});
		await a.replicate.from(remote(r.url, name));
		expect((await a.getAttachment('photo', 'note.txt')).toString('utf8')).toBe('备注');
	});

	it('replicates a conflict made on two devices; both keep both revisions and pick the same winner', async () => {
		const r = await server();
		const name = await plainDb(r.url);
		const a = device();
		const b = device();
		await a.put({ _id: 'club', title: 'chess' });
		await a.replicate.to(remote(r.url, name));
		await b.replicate.from(remote(r.url, name));
		const docA = (await a.get('club')) as { _rev: string };
		const docB = (await b.get('club')) as { _rev: string };
		await a.put({ ...docA, title: '国际象棋' });
		await b.put({ ...docB, title: 'Chess club' });
		for (const d of [a, b, a]) {
			await d.replicate.to(remote(r.url, name));
			await d.replicate.from(remote(r.url, name));
		}
		await a.replicate.from(remote(r.url, name));
		await b.replicate.from(remote(r.url, name));
		const onA = (await a.get('club', { conflicts: true })) as unknown as {
			_rev: string;
			_conflicts: string[];
		};
		const onB = (await b.get('club', { conflicts: true })) as unknown as {
			_rev: string;
			_conflicts: string[];
		};
		const onServer = (await raw(r.url, `/${name}/club?conflicts=true`)).json as typeof onA;
		expect(onA._conflicts).toHaveLength(1);
		expect(onA._rev).toBe(onB._rev);
		expect(onA._rev).toBe(onServer._rev);
		expect(onServer._conflicts).toEqual(onA._conflicts);
	});

	it('resumes from its checkpoint after the connection is cut mid-batch', async () => {
		const r = await server();
		const name = await plainDb(r.url);
		const a = device();
		await a.bulkDocs(docsOf(1000));
		// Cut after a few requests: some batches are stored and checkpointed, one is interrupted.
		const cut = await a.replicate
			.to(remote(r.url, name, 12), { batch_size: 100 })
			.catch((e: unknown) => e);
		expect(cut).toBeTruthy();
		const stored = ((await raw(r.url, `/${name}`)).json as { doc_count: number }).doc_count;
		expect(stored).toBeGreaterThan(0);
		expect(stored).toBeLessThan(1000);
		const resumed = await a.replicate.to(remote(r.url, name), { batch_size: 100 });
		expect(resumed.ok).toBe(true);
		// Resumed from the checkpoint: the batches already confirmed are not sent again.
		expect(resumed.docs_written).toBeLessThanOrEqual(1000 - stored + 100);
		expect((await raw(r.url, `/${name}`)).json).toMatchObject({ doc_count: 1000 });
	});

	it('completes a replication across a server restart', async () => {
		const r = await startServer();
		const name = await plainDb(r.url);
		const port = Number(new URL(r.url).port);
		const a = device();
		await a.bulkDocs(docsOf(3000));
		const live = a.replicate.to(remote(r.url, name), {
			batch_size: 100,
			retry: true,
			back_off_function: () => 100
		});
		await until(
			async () =>
				(((await raw(r.url, `/${name}`)).json as { doc_count: number }).doc_count ?? 0) > 0,
			20_000
		);
		await r.stop(true);
		const again = createSyncServer({ dataDir: r.dataDir, logLevel: 'silent', demo: true });
		await again.listen(port, '127.0.0.1');
		cleanups.push(() => again.close());
		const result = await live;
		expect(result.ok).toBe(true);
		expect((await raw(r.url, `/${name}`)).json).toMatchObject({ doc_count: 3000 });
	}, 60_000);
});
