// What the sync screens read: this device's records the server has not yet confirmed.
import { Live } from '$lib/db/live.svelte';
import { localStore } from '$lib/db/local-store';

export const outboxLive = () => new Live(() => localStore.outboxRows());
