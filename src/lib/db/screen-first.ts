// The screen first, then the background. A tap's mark goes into the PouchDB replica and
// then the read model, and the screen re-reads it; but the replica's write also wakes
// its live changes feeds (the projector's, the push's), and each reads the new document
// at once and then sends it to the server. On the same main thread and the same
// IndexedDB backend those reads and requests ran in the middle of the tap's own
// transaction and the screen's re-read, and made a tap take twice as long to show
// (README, Benchmarks). While a local write is being shown, those background reads and
// requests wait their turn: until the write's read model has committed and two frames
// have been drawn (the screen has re-read and rendered it), at most `MAX_WAIT_MS`.
// Invariants:
//  - only reads and requests that nothing on the write's own path awaits are held (see
//    pouch.ts), so a hold always ends;
//  - a hold ends at most `MAX_WAIT_MS` after its write is in the read model (a hidden
//    tab draws no frames), and once the first of a run of overlapping writes is in the
//    read model, background work waits at most `MAX_HOLD_MS` more however many follow;
//  - without a screen (Node, tests of the data layer) nothing is held.

/** After its write is in the read model, a hold lasts at most this long (no frames). */
const MAX_WAIT_MS = 100;
/** Once a write is shown, background work waits at most this long more for later ones. */
const MAX_HOLD_MS = 500;

let holds = 0;
/** When the first write of the current hold was released (0: none yet). */
let shownAt = 0;
let turn: { promise: Promise<void>; open: () => void } | null = null;

const hasScreen = () =>
	typeof requestAnimationFrame === 'function' && typeof document !== 'undefined';

/**
 * Marks a local write that the screen is about to show. Call the returned function once
 * the write is in the read model; background work goes on after the next two frames.
 */
export function holdBackground(): () => void {
	if (!hasScreen()) return () => {};
	if (holds++ === 0) {
		shownAt = 0;
		let open!: () => void;
		const promise = new Promise<void>((resolve) => (open = resolve));
		turn = { promise, open };
	}
	let released = false;
	return () => {
		if (released) return;
		released = true;
		shownAt ||= performance.now();
		afterTwoFrames(() => {
			if (--holds > 0) return;
			const t = turn;
			turn = null;
			t?.open();
		});
	};
}

/**
 * `null` when background work may go on now; otherwise a promise that resolves when it
 * may (callers wait for it only when it is not `null`, so an idle app adds no delay).
 */
export function backgroundTurn(): Promise<void> | null {
	if (!turn) return null;
	if (shownAt && performance.now() - shownAt > MAX_HOLD_MS) return null;
	return turn.promise;
}

function afterTwoFrames(done: () => void): void {
	let called = false;
	const once = () => {
		if (called) return;
		called = true;
		clearTimeout(timer);
		done();
	};
	const timer = setTimeout(once, MAX_WAIT_MS);
	requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(once, 0)));
}
