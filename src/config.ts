// The configuration lives in src/shared/config.ts (shared code reads it); this path is kept for the tests and
// scripts that import it.
export * from './shared/config.js';
