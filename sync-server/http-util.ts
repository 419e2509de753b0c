// Small HTTP helpers shared by every route: CouchDB-style errors, JSON replies, bounded
// body reading and CouchDB's JSON-valued query parameters.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An error answered as CouchDB does: `{error, reason}` with an HTTP status. */
export class CouchError extends Error {
	constructor(
		readonly status: number,
		readonly error: string,
		readonly reason: string,
		readonly headers: Record<string, string> = {}
	) {
		super(reason);
	}
}

export const badRequest = (reason: string) => new CouchError(400, 'bad_request', reason);
export const notFound = (reason = 'missing') => new CouchError(404, 'not_found', reason);
export const forbidden = (reason: string) => new CouchError(403, 'forbidden', reason);
export const unauthorized = (reason: string) => new CouchError(401, 'unauthorized', reason);
export const methodNotAllowed = (allowed: string) =>
	new CouchError(405, 'method_not_allowed', `Only ${allowed} allowed`, { Allow: allowed });

/** Errors thrown by PouchDB carry CouchDB's `name`, `status` and `reason`/`message`. */
export function toCouchError(e: unknown): CouchError {
	if (e instanceof CouchError) return e;
	const err = e as { status?: unknown; name?: unknown; reason?: unknown; message?: unknown };
	if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) {
		const reason = typeof err.reason === 'string' ? err.reason : String(err.message ?? '');
		return new CouchError(err.status, String(err.name ?? 'error'), reason);
	}
	return new CouchError(500, 'internal_server_error', 'The server could not handle the request.');
}

export function sendJson(
	res: ServerResponse,
	status: number,
	body: unknown,
	headers: Record<string, string | string[]> = {}
): void {
	sendJsonText(res, status, JSON.stringify(body) + '\n', headers);
}

/** `sendJson` of an answer serialised already (`text` ends with a newline). */
export function sendJsonText(
	res: ServerResponse,
	status: number,
	text: string,
	headers: Record<string, string | string[]> = {}
): void {
	res.writeHead(status, {
		'Content-Type': 'application/json',
		'Content-Length': Buffer.byteLength(text),
		'Cache-Control': 'must-revalidate',
		...headers
	});
	res.end(res.req.method === 'HEAD' ? undefined : text);
}

export function sendError(res: ServerResponse, e: CouchError): void {
	if (res.headersSent) {
		// A streamed reply (longpoll with heartbeats) can only be ended.
		res.end();
		return;
	}
	sendJson(res, e.status, { error: e.error, reason: e.reason }, e.headers);
}

/** Longest pause while a request body arrives, unless the server sets another (ms). */
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;
/** Per request: the body timeout its server set (`setBodyTimeout`). */
const bodyTimeouts = new WeakMap<IncomingMessage, number>();

/** The server's body timeout for this request (readBody reads it). */
export function setBodyTimeout(req: IncomingMessage, ms: number): void {
	bodyTimeouts.set(req, ms);
}

/** The client stopped sending its body: answered 408, then the connection closes. */
export const bodyTimeout = () =>
	new CouchError(408, 'request_timeout', 'The request body stopped arriving.', {
		Connection: 'close'
	});

/**
 * Reads the whole body, refusing more than `limit` bytes with 413 (CouchDB's `too_large`).
 * A body that stops arriving for the request's body timeout (default 10 s without a byte)
 * is given up with 408 and the connection closed: a heavy request holds a queue slot
 * (work-queue.ts) while its body arrives, and a tablet that lost the network mid-upload
 * sends neither the rest nor a FIN. A slow body that keeps arriving is read to the end.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const declared = Number(req.headers['content-length'] ?? 0);
		if (declared > limit) {
			// Drain nothing: the connection closes after the reply.
			req.resume();
			reject(new CouchError(413, 'too_large', 'the request entity is too large'));
			return;
		}
		const chunks: Uint8Array[] = [];
		let size = 0;
		let failed = false;
		const idleMs = bodyTimeouts.get(req) ?? DEFAULT_BODY_TIMEOUT_MS;
		let timer: NodeJS.Timeout | undefined;
		const fail = (err: unknown) => {
			if (failed) return;
			failed = true;
			clearTimeout(timer);
			reject(err);
		};
		const arm = () => {
			clearTimeout(timer);
			timer = setTimeout(() => fail(bodyTimeout()), idleMs);
		};
		// A client that left while its request waited for a slot: nothing will arrive.
		if (req.destroyed && !req.readableEnded) {
			fail(new CouchError(400, 'bad_request', 'The client went away.'));
			return;
		}
		arm();
		req.on('data', (chunk: Uint8Array) => {
			if (failed) return;
			size += chunk.length;
			if (size > limit) {
				fail(new CouchError(413, 'too_large', 'the request entity is too large'));
				return;
			}
			chunks.push(chunk);
			arm();
		});
		req.on('end', () => {
			clearTimeout(timer);
			if (!failed) resolve(Buffer.concat(chunks));
		});
		req.on('error', fail);
		req.on('close', () => {
			if (!req.complete) fail(new CouchError(400, 'bad_request', 'The client went away.'));
		});
	});
}

export function mediaType(req: IncomingMessage): string {
	return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/** Reads a JSON body; CouchDB answers 415 for other types and 400 for malformed JSON. */
