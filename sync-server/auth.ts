// Who is asking: revocable cookie sessions kept in the system store, HTTP Basic as CouchDB
// accepts it, the sign-in rate limit, and the `/_session` routes.
// Invariants: the store holds only a SHA-256 of each session token, so a copy of the data
// folder signs nobody in; a session past its idle or absolute expiry is deleted on sight.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
	CouchError,
	badRequest,
	mediaType,
	readBody,
	sendJson,
	unauthorized,
	methodNotAllowed
} from './http-util';
import type { Doc, PouchDatabase } from './storage';
import { authenticate, currentUser, getUser, type User } from './users';

export interface AuthOptions {
	/** Idle expiry of a session (ms). */
	sessionIdleMs: number;
	/** Absolute expiry of a session (ms), whatever its use. */
	sessionMaxMs: number;
	/** Adds `Secure` to the cookie: only when clients reach us over HTTPS. */
	secureCookies: boolean;
	/** Read the client address from `X-Forwarded-For` (behind a trusted proxy only). */
	trustProxy: boolean;
	/** Failed sign-ins per account and address before 429, and the window (ms). */
	maxFailures: number;
	failureWindowMs: number;
}

export const SESSION_EXPIRED = 'Session expired, sign in again.';
const BAD_CREDENTIALS = 'Name or password is incorrect.';
// Writing `lastSeen` on every request would double the writes of a sync; once a minute is
// precise enough for an idle expiry measured in days.
const TOUCH_EVERY_MS = 60_000;
const BASIC_CACHE_MS = 60_000;

interface SessionDoc {
	_id: string;
	_rev?: string;
	type: 'session';
	name: string;
	createdAt: number;
	lastSeen: number;
}

export interface Caller {
	user: User | null;
	/** Why a presented credential was not accepted (expired session). */
	authError?: string;
	via?: 'cookie' | 'basic';
	/** A cookie to send back (clearing a dead one). */
	setCookie?: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function cookieValue(req: IncomingMessage, name: string): string | null {
	const header = req.headers.cookie;
	if (!header) return null;
	for (const part of header.split(';')) {
		const eq = part.indexOf('=');
		if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
	}
	return null;
}

export class Auth {
	private readonly failures = new Map<string, number[]>();
	private readonly basicCache = new Map<string, { stamp: string; until: number }>();

	constructor(
		private readonly system: PouchDatabase,
		private readonly opts: AuthOptions
	) {}

	/** Deletes expired sessions and forgets old failures; run at start and hourly. */
	async sweep(): Promise<void> {
		const now = Date.now();
		const rows = (await this.system.allDocs({
			startkey: 'session:',
			endkey: 'session:\ufff0',
			include_docs: true
		})) as { rows: Array<{ doc: SessionDoc }> };
		const dead = rows.rows
			.map((r) => r.doc)
			.filter((d) => this.expired(d, now))
			.map((d) => ({ _id: d._id, _rev: d._rev, _deleted: true }));
		if (dead.length) await this.system.bulkDocs(dead);
		for (const [key, times] of this.failures) {
			if (times.every((t) => now - t >= this.opts.failureWindowMs)) this.failures.delete(key);
		}
		for (const [key, entry] of this.basicCache) if (entry.until <= now) this.basicCache.delete(key);
	}

	private expired(doc: SessionDoc, now: number): boolean {
		return (
			now - doc.lastSeen > this.opts.sessionIdleMs || now - doc.createdAt > this.opts.sessionMaxMs
		);
	}

	clientAddress(req: IncomingMessage): string {
		if (this.opts.trustProxy) {
			const fwd = req.headers['x-forwarded-for'];
			const first = (Array.isArray(fwd) ? fwd[0] : fwd)?.split(',')[0].trim();
			if (first) return first;
		}
		return req.socket.remoteAddress ?? 'unknown';
	}

	private cookie(token: string, maxAgeSec: number): string {
		const secure = this.opts.secureCookies ? '; Secure' : '';
		return `AuthSession=${token}; Version=1; Path=/; Max-Age=${maxAgeSec}; HttpOnly; SameSite=Strict${secure}`;
	}

	/** Resolves the caller from the AuthSession cookie or Basic credentials. */
	async identify(req: IncomingMessage): Promise<Caller> {
		const header = req.headers.authorization;
		if (header?.startsWith('Basic ')) return this.basic(req, header.slice(6));
		const token = cookieValue(req, 'AuthSession');
		if (!token) return { user: null };
		const id = `session:${sha256(token)}`;
		const doc = (await this.system.get(id).catch(() => null)) as SessionDoc | null;
		const now = Date.now();
		const dead = { user: null, authError: SESSION_EXPIRED, setCookie: this.cookie('', 0) };
		if (!doc) return dead;
		if (this.expired(doc, now)) {
			await this.system.remove(doc._id, doc._rev!).catch(() => undefined);
			return dead;
		}
		const user = await getUser(this.system, doc.name);
		if (!user) return dead;
		if (now - doc.lastSeen > TOUCH_EVERY_MS) {
			// A lost race with another request touching it is harmless.
			await this.system.put({ ...doc, lastSeen: now } as unknown as Doc).catch(() => undefined);
		}
		return { user, via: 'cookie' };
	}

