// The sync-server as one object: storage, authentication, the CouchDB-compatible API and
// the static PWA behind one node:http server (DESIGN.md decision 4). `main.ts` runs it;
// tests start one per case on port 0.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import pino, { type Logger } from 'pino';
import { Auth, type AuthOptions } from './auth';
import { routeApi, type ApiContext } from './couch-routes';
import { seedDemo, type DemoAccount } from './demo';
import { sendError, toCouchError } from './http-util';
import { createStaticHandler } from './static-files';
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
}

const DAY = 24 * 60 * 60 * 1000;
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
	const logger = pino({ level: opts.logLevel ?? 'info', base: { service: 'kehou-sync' } });
	const storage = new Storage(opts.dataDir, opts.storage);
	const authOptions = { ...DEFAULT_AUTH, ...opts.auth };
	let auth: Auth | null = null;
	let sweeper: NodeJS.Timeout | undefined;
	const closing = new AbortController();
	const serveStatic = createStaticHandler(opts.staticDir);
	if (opts.staticDir && !serveStatic) {
		logger.warn({ staticDir: opts.staticDir }, 'static folder missing: serving the API only');
	}
	let ctx: ApiContext | null = null;
	let started: Promise<StartupInfo> | null = null;

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
				longpollMaxMs: opts.longpollMaxMs ?? 60_000,
				closing: closing.signal,
				version: process.env.npm_package_version ?? '0.1.0'
			};
			const demoAccounts = fresh && opts.demo ? await seedDemo(storage) : null;
			return { uuid, demoAccounts };
		})());

	async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const t0 = performance.now();
		const url = new URL(req.url ?? '/', 'http://localhost');
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
		res.setHeader('X-Content-Type-Options', 'nosniff');
		try {
			if (!ctx || !auth) throw new Error('server not initialised');
			if (serveStatic && (await serveStatic(req, res))) return;
			const caller = await auth.identify(req);
			if (caller.setCookie) res.setHeader('Set-Cookie', caller.setCookie);
			await routeApi(ctx, req, res, url, caller);
		} catch (e) {
			const err = toCouchError(e);
			if (err.status >= 500) logger.error({ err: e, path: url.pathname }, 'request failed');
			sendError(res, err);
		}
	}

	// Requests in flight per socket, so that `close` can end every socket not serving one.
	const sockets = new Map<Socket, number>();
	const server = createServer((req, res) => {
		const socket = req.socket;
		sockets.set(socket, (sockets.get(socket) ?? 0) + 1);
		res.once('close', () => {
			if (sockets.has(socket)) sockets.set(socket, (sockets.get(socket) ?? 1) - 1);
		});
		void handle(req, res);
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
			// Ended longpolls finish at once; anything else gets a moment before it is cut.
			const cut = setTimeout(() => server.closeAllConnections(), 2000);
			await stopped;
			clearTimeout(cut);
			await storage.close();
		}
	};
}
