// What the bench's simulated tablets report, whichever kind they are (`pouch-tablet.ts`,
// `wire-tablet.ts`), and how a request is named in the per-kind tables.

export type TabletKind = 'wire' | 'pouchdb';

export interface TabletSpec {
	/** Position among all tablets (for spreading arrivals, and the afternoon's author). */
	index: number;
	group: string;
	author: string;
	cookie?: string;
}

export interface TabletResult {
	index: number;
	startedAt: number;
	ms: number;
	pushed: number;
	pulled: number;
	/** The HTTP requests of the workload: kind (method and path shape) and time to the body. */
	requests: RequestTiming[];
	error?: string;
}

export interface RequestTiming {
	kind: string;
	ms: number;
}

/**
 * A request as a shape, the same for both servers: `GET /{db}/_local/…`, query parameter
 * names only (`_changes?limit&since&style`), never ids or values.
 */
export function requestKind(method: string, url: string): string {
	const u = new URL(url);
	const parts = u.pathname.split('/').slice(1);
	const path = parts
		.map((p, i) => (i === 0 ? (p ? '{db}' : '') : i === 1 && p.startsWith('_') ? p : '…'))
		.join('/');
	const names = [...new Set(u.searchParams.keys())].sort().join('&');
	return `${method} /${path}${names ? `?${names}` : ''}`;
}
