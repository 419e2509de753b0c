// Who is signed in on this device, and the start-up sequence that follows: open the
// user's replicas, then replicate them live. Works offline from the stored user.
import { localStore, onStorageError } from '$lib/db/local-store';
import { syncManager } from '$lib/sync/sync-manager.svelte';
import {
	checkSession,
	loadStoredUser,
	signIn,
	signOut,
	type SessionUser
} from './session.repository';

export type SessionStatus = 'loading' | 'signed-out' | 'signed-in';

class Session {
	status = $state<SessionStatus>('loading');
	user = $state.raw<SessionUser | null>(null);
	storageError = $state<string | null>(null);

	async init() {
		onStorageError((m) => (this.storageError = m));
		// Roles and classes can change on the server: look again whenever the network returns.
		window.addEventListener('online', () => void this.refresh());
		try {
			const stored = await loadStoredUser();
			if (!stored) {
				this.status = 'signed-out';
				return;
			}
			await this.#enter(stored);
			await this.refresh();
		} catch (e) {
			this.storageError = e instanceof Error ? e.message : String(e);
			this.status = 'signed-out';
		}
	}

	/** Asks the server who we are now; follows changed classes, flags an expired session. */
	async refresh() {
		const current = this.user;
		if (!current) return;
		const fresh = await checkSession();
		if (fresh === 'expired') syncManager.needsSignIn = true;
		else if (fresh !== 'unreachable' && fresh.databases.join() !== current.databases.join()) {
			await this.#enter(fresh);
		}
	}

	async signIn(name: string, password: string) {
		const user = await signIn(name, password);
		await this.#enter(user);
	}

	/** Returns the number of unsent records that prevented signing out (0 = done). */
	async signOut(): Promise<number> {
		const user = this.user;
		syncManager.stopAll();
		const left = await signOut();
		if (left > 0) {
			if (user) syncManager.start(user.databases, location.origin);
			return left;
		}
		this.user = null;
		this.status = 'signed-out';
		return 0;
	}

	async #enter(user: SessionUser) {
		await localStore.open(user.databases);
		this.user = user;
		this.status = 'signed-in';
		syncManager.start(user.databases, location.origin);
	}
}

export const session = new Session();
