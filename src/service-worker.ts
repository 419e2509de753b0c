// The service worker (DESIGN.md decision 6): precaches the app shell so the app opens
// with no network, deep links included; it never touches replication or API requests.
// A new version waits until the page asks it to take over (workbox-window, on consent).
import { build, files, version } from '$service-worker';
import { clientsClaim } from 'workbox-core';
import {
	createHandlerBoundToURL,
	precacheAndRoute,
	cleanupOutdatedCaches
} from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';

declare const self: ServiceWorkerGlobalScope;

const SHELL = '/index.html';

precacheAndRoute(
	[
		// Hashed build output is immutable: its URL is its revision.
		...build.map((url) => ({ url, revision: null })),
		...files.map((url) => ({ url, revision: version })),
		{ url: SHELL, revision: version }
	],
	// Not `/` → `/index.html`: a `fetch('/')` is the server's CouchDB welcome, which PouchDB
	// reads for a replication's id (the shell there made it fall back to another id). A
	// navigation to `/` gets the shell from the navigation route below.
	{ directoryIndex: '' }
);
cleanupOutdatedCaches();

// Every in-app navigation gets the shell; the SPA router takes it from there. Only
// HTML navigations match, so CouchDB API requests (JSON) always go to the network.
registerRoute(
	new NavigationRoute(createHandlerBoundToURL(SHELL), {
		denylist: [/^\/_/, /\/[^/]+\.[a-z0-9]+$/i]
	})
);

// The first worker takes the open page at once, so that it works offline from the first
// visit; later versions take over only through SKIP_WAITING, after the user agrees.
clientsClaim();

self.addEventListener('message', (event) => {
	if ((event.data as { type?: string } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});