	private async basic(req: IncomingMessage, encoded: string): Promise<Caller> {
		const decoded = Buffer.from(encoded, 'base64').toString('utf8');
		const colon = decoded.indexOf(':');
		if (colon < 0) throw unauthorized(BAD_CREDENTIALS);
		const name = decoded.slice(0, colon);
		const password = decoded.slice(colon + 1);
		// Replication sends credentials on every request; a short cache spares a slow hash each time.
		const key = sha256(`${name}\0${password}`);
		const cached = this.basicCache.get(key);
		// A hit still reads the account: new roles apply at once; a new password or disabling ends it.
		const fresh =
			cached && cached.until > Date.now() && (await currentUser(this.system, name, cached.stamp));
		if (fresh) return { user: fresh.user, via: 'basic' };
		// Stamp read before the check: a password changed in between invalidates the entry.
		const before = await currentUser(this.system, name);
		const user = await this.checkPassword(req, name, password);
		if (before)
			this.basicCache.set(key, { stamp: before.stamp, until: Date.now() + BASIC_CACHE_MS });
		return { user, via: 'basic' };
	}

	/** Checks credentials under the rate limit; throws 401 or 429. */
	private async checkPassword(req: IncomingMessage, name: string, password: string): Promise<User> {
		const key = `${name}\0${this.clientAddress(req)}`;
		const now = Date.now();
		const recent = (this.failures.get(key) ?? []).filter(
			(t) => now - t < this.opts.failureWindowMs
		);
		if (recent.length >= this.opts.maxFailures) {
			const retry = Math.ceil((recent[0] + this.opts.failureWindowMs - now) / 1000);
			throw new CouchError(
				429,
				'too_many_requests',
				'Too many failed sign-in attempts; wait a few minutes and try again.',
				{ 'Retry-After': String(retry) }
			);
		}
		const user = await authenticate(this.system, name, password);
		if (!user) {
			recent.push(now);
			this.failures.set(key, recent);
			throw unauthorized(BAD_CREDENTIALS);
		}
		this.failures.delete(key);
		return user;
	}

	/** `/_session`: GET who am I, POST sign in, DELETE sign out (revoking the session). */
	async handleSession(
		req: IncomingMessage,
		res: ServerResponse,
		caller: Caller,
		bodyLimit: number
	): Promise<void> {
		if (req.method === 'GET' || req.method === 'HEAD') {
			const user = caller.user;
			const headers: Record<string, string> = caller.setCookie
				? { 'Set-Cookie': caller.setCookie }
				: {};
			sendJson(
				res,
				200,
				{
					ok: true,
					userCtx: { name: user?.name ?? null, roles: user?.roles ?? [] },
					info: {
						authentication_handlers: ['cookie', 'default'],
						...(user ? { authenticated: caller.via ?? 'cookie' } : {})
					}
				},
				headers
			);
			return;
		}
		if (req.method === 'POST') {
			const { name, password } = await this.readCredentials(req, bodyLimit);
			const user = await this.checkPassword(req, name, password);
			const token = randomBytes(32).toString('base64url');
			const now = Date.now();
			const doc: SessionDoc = {
				_id: `session:${sha256(token)}`,
				type: 'session',
				name: user.name,
				createdAt: now,
				lastSeen: now
			};
			await this.system.put(doc as unknown as Doc);
			const maxAge = Math.floor(this.opts.sessionMaxMs / 1000);
			sendJson(
				res,
				200,
				{ ok: true, name: user.name, roles: user.roles },
				{ 'Set-Cookie': this.cookie(token, maxAge) }
			);
			return;
		}
		if (req.method === 'DELETE') {
			const token = cookieValue(req, 'AuthSession');
			if (token) {
				const doc = await this.system.get(`session:${sha256(token)}`).catch(() => null);
				if (doc?._rev) await this.system.remove(doc._id!, doc._rev).catch(() => undefined);
			}
			sendJson(res, 200, { ok: true }, { 'Set-Cookie': this.cookie('', 0) });
			return;
		}
		throw methodNotAllowed('GET,HEAD,POST,DELETE');
	}

	private async readCredentials(
		req: IncomingMessage,
		limit: number
	): Promise<{ name: string; password: string }> {
		const type = mediaType(req);
		const body = (await readBody(req, limit)).toString('utf8');
		let name: unknown;
		let password: unknown;
		if (type === 'application/json') {
			let parsed: { name?: unknown; password?: unknown };
			try {
				parsed = JSON.parse(body) as typeof parsed;
			} catch {
				throw badRequest('invalid UTF-8 JSON');
			}
			name = parsed?.name;
			password = parsed?.password;
		} else if (type === 'application/x-www-form-urlencoded') {
			const form = new URLSearchParams(body);
			name = form.get('name');
			password = form.get('password');
		} else {
			throw new CouchError(
				415,
				'bad_content_type',
				'Content-Type must be application/json or application/x-www-form-urlencoded'
			);
		}
		if (typeof name !== 'string' || typeof password !== 'string' || !name || !password) {
			throw unauthorized(BAD_CREDENTIALS);
		}
		return { name, password };
	}
}
