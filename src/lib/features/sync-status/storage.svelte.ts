// Watches the device's storage (DESIGN.md decision 5): asks for persistence once and
// warns before the quota runs out, so unsent records are never evicted silently.
const LOW = 0.9;
const EVERY_MS = 5 * 60_000;

class StorageWatch {
	usage = $state<number | null>(null);
	quota = $state<number | null>(null);
	persisted = $state<boolean | null>(null);
	#timer: ReturnType<typeof setInterval> | undefined;

	get percent(): number | null {
		return this.usage !== null && this.quota ? Math.round((this.usage / this.quota) * 100) : null;
	}

	get low(): boolean {
		return this.usage !== null && !!this.quota && this.usage / this.quota >= LOW;
	}

	async start() {
		const storage = typeof navigator === 'undefined' ? undefined : navigator.storage;
		if (!storage) return;
		this.persisted = (await storage.persisted?.().catch(() => false)) ?? null;
		if (!this.persisted) this.persisted = (await storage.persist?.().catch(() => false)) ?? null;
		await this.check();
		clearInterval(this.#timer);
		this.#timer = setInterval(() => void this.check(), EVERY_MS);
	}

	async check() {
		const estimate = await navigator.storage?.estimate?.().catch(() => null);
		if (!estimate) return;
		this.usage = estimate.usage ?? null;
		this.quota = estimate.quota ?? null;
	}
}

export const storageWatch = new StorageWatch();
