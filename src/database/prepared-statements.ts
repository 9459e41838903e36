import { createHash } from 'node:crypto';
import { escapeIdentifier, type ClientBase } from 'pg';

/**
 * Distinct statements prepared per connection; further ones are sent unnamed (planned each time). A cached
 * plan of a statement under row-level security can take tens of kB of the backend's memory: keep it bounded.
 */
export const MAX_PREPARED_PER_CONNECTION = 200;

/** The name a statement's text is prepared under on every connection. */
export const statementName = (text: string): string => `eca_${createHash('sha1').update(text).digest('base64url')}`;

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
  preparedNames.set(client, prepared);
  client.query = ((text: unknown, values?: unknown, ...rest: unknown[]) => {
    if (typeof text !== 'string' || !Array.isArray(values) || rest.length > 0) return send(text, values, ...rest);
    const name = statementName(text);
    if (!prepared.has(name)) {
      if (prepared.size >= MAX_PREPARED_PER_CONNECTION) return send(text, values);
      prepared.add(name);
    }
    return send({ name, text, values });
  }) as ClientBase['query'];
}

/** The names each connection prepares (or has prepared), counted against MAX_PREPARED_PER_CONNECTION. */
const preparedNames = new WeakMap<ClientBase, Set<string>>();

/** What pg knows of the statements PostgreSQL has prepared on a connection (pg skips their Parse). */
const parsedStatements = (client: ClientBase) =>
  (client as unknown as { connection: { parsedStatements: Record<string, string> } }).connection.parsedStatements;

/**
 * `text` as SQL that runs it with `args` (SQL literals) inside a simple query of several statements: `EXECUTE`
 * of this connection's prepared statement, preceded by its `PREPARE` when the connection has not prepared it yet
 * (the same statement, under the same name, that pg would have prepared). `settle(prepared)` tells pg whether
 * PostgreSQL now holds it: true once the query succeeded; after a failure, what pg_prepared_statements says
 * (PREPARE outlives a rolled-back transaction). Undefined when the connection prepares no more statements.
 */
export function executeBySql(
  client: ClientBase,
  text: string,
  args: readonly string[],
): { name: string; prepares: boolean; sql: string; settle(prepared: boolean): void } | undefined {
  const names = preparedNames.get(client);
  const name = statementName(text);
  const prepares = parsedStatements(client)[name] !== text;
  if (!names || (prepares && (names.has(name) || names.size >= MAX_PREPARED_PER_CONNECTION))) return undefined;
  return {
    name,
    prepares,
    // Quoted: the name is case-sensitive and base64url ('-').
    sql: `${prepares ? `PREPARE ${escapeIdentifier(name)} AS ${text};\n` : ''}EXECUTE ${escapeIdentifier(name)}${args.length ? `(${args.join(', ')})` : ''}`,
    settle: (isPrepared) => {
      if (!prepares || !isPrepared) return;
      names.add(name);
      parsedStatements(client)[name] = text;
    },
  };
}
