// The entity list lives in src/database/entities.ts (the data source's); this path is kept for the tests that import it.
export * from './database/entities.js';
