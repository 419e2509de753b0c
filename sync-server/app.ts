// The sync-server as one object: storage, authentication, the CouchDB-compatible API and
// the static PWA behind one node:http server (DESIGN.md decision 4). `main.ts` runs it;
// tests start one per case on port 0.
import { setMaxListeners } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import pino, { type Logger } from 'pino';
import { Auth, type AuthOptions } from './auth';
import { FeedSlots } from './couch-changes';
import { WorkQueue } from './work-queue';
import { routeApi, type ApiContext } from './couch-routes';
import { seedDemo, type DemoAccount } from './demo';
import {
	applyCors,
	CouchError,
	DEFAULT_BODY_TIMEOUT_MS,
	securityHeaders,
	sendError,
	setBodyTimeout,
	toCouchError
} from './http-util';
import { configureMirrors, type Mirrors } from './mirrors';
import { contentSecurityPolicy, createStaticHandler } from './static-files';
import { Storage, type StorageOptions } from './storage';
import { createUser, type NewUser, type User } from './users';

export interface SyncServerOptions {
	dataDir: string;
	/** The built PWA (`build/`); without it only the API is served. */
	staticDir?: string;
	/** pino level; `silent` in tests. */
	logLevel?: string;
	/** Seed the demo school when the data folder is new. */
	demo?: boolean;
	/** Largest accepted request body (bytes); CouchDB answers 413 above it. */
	maxBodyBytes?: number;
	/** Longest a longpoll `_changes` waits (ms). */
	longpollMaxMs?: number;
	auth?: Partial<AuthOptions>;
	/** Store backend and limits; default from the environment (`storageOptionsFromEnv`). */
	storage?: StorageOptions;
	/** Largest attachment (bytes); larger ones get 413 `attachment_too_large`. Default 8 MiB. */
	maxAttachmentBytes?: number;
	/** Origins answered with CORS (credentials allowed); none by default (same origin only). */
	allowedOrigins?: readonly string[];
	/** How long `close` waits for requests in flight (writes) before cutting them (ms). */
	shutdownGraceMs?: number;
	/** Longest pause while a request body arrives before 408 and closing (ms; default 10 s). */
	bodyTimeoutMs?: number;
	/** `_bulk_docs`/`_bulk_get`/`_revs_diff` served at once (default `KEHOU_HEAVY_REQUESTS`, 8). */
	heavyRequests?: number;
}

export interface StartupInfo {
	uuid: string;
	/** The demo accounts when this start seeded the demo school, else `null`. */
	demoAccounts: DemoAccount[] | null;
}

export interface SyncServer {
	/** Opens storage and seeds the demo when needed; `listen` calls it too. Idempotent. */
	init(): Promise<StartupInfo>;
	listen(port: number, host?: string): Promise<{ url: string; port: number }>;
	close(): Promise<void>;
	/** Creates or updates an account (admin helper). */
	createUser(input: NewUser): Promise<User>;
	readonly storage: Storage;
	readonly logger: Logger;
	/** Heavy requests holding a slot and waiting for one (work-queue.ts). */
	heavyLoad(): { running: number; waiting: number };
}

const DAY = 24 * 60 * 60 * 1000;
/** `_bulk_docs`, `_bulk_get` and `_revs_diff` requests served at once (the rest queue). */
const HEAVY_REQUESTS = Number(process.env.KEHOU_HEAVY_REQUESTS) || 8;
export const DEFAULT_AUTH: AuthOptions = {
	// A teacher's tablet syncs most afternoons; a week unused or a month in all signs it out.
	sessionIdleMs: 7 * DAY,
	sessionMaxMs: 30 * DAY,
	secureCookies: false,
	trustProxy: false,
	maxFailures: 10,
	failureWindowMs: 5 * 60 * 1000
};

/**
 * The path as logged: a document id is cut to its type (`student:…`), because ids such as
 * student numbers are about children and logs travel further than the data.
 */
export function logPath(pathname: string): string {
	const parts = pathname.split('/');
	if (parts.length >= 3 && parts[1] && !parts[1].startsWith('_') && !parts[2].startsWith('_')) {
		const colon = parts[2].indexOf(':');
		parts[2] = colon > 0 ? `${parts[2].slice(0, colon)}:…` : '…';
		parts.length = 3;
	}
	return parts.join('/');
}

