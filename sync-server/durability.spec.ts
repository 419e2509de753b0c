// Durability: the server runs as its own process (`node --import tsx sync-server/main.ts`);
// several PouchDB clients push; the server is SIGKILLed mid-push and restarted on the same
// data folder. Every write it acknowledged — each document of a `_bulk_docs` answered 201
// and not reported as an error (the replicator sends `new_edits: false`, whose successes
// CouchDB does not list), or listed `ok` — must be there, and the clients then finish.
// A SIGKILL loses no acknowledged write because the LevelDB batch is in the OS before
// PouchDB answers; a power cut could (writes are not fsynced: see the README).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
	Client,
	FIRST_STUDENT,
	TEACHER_DB,
	TEACHER_DB_SEEDED,
	call,
	localDb,
	mark,
	type ClientDatabase
} from './test-helpers';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

const MAIN = join(import.meta.dirname, 'main.ts');

/** Starts `main.ts` on port 0 and resolves with its URL from the `listening on` line. */
function startProcess(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
	const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
		env: {
			...process.env,
			KEHOU_PORT: '0',
			KEHOU_DATA_DIR: dataDir,
			KEHOU_STATIC_DIR: join(dataDir, 'no-static'),
			KEHOU_DEMO: '1',
			KEHOU_LOG_LEVEL: 'warn'
		},
		stdio: ['ignore', 'pipe', 'pipe']
	});
	cleanups.push(() => {
		if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
	});
	return new Promise((resolve, reject) => {
		let out = '';
		const timer = setTimeout(() => reject(new Error(`no listening line:\n${out}`)), 20_000);
		child.stdout?.on('data', (d: Buffer) => {
			out += d.toString();
			const m = /listening on (http:\/\/\S+)/.exec(out);
			if (m) {
				clearTimeout(timer);
				resolve({ child, url: m[1] });
			}
		});
		child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
		child.once('exit', (code) => reject(new Error(`server exited (${code}):\n${out}`)));
	});
}

/** id → rev of every document the server acknowledged to any client. */
const acked = new Map<string, string>();

/** A remote whose fetch records what `_bulk_docs` answers acknowledge. */
function recordingRemote(url: string): ClientDatabase {
	const auth = 'Basic ' + btoa('teacher:kehou-teacher');
	return new Client(`${url}/${TEACHER_DB}`, {
		fetch: async (u: string, opts: { headers: Headers; body?: unknown }) => {
			opts.headers.set('Authorization', auth);
			const res = await Client.fetch(u, opts);
			if (u.includes('/_bulk_docs') && res.status === 201 && typeof opts.body === 'string') {
				const sent = JSON.parse(opts.body) as {
					docs: Array<{ _id: string; _rev: string }>;
					new_edits?: boolean;
				};
				const answer = (await res.clone().json()) as Array<{
					id: string;
					ok?: boolean;
					rev?: string;
					error?: string;
				}>;
				if (sent.new_edits === false) {
					const failed = new Set(answer.filter((a) => a.error).map((a) => a.id));
					for (const d of sent.docs) if (!failed.has(d._id)) acked.set(d._id, d._rev);
				} else {
					for (const a of answer) if (a.ok && a.rev) acked.set(a.id, a.rev);
				}
			}
			return res;
		}
	});
}

describe('durability', () => {
	it('keeps every acknowledged write through a SIGKILL mid-push, then the clients finish', async () => {
		const dataDir = mkdtempSync(join(tmpdir(), 'kehou-durable-'));
		cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
		const first = await startProcess(dataDir);

		const CLIENTS = 4;
		const PER_CLIENT = 400;
		const clients: ClientDatabase[] = [];
		for (let c = 0; c < CLIENTS; c++) {
			const local = localDb();
			cleanups.push(local.dispose);
			await local.db.bulkDocs(
				Array.from({ length: PER_CLIENT }, () =>
					mark({ groupId: 'svc-3-1', studentId: FIRST_STUDENT, deviceId: `tablet-${c}-xx` })
				)
			);
			clients.push(local.db);
		}
		const pushes = clients.map((db) =>
			db.replicate.to(recordingRemote(first.url), { batch_size: 10 }).catch((e: unknown) => e)
		);
		// Kill it while the pushes are in full flow: some acknowledged, most not yet sent.
		const total = CLIENTS * PER_CLIENT;
		while (acked.size < total / 5) await new Promise((r) => setTimeout(r, 5));
		first.child.kill('SIGKILL');
		await new Promise((r) => first.child.once('exit', r));
		const outcomes = await Promise.all(pushes);
		const ackedAtKill = new Map(acked);
		expect(ackedAtKill.size).toBeGreaterThan(0);
		expect(ackedAtKill.size).toBeLessThan(total);
		expect(outcomes.some((o) => o instanceof Error || (o as { ok?: boolean }).ok === false)).toBe(
			true
		);

		const second = await startProcess(dataDir);
		const teacher = { Authorization: 'Basic ' + btoa('teacher:kehou-teacher') };
		const query: Record<string, string[]> = {};
		for (const [id, rev] of ackedAtKill) query[id] = [rev];
		const diff = await call(second.url, `/${TEACHER_DB}/_revs_diff`, {
			headers: teacher,
			body: query
		});
		expect(diff.status).toBe(200);
		// Nothing acknowledged is missing.
		expect(Object.keys(diff.body as object)).toEqual([]);

		for (const db of clients) {
			const done = await db.replicate.to(recordingRemote(second.url), { batch_size: 50 });
			expect(done.ok).toBe(true);
			expect(done.doc_write_failures).toBe(0);
		}
		const info = (await call(second.url, `/${TEACHER_DB}`, { headers: teacher })).body as {
			doc_count: number;
		};
		// 45 demo children and every mark of every client.
		expect(info.doc_count).toBe(TEACHER_DB_SEEDED + total);
		second.child.kill('SIGTERM');
		await new Promise((r) => second.child.once('exit', r));
	}, 90_000);
});
