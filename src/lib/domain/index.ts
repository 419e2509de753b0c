// The shared domain: schemas and pure rules, imported by the app and the sync-server.
export * from './common.schema';
export * from './reference.schema';
export * from './roll.schema';
export * from './databases';
export * from './documents';
export * from './roll';
