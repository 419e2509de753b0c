// Starts the real sync-server as a child process on a free loopback port (port 0, read
// back from its start-up line), with its own data folder, serving the built PWA.
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../../..');

export interface RunningServer {
	url: string;
	dataDir: string;
	staticDir: string;
	stop(): Promise<void>;
	/** Stops and starts again on the same data folder and port (the same origin). */
	restart(): Promise<RunningServer>;
	/** Output so far, for failure messages. */
	log(): string;
}

export interface ServerOptions {
	dataDir?: string;
	/** Serve a private copy of the build, so that a test may change it. */
	copyBuild?: boolean;
	staticDir?: string;
	port?: number;
}

export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
	const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'kehou-e2e-data-')));
	let staticDir = opts.staticDir ?? join(ROOT, 'build');
	if (opts.copyBuild && !opts.staticDir) {
		const copy = await mkdtemp(join(tmpdir(), 'kehou-e2e-build-'));
		await cp(staticDir, copy, { recursive: true });
		staticDir = copy;
	}
	let output = '';
	let current = await spawnServer(dataDir, staticDir, opts.port ?? 0, (s) => (output += s));
	const server: RunningServer = {
		url: current.url,
		dataDir,
		staticDir,
		stop: () => stopChild(current.child),
		log: () => output,
		restart: async () => {
			await stopChild(current.child);
			const port = Number(new URL(server.url).port);
			current = await spawnServer(dataDir, staticDir, port, (s) => (output += s));
			return server;
		}
	};
	return server;
}

async function spawnServer(
	dataDir: string,
	staticDir: string,
	port: number,
	log: (s: string) => void
): Promise<{ child: ChildProcess; url: string }> {
	const child = spawn(process.execPath, ['--import', 'tsx', 'sync-server/main.ts'], {
		cwd: ROOT,
		env: {
			...process.env,
			KEHOU_PORT: String(port),
			KEHOU_HOST: '127.0.0.1',
			KEHOU_DATA_DIR: dataDir,
			KEHOU_STATIC_DIR: staticDir,
			KEHOU_DEMO: '1',
			KEHOU_LOG_LEVEL: 'warn'
		},
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let seen = '';
	const url = await new Promise<string>((resolvePromise, reject) => {
		const onData = (chunk: Buffer) => {
			const text = chunk.toString();
			seen += text;
			log(text);
			const m = /listening on (http:\/\/\S+)/.exec(seen);
			if (m) resolvePromise(m[1].replace(/\/$/, ''));
		};
		child.stdout?.on('data', onData);
		child.stderr?.on('data', onData);
		child.once('exit', (code) => reject(new Error(`sync-server exited (${code}):\n${seen}`)));
	});
	return { child, url };
}

async function stopChild(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return;
	await new Promise<void>((done) => {
		child.once('exit', () => done());
		child.kill('SIGTERM');
	});
}

export async function removeDir(dir: string) {
	await rm(dir, { recursive: true, force: true });
}

/** Reads documents straight from the server as the server administrator. */
export async function serverDocs(url: string, db: string): Promise<Record<string, unknown>[]> {
	const res = await fetch(`${url}/${db}/_all_docs?include_docs=true`, {
		headers: {
			Accept: 'application/json',
			Authorization: `Basic ${Buffer.from('root:kehou-root').toString('base64')}`
		}
	});
	if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
	const body = (await res.json()) as { rows: { doc: Record<string, unknown> }[] };
	return body.rows.map((r) => r.doc);
}
