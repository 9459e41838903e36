// The schema is built in src/http/schema.ts; this path is kept for the tests that import it.
export * from './http/schema.js';
