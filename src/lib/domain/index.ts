// The shared domain: schemas and pure rules, imported by the app and the sync-server.
export * from './common.schema';
export * from './reference.schema';
export * from './calendar.schema';
export * from './people.schema';
export * from './roll.schema';
export * from './session.schema';
export * from './records.schema';
export * from './application.schema';
export * from './admin.schema';
export * from './oversight.schema';
export * from './databases';
export * from './documents';
export * from './roll';
export * from './service-hours';
export * from './dates';
export * from './holidays';
export * from './calendar';
