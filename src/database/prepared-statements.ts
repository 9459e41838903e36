import { createHash } from 'node:crypto';
import type { ClientBase } from 'pg';

/**
 * Distinct statements prepared per connection; further ones are sent unnamed (planned each time). A cached
 * plan of a statement under row-level security can take tens of kB of the backend's memory: keep it bounded.
 */
export const MAX_PREPARED_PER_CONNECTION = 200;

/**
 * Makes a new pooled connection send every statement given a values array (even an empty one: TypeORM's, and
 * the compiled selections' of src/shared/data-access/selection-sql.ts) as a named prepared statement (the name
 * is a hash of its text), so that pg parses it once per connection and PostgreSQL can reuse its plan: always
 * for a statement without parameters, whatever plan_cache_mode says. Text sent without values (the request's
 * transaction boundaries, several statements in one) stays a simple query.
 * Planning is a large part of this API's database time: row-level security expands every table into its
 * policy, and a case list's statements took 0.6-3 ms each to plan and 0-5 ms to run (docs/benchmarks.md).
 * The texts are stable because lists are bound as one array (`= ANY($1)`), never spliced as `IN ($1, $2, ...)`.
 */
export function prepareParameterisedStatements(client: ClientBase): void {
  const send = client.query.bind(client) as (...args: unknown[]) => unknown;
  const prepared = new Set<string>();
  client.query = ((text: unknown, values?: unknown, ...rest: unknown[]) => {
    if (typeof text !== 'string' || !Array.isArray(values) || rest.length > 0) return send(text, values, ...rest);
    const name = `eca_${createHash('sha1').update(text).digest('base64url')}`;
    if (!prepared.has(name)) {
      if (prepared.size >= MAX_PREPARED_PER_CONNECTION) return send(text, values);
      prepared.add(name);
    }
    return send({ name, text, values });
  }) as ClientBase['query'];
}