export function createSyncServer(opts: SyncServerOptions): SyncServer {
	const level = opts.logLevel ?? 'info';
	// One line per request: written to stdout in blocks of 4 KB (flushed every second and at
	// close), not one write(2) each — a sync cycle makes ~17 requests, and synchronous
	// writes to a slow reader's pipe took a tenth of the server's CPU in the benchmark.
	const destination =
		level === 'silent' ? undefined : pino.destination({ dest: 1, sync: false, minLength: 4096 });
	const logger = pino({ level, base: { service: 'kehou-sync' } }, destination);
	const flusher = destination ? setInterval(() => destination.flush(), 1000) : undefined;
	flusher?.unref();
	const storage = new Storage(opts.dataDir, opts.storage);
	const authOptions = { ...DEFAULT_AUTH, ...opts.auth };
	let auth: Auth | null = null;
	let sweeper: NodeJS.Timeout | undefined;
	const closing = new AbortController();
	// Every waiting `_changes` and db_updates request listens for shutdown: not a leak.
	setMaxListeners(0, closing.signal);
	const serveStatic = createStaticHandler(opts.staticDir);
	// Computed once: the inline scripts of the built index.html are allowed by their hashes.
	const headers = securityHeaders(contentSecurityPolicy(opts.staticDir));
	if (opts.staticDir && !serveStatic) {
		logger.warn({ staticDir: opts.staticDir }, 'static folder missing: serving the API only');
	}
	let ctx: ApiContext | null = null;
	let started: Promise<StartupInfo> | null = null;
	let mirrors: Mirrors | null = null;

	const init = () =>
		(started ??= (async () => {
			const { uuid, fresh } = await storage.init();
			auth = new Auth(storage.system, authOptions);
			await auth.sweep();
			const a = auth;
			sweeper = setInterval(() => void a.sweep().catch(() => undefined), 60 * 60 * 1000);
			sweeper.unref();
			ctx = {
				storage,
				auth,
				bodyLimit: opts.maxBodyBytes ?? 16 * 1024 * 1024,
				maxAttachmentBytes: opts.maxAttachmentBytes,
				longpollMaxMs: opts.longpollMaxMs ?? 60_000,
				closing: closing.signal,
				feedSlots: new FeedSlots(),
				work: new WorkQueue(opts.heavyRequests ?? HEAVY_REQUESTS),
				version: process.env.npm_package_version ?? '0.1.0'
			};
			mirrors = configureMirrors(storage, (err, db) =>
				logger.warn({ err, db }, 'mirror copy failed; retried later')
			);
			const demoAccounts = fresh && opts.demo ? await seedDemo(storage) : null;
			// Repairs copies a crash cut off (mirrors.ts, invariant M); requests need not wait.
			void mirrors.startRepair();
			return { uuid, demoAccounts };
		})());

	async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const t0 = performance.now();
		// Parsed as a path, never as a URL of its own: `//x` or `*` must not become a host.
		let url: URL;
		try {
			url = new URL(
				`http://localhost${(req.url ?? '/').startsWith('/') ? '' : '/'}${req.url ?? ''}`
			);
		} catch {
			url = new URL('http://localhost/_bad_url');
		}
		res.on('finish', () => {
			// Never bodies, query strings, cookies or credentials: method, path, status, time.
			logger.info(
				{
					method: req.method,
					path: logPath(url.pathname),
					status: res.statusCode,
					ms: Math.round(performance.now() - t0)
				},
				'request'
			);
		});
		for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
		setBodyTimeout(req, opts.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS);
		try {
			if (applyCors(req, res, opts.allowedOrigins ?? [])) return;
			if (closing.signal.aborted) {
				res.setHeader('Connection', 'close');
				throw new CouchError(503, 'service_unavailable', 'The server is shutting down.');
			}
			if (!ctx || !auth) throw new Error('server not initialised');
			if (serveStatic && (await serveStatic(req, res))) return;
			const caller = await auth.identify(req);
			if (caller.setCookie) res.setHeader('Set-Cookie', caller.setCookie);
			await routeApi(ctx, req, res, url, caller);
		} catch (e) {
			const err = e instanceof CouchError ? e : toCouchError(e);
			if (err.status >= 500 && !closing.signal.aborted)
				logger.error({ err: e, path: url.pathname }, 'request failed');
			sendError(res, err);
		}
	}

	// Requests in flight per socket, so that `close` can end every socket not serving one,
	// and every handler still running, so that `close` lets writes in flight finish.
	const sockets = new Map<Socket, number>();
	const handlers = new Set<Promise<void>>();
	const server = createServer((req, res) => {
		const socket = req.socket;
		sockets.set(socket, (sockets.get(socket) ?? 0) + 1);
		res.once('close', () => {
			if (sockets.has(socket)) sockets.set(socket, (sockets.get(socket) ?? 1) - 1);
		});
		const running = handle(req, res);
		handlers.add(running);
		void running.finally(() => handlers.delete(running));
	});
	server.on('connection', (socket: Socket) => {
		sockets.set(socket, 0);
		socket.once('close', () => sockets.delete(socket));
	});
	// Longpolls hold sockets open for up to a minute; keep Node's own timeouts out of the way.
	server.requestTimeout = 0;
	server.headersTimeout = 60_000;

	return {
		storage,
		logger,
		init,
		heavyLoad: () => ctx?.work.load ?? { running: 0, waiting: 0 },
		createUser: async (input) => {
			await init();
			return createUser(storage.system, input);
		},
		async listen(port, host = '127.0.0.1') {
			await init();
			await new Promise<void>((resolve, reject) => {
				server.once('error', reject);
				server.listen(port, host, () => {
					server.off('error', reject);
					resolve();
				});
			});
			const address = server.address() as AddressInfo;
			const shownHost = host.includes(':') ? `[${host}]` : host;
			return { url: `http://${shownHost}:${address.port}`, port: address.port };
		},
		async close() {
			closing.abort();
			clearInterval(sweeper);
			const stopped = new Promise<void>((resolve) => {
				if (!server.listening) return resolve();
				server.close(() => resolve());
			});
			// Node's closeIdleConnections misses keep-alive sockets that never carried a request.
			for (const [socket, active] of sockets) if (active === 0) socket.destroy();
			// Waiting feeds end at once (closing signal); a write in flight finishes and is
			// answered; only past the grace period is anything cut.
			const grace = opts.shutdownGraceMs ?? 10_000;
			let timer: NodeJS.Timeout | undefined;
			const deadline = new Promise<void>((r) => (timer = setTimeout(r, grace)));
			await Promise.race([Promise.allSettled([...handlers]), deadline]);
			server.closeAllConnections();
			await Promise.race([stopped, deadline]);
			clearTimeout(timer);
			mirrors?.close();
			await mirrors?.repaired.catch(() => undefined);
			await storage.close();
			clearInterval(flusher);
			try {
				destination?.flushSync();
			} catch {
				// stdout already closed: the last lines are lost, nothing else to do.
			}
		}
	};
}
