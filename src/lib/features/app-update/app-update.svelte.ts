// Service-worker registration through workbox-window (DESIGN.md decision 6): a new
// version waits until the user agrees, then takes over and the page reloads once.
import { Workbox } from 'workbox-window';

class AppUpdate {
	ready = $state(false);
	#wb: Workbox | null = null;

	async register() {
		if (typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return;
		const wb = new Workbox('/service-worker.js', { type: 'module' });
		this.#wb = wb;
		wb.addEventListener('waiting', () => {
			this.ready = true;
		});
		try {
			await wb.register();
		} catch (e) {
			console.warn('service worker registration failed', e);
		}
		// A tablet can stay on one screen all afternoon: look for a new version whenever it
		// comes back online or to the foreground, and every hour, not only on a page load.
		const check = () => void this.check().catch(() => undefined);
		window.addEventListener('online', check);
		document.addEventListener('visibilitychange', () => {
			if (document.visibilityState === 'visible') check();
		});
		setInterval(check, 60 * 60_000);
	}

	/** Checks the server for a new service worker (also done by the browser on navigation). */
	async check() {
		await this.#wb?.update();
	}

	/** The user agreed: the waiting worker takes over and the page reloads once. */
	async accept() {
		const sw = navigator.serviceWorker;
		let reloading = false;
		const reload = () => {
			if (reloading) return;
			reloading = true;
			window.location.reload();
		};
		// `controllerchange` also fires for a worker that was already waiting when this page
		// loaded (workbox-window's own `controlling` event does not cover that case).
		sw.addEventListener('controllerchange', reload, { once: true });
		// Ask the waiting worker to take over; ask again while it has not (a browser may stop
		// an idle worker and lose a message in flight; asking twice is harmless).
		for (let attempt = 0; attempt < 20 && !reloading; attempt++) {
			const reg = await sw.getRegistration();
			const next = reg?.waiting ?? reg?.installing;
			if (next) next.postMessage({ type: 'SKIP_WAITING' });
			else if (reg?.active && reg.active !== sw.controller) reload();
			await new Promise((r) => setTimeout(r, 1500));
		}
	}

	dismiss() {
		this.ready = false;
	}
}

export const appUpdate = new AppUpdate();
