// Retry delays for replication: exponential with full jitter, capped, so that a room
// of tablets coming back online does not hit the server in lockstep.
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
	const base = 1_000;
	const cap = 60_000;
	const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt));
	return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Classifies a replication error: sign in again, a too-large request, or try later. */
export function classifyError(err: unknown): 'auth' | 'too-large' | 'retry' {
	const status = typeof err === 'object' && err && 'status' in err ? Number(err.status) : 0;
	if (status === 401 || status === 403) return 'auth';
	if (status === 413) return 'too-large';
	return 'retry';
}
