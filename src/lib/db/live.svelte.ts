// Live queries: a Dexie `liveQuery` brought into Svelte through `createSubscriber`, so
// the value is fetched only while something on screen reads it (CONVENTIONS.md habit 2).
import { liveQuery } from 'dexie';
import { createSubscriber } from 'svelte/reactivity';

export class Live<T> {
	#value: T | undefined = undefined;
	#error: unknown = undefined;
	#loaded = false;
	#subscribe: () => void;

	constructor(query: () => Promise<T>) {
		this.#subscribe = createSubscriber((update) => {
			const sub = liveQuery(query).subscribe({
				next: (v) => {
					this.#value = v;
					this.#loaded = true;
					this.#error = undefined;
					update();
				},
				error: (e: unknown) => {
					this.#error = e;
					update();
				}
			});
			return () => sub.unsubscribe();
		});
	}

	/** The latest result, or `undefined` until the first one arrives. */
	get current(): T | undefined {
		this.#subscribe();
		return this.#value;
	}

	get loaded(): boolean {
		this.#subscribe();
		return this.#loaded;
	}

	get error(): unknown {
		this.#subscribe();
		return this.#error;
	}
}
