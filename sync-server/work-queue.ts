// Admission control for the heavy document requests (`_bulk_docs`, `_bulk_get`,
// `_revs_diff`): at most `limit` run at once, the others wait in arrival order before their
// body is read (it stays in the socket meanwhile). A room of tablets starting together then
// costs the memory of `limit` batches in flight, not of every tablet's batch at once, and
// the batches that run finish sooner. A slot is held while the body arrives; a body that
// stops arriving gives it up after the body timeout (http-util.ts `readBody`, 408).
export class WorkQueue {
	private running = 0;
	private readonly waiting: Array<() => void> = [];

	constructor(readonly limit: number) {}

	/** Requests holding a slot and requests waiting for one. */
	get load(): { running: number; waiting: number } {
		return { running: this.running, waiting: this.waiting.length };
	}

	async run<T>(fn: () => Promise<T>): Promise<T> {
		if (this.running >= this.limit) {
			await new Promise<void>((resolve) => this.waiting.push(resolve));
		} else {
			this.running++;
		}
		try {
			return await fn();
		} finally {
			// The slot passes straight to the next waiter, if any.
			const next = this.waiting.shift();
			if (next) next();
			else this.running--;
		}
	}
}