export async function readJson(
	req: IncomingMessage,
	limit: number,
	requireType = true
): Promise<unknown> {
	const type = mediaType(req);
	if (requireType && type !== 'application/json') {
		throw new CouchError(415, 'bad_content_type', 'Content-Type must be application/json');
	}
	if (type.startsWith('multipart/')) {
		throw new CouchError(415, 'bad_content_type', 'Multipart bodies are not supported.');
	}
	const body = await readBody(req, limit);
	try {
		return JSON.parse(body.toString('utf8')) as unknown;
	} catch {
		throw badRequest('invalid UTF-8 JSON');
	}
}

/** Like `readJson` but insists on a JSON object. */
export async function readJsonObject(
	req: IncomingMessage,
	limit: number,
	requireType = true
): Promise<Record<string, unknown>> {
	const body = await readJson(req, limit, requireType);
	if (typeof body !== 'object' || body === null || Array.isArray(body)) {
		throw badRequest('Request body must be a JSON object');
	}
	return body as Record<string, unknown>;
}

/** Query parameters as CouchDB reads them: many values are JSON. */
export class Query {
	constructor(readonly params: URLSearchParams) {}

	has(name: string): boolean {
		return this.params.has(name);
	}

	string(name: string): string | undefined {
		return this.params.get(name) ?? undefined;
	}

	bool(name: string): boolean {
		const v = this.params.get(name);
		if (v === null || v === 'false') return false;
		if (v === 'true' || v === '') return true;
		throw badRequest(`Invalid boolean parameter: "${name}"`);
	}

	int(name: string): number | undefined {
		const v = this.params.get(name);
		if (v === null) return undefined;
		const n = Number(v);
		if (!Number.isInteger(n) || n < 0) throw badRequest(`Invalid value for ${name}: "${v}"`);
		return n;
	}

	json(name: string): unknown {
		const v = this.params.get(name);
		if (v === null) return undefined;
		try {
			return JSON.parse(v) as unknown;
		} catch {
			throw badRequest(`Invalid JSON for query parameter ${name}`);
		}
	}

	/** First of several spellings (`startkey` / `start_key`). */
	jsonOf(...names: string[]): unknown {
		for (const n of names) if (this.params.has(n)) return this.json(n);
		return undefined;
	}
}

/** Headers every response carries, API and PWA alike. */
export function securityHeaders(csp: string): Record<string, string> {
	return {
		'Content-Security-Policy': csp,
		'X-Content-Type-Options': 'nosniff',
		'X-Frame-Options': 'DENY',
		'Referrer-Policy': 'no-referrer',
		'Cross-Origin-Opener-Policy': 'same-origin'
	};
}

const CORS_EXPOSE =
	'content-type, cache-control, accept-ranges, etag, server, x-couch-request-id, x-couch-update-newrev, x-couchdb-body-time';
const CORS_METHODS = 'GET, PUT, POST, HEAD, DELETE, COPY';
const CORS_HEADERS =
	'accept, authorization, content-type, origin, referer, if-match, if-none-match, destination, x-requested-with';

/**
 * CORS as CouchDB answers it, for exactly the configured origins (none by default: the PWA
 * is served from the same origin). Returns `true` when it answered a preflight itself.
 */
export function applyCors(
	req: IncomingMessage,
	res: ServerResponse,
	allowedOrigins: readonly string[]
): boolean {
	if (allowedOrigins.length === 0) return false;
	res.setHeader('Vary', 'Origin');
	const origin = req.headers.origin;
	if (!origin || !allowedOrigins.includes(origin)) return false;
	res.setHeader('Access-Control-Allow-Origin', origin);
	res.setHeader('Access-Control-Allow-Credentials', 'true');
	if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
		res.writeHead(204, {
			'Access-Control-Allow-Methods': CORS_METHODS,
			'Access-Control-Allow-Headers': CORS_HEADERS,
			'Access-Control-Max-Age': '600',
			'Content-Length': 0
		});
		res.end();
		return true;
	}
	res.setHeader('Access-Control-Expose-Headers', CORS_EXPOSE);
	return false;
}
