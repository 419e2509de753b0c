// Browser globals for the app's data layer in Node. Import this FIRST (ES modules evaluate
// in import order): PouchDB's browser build reads `self` and `navigator` when it loads, and
// its indexeddb adapter and Dexie use the global `indexedDB`, here fake-indexeddb.
import 'fake-indexeddb/auto';

const g = globalThis as unknown as Record<string, unknown>;
g.self ??= globalThis;
g.navigator ??= { userAgent: 'node', onLine: true };
