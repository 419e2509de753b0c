// Helpers of the protocol and fuzz specs: raw HTTP calls as a CouchDB client makes them,
// with the demo server admin's Basic credentials, and one server per spec file.
import { startServer, type Running } from './test-helpers';

export const ROOT = 'Basic ' + Buffer.from('root:kehou-root').toString('base64');
export const TEACHER = 'Basic ' + Buffer.from('teacher:kehou-teacher').toString('base64');

export interface Raw {
	status: number;
	headers: Headers;
	text: string;
	/** The body parsed as JSON, or `undefined` when it is not JSON. */
	json: unknown;
}

export async function raw(
	url: string,
	path: string,
	init: {
		method?: string;
		auth?: string | null;
		body?: unknown;
		type?: string;
		headers?: Record<string, string>;
	} = {}
): Promise<Raw> {
	const headers: Record<string, string> = { Accept: 'application/json', ...init.headers };
	if (init.auth !== null) headers.Authorization = init.auth ?? ROOT;
	let body: string | Uint8Array | undefined;
	if (init.body !== undefined) {
		body =
			typeof init.body === 'string' || init.body instanceof Uint8Array
				? init.body
				: JSON.stringify(init.body);
		headers['Content-Type'] = init.type ?? 'application/json';
	}
	const res = await fetch(url + path, {
		method: init.method ?? (body === undefined ? 'GET' : 'POST'),
		headers,
		body: body as RequestInit['body']
	});
	const text = await res.text();
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: res.status, headers: res.headers, text, json };
}

/** One server for a whole spec file (demo school seeded: accounts exist). */
export function sharedServer(opts: Parameters<typeof startServer>[0] = {}) {
	let running: Running | null = null;
	return {
		async start() {
			running = await startServer(opts);
			return running;
		},
		get url() {
			if (!running) throw new Error('server not started');
			return running.url;
		},
		get running() {
			if (!running) throw new Error('server not started');
			return running;
		},
		async stop() {
			await running?.stop();
			running = null;
		}
	};
}

let counter = 0;
/** A fresh plain CouchDB database name. */
export const freshDb = (prefix = 'plain') => `${prefix}-${process.pid}-${++counter}`;
