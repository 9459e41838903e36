import { ApolloServerPlugin } from '@apollo/server';
import type { PoolClient, QueryResult } from 'pg';
import { QueryFailedError, QueryRunner } from 'typeorm';
import { Authenticator } from '../modules/principal/principal.service.js';
import { RequestContext } from '../shared/context.js';
import { REVOKED_OR_UNKNOWN, serviceUnavailable, unauthenticated } from '../shared/errors.js';
import { executeBySql } from '../database/prepared-statements.js';
import {
  ChangeConnection,
  NotKeptError,
  OutcomeUnknownError,
  provesNotCommitted,
  sqlStateOf,
} from '../shared/transaction.js';
import { isDatabaseUnavailable } from './format-error.js';

// pg's own conversion of a bound value to its text (what a prepared statement is sent), for `EXECUTE name('...')`.
const { prepareValue } = require('pg/lib/utils') as { prepareValue(value: unknown): string | Buffer | null };

/**
 * Runs each GraphQL operation on one database connection, in transactions with the caller's scope set
 * transaction-locally for the row-level security policies (migrations/*-RowLevelSecurity.ts).
 * `set_config(..., true)` ends with each transaction, so a pooled connection never carries one caller's
 * scope into the next request.
 *
 * The contract (README, "API conventions"): reads run in the request's transaction; each change (a
 * top-level mutation, shared/context.ts inTransaction) commits that transaction, checked, before its
 * payload is read, and the next one opens in the round trip of the next statement, if any (a payload
 * answered from what the change wrote reads nothing, and the request then ends without another round trip).
 * So nothing read or run after a change can undo it, and a statement that fails in a read fails that field
 * alone: the transaction it aborted is ended before the next statement.
 */
export function requestTransactionPlugin(authenticator: Authenticator): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      let connection: RequestConnection | undefined;
      return {
        // After parsing and validation (a malformed request never takes a connection), before execution.
        async didResolveOperation({ contextValue: ctx, operation }) {
          let runner: QueryRunner | undefined;
          try {
            runner = ctx.dataSource.createQueryRunner();
            const client = (await runner.connect()) as PoolClient;
            // A query of one root field: the statement that answers that field whole may end the read transaction.
            const soleRootField =
              operation?.operation === 'query' &&
              operation.selectionSet.selections.length === 1 &&
              operation.selectionSet.selections[0].kind === 'Field';
            connection = new RequestConnection(runner, client, ctx, soleRootField);
          } catch (error) {
            await runner?.release().catch(() => undefined);
            throw isDatabaseUnavailable(error) ? serviceUnavailable() : error;
          }
          let keyValid: boolean;
          try {
            keyValid = await connection.begin();
          } catch (error) {
            await connection.end();
            connection = undefined;
            throw isDatabaseUnavailable(error) ? serviceUnavailable() : error;
          }
          if (!keyValid) {
            // Revoked since the server last authenticated it (Authenticator keeps keys for a minute).
            await connection.end();
            connection = undefined;
            authenticator.forget(ctx.apiKeyHash!);
            throw unauthenticated(REVOKED_OR_UNKNOWN);
          }
          ctx.db = connection.runner.manager;
          ctx.connection = connection;
        },
        async willSendResponse() {
          // Every change was committed where it ran; what is left is the last read transaction.
          const current = connection;
          connection = undefined;
          await current?.end();
        },
      };
    },
  };
}

/**
 * The request's connection. Statements go one after the other (resolvers run side by side and their
 * DataLoader batches would otherwise reach pg at once), each transaction boundary in one round trip.
 */
class RequestConnection implements ChangeConnection {
  changing = false;
  /** Whether a transaction is open: after a COMMIT (a change's, or `finalRead`'s) or a ROLLBACK, the next statement opens one first. */
  private open = false;
  private last: Promise<unknown> = Promise.resolve();
  private readonly scopeSql: string;

  constructor(
    readonly runner: QueryRunner,
    private readonly client: PoolClient,
    private readonly ctx: RequestContext,
    private soleRootField: boolean,
  ) {
    const { scope, principal } = ctx;
    const literal = (value: string | null | undefined) => client.escapeLiteral(value ?? '');
    // Simple-protocol text (several statements, no parameters): the values are the server's own ids, quoted by pg.
    // jit off: the policies' cost estimates put analytics statements over jit_above_cost, and compiling their
    // expressions took 70-200 ms of statements that run in 50-500 ms (docs/benchmarks.md, analytics).
    this.scopeSql = `SELECT set_config('eca.scope', ${literal(scope.kind)}, true), set_config('jit', 'off', true),
           set_config('eca.brand_id', ${literal(scope.kind === 'BRAND' ? scope.brandId : '')}, true),
           set_config('eca.agency_id', ${literal(scope.kind === 'AGENCY' ? scope.agencyId : '')}, true),
           set_config('eca.principal_id', ${literal(principal.rowId)}, true)`;
    const send = runner.query.bind(runner);
    runner.query = ((...args: Parameters<QueryRunner['query']>) =>
      this.enqueue(async () => {
        if (!this.open) await this.reopen();
        return this.read(() => send(...args));
      })) as QueryRunner['query'];
  }

  /**
   * The statement that answers the operation's only root field whole (a compiled selection, selection-sql.ts): sent
   * with the read transaction's COMMIT in one simple query, `EXECUTE name(values); COMMIT` of the statement this
   * connection prepares for that text (PREPARE'd first on its first use), so that the request ends a round trip
   * sooner, and may use a generic plan (below). Any other read is an ordinary one. A statement sent after it (none is expected) opens the next
   * transaction first, with the caller's scope.
   */
  async finalRead(text: string, values: unknown[]): Promise<Record<string, unknown>[]> {
    const literals = this.soleRootField && !this.changing ? values.map((value) => prepareValue(value)) : undefined;
    const execute = literals?.every((value) => !Buffer.isBuffer(value))
      ? executeBySql(
          this.client,
          text,
          literals.map((value) => (value === null ? 'NULL' : this.client.escapeLiteral(value as string))),
        )
      : undefined;
    if (!execute) return this.runner.query(text, values);
    this.soleRootField = false;
    return this.enqueue(async () => {
      if (!this.open) await this.reopen();
      return this.read(async () => {
        try {
          // Its scope is written in as literals (visibility.ts, inlineScope), so a generic plan is not blind to it:
          // PostgreSQL may keep one (plan_cache_mode auto) instead of planning every execution (the connections' default).
          const results = await this.send(`SET LOCAL plan_cache_mode = auto;\n${execute.sql};\nCOMMIT`);
          execute.settle(true);
          this.open = false;
          return results[results.length - 2].rows;
        } catch (error) {
          // Whether the PREPARE ran before the failure, asked once the aborted transaction is ended.
          if (execute.prepares && !this.runner.isReleased) {
            const check = await this.send(
              `ROLLBACK; SELECT EXISTS (SELECT 1 FROM pg_prepared_statements WHERE name = '${execute.name}') AS prepared`,
            ).catch(() => undefined);
            if (check) {
              this.open = false;
              execute.settle(Boolean(check[check.length - 1].rows[0].prepared));
            }
          }
          // As TypeORM's query runner reports a failed statement.
          throw new QueryFailedError(text, values, error as Error);
        }
      });
    });
  }

  /**
   * Opens the first transaction in one round trip: BEGIN, the caller's scope, and a check that the caller's
   * API key is still valid. TypeORM is told the transaction is open, so that its writes stay inside it.
   */
  async begin(): Promise<boolean> {
    const keyHash = this.ctx.apiKeyHash;
    const keyValid =
      keyHash === null
        ? 'true'
        : `EXISTS (SELECT 1 FROM api_key WHERE token_hash = ${this.client.escapeLiteral(keyHash)} AND revoked_at IS NULL)`;
    const results = await this.enqueue(() =>
      this.send(`START TRANSACTION; ${this.scopeSql}, ${keyValid} AS key_valid`),
    );
    this.open = true;
    Object.assign(this.runner, { isTransactionActive: true, transactionDepth: 1 });
    return (results[1] as QueryResult<{ key_valid: boolean }>).rows[0].key_valid;
  }

  commit(statements: readonly string[] = []): Promise<void> {
    return this.enqueue(async () => {
      let results: QueryResult[];
      try {
        results = await this.send(`${statements.map((statement) => `${statement};\n`).join('')}COMMIT`);
        this.open = false;
      } catch (error) {
        // A statement sent before the COMMIT failed: PostgreSQL stopped the query there, the change's transaction
        // is open and aborted, nothing was committed. The change failed as at any of its statements.
        if (statements.length && (await this.failedBeforeCommit(error))) throw error;
        if (provesNotCommitted(error)) throw new NotKeptError('PostgreSQL refused to commit the change', error);
        this.discard(error);
        throw new OutcomeUnknownError(error);
      }
      // node-postgres does not throw for the COMMIT of a failed transaction: PostgreSQL answers ROLLBACK.
      const answer = results[results.length - 1].command;
      if (answer !== 'COMMIT') throw new NotKeptError(`PostgreSQL answered ${answer} to COMMIT`);
    });
  }

  /**
   * Whether PostgreSQL answered `error` with the change's transaction still open and aborted ('E'): to a statement
   * before the COMMIT. An interruption (class 57: a cancel, a shutdown) may be reported for the COMMIT itself,
   * which is left unknown.
   * pg rejects the query at PostgreSQL's ErrorResponse, before the ReadyForQuery that carries the transaction
   * status (it may come in a later packet): an empty query, which PostgreSQL answers even in an aborted
   * transaction, waits for it.
   */
  private async failedBeforeCommit(error: unknown): Promise<boolean> {
    const state = sqlStateOf(error);
    if (this.runner.isReleased || state === undefined || state.startsWith('57')) return false;
    try {
      await this.client.query('');
    } catch {
      return false;
    }
    return this.client.getTransactionStatus() === 'E';
  }

  rollback(): Promise<void> {
    return this.enqueue(() => this.restart());
  }

  /** Ends the request: its last transaction (reads only), if one is open, committed, the connection given back. */
  async end(): Promise<void> {
    await this.enqueue(async () => {
      if (this.open) await this.send('COMMIT');
    }).catch(() => undefined);
    await this.runner.release().catch(() => undefined);
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.last.then(work);
    this.last = next.catch(() => undefined);
    return next;
  }

  /** One simple-protocol query on the pg client, counted as a statement like every other. */
  private async send(sql: string): Promise<QueryResult[]> {
    if (this.runner.isReleased) throw new Error('Connection terminated: the request connection was discarded');
    this.ctx.dataSource.logger.logQuery(sql, undefined, this.runner);
    try {
      const result = (await this.client.query(sql)) as unknown as QueryResult | QueryResult[];
      return Array.isArray(result) ? result : [result];
    } catch (error) {
      this.discardIfBroken(error);
      throw error;
    }
  }

  /**
   * A read statement. When it fails in PostgreSQL, its transaction is aborted: outside a change, it is rolled
   * back at once and the next statement opens another, so that the failure stays this field's.
   */
  private async read<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (error) {
      if (!this.discardIfBroken(error) && !this.changing) await this.restart().catch(() => undefined);
      throw error;
    }
  }

  /** Ends the current transaction, if one is open; the next statement opens another. */
  private async restart(): Promise<void> {
    if (!this.open) return;
    await this.send('ROLLBACK');
    this.open = false;
  }

  /** Opens the request's next transaction with the caller's scope (the next statement's first round trip). */
  private async reopen(): Promise<void> {
    await this.send(`START TRANSACTION; ${this.scopeSql}`);
    this.open = true;
  }

  /**
   * Gives up a connection that broke or stopped answering (the client-side query timeout): the pool
   * closes it instead of lending it again, and every later statement of the request fails at once.
   */
  private discardIfBroken(error: unknown): boolean {
    // A PostgreSQL error (with a SQLSTATE) leaves the connection usable; anything else, or a lost server, does not.
    const broken = !sqlStateOf(error) || isDatabaseUnavailable(error);
    if (broken) this.discard(error);
    return broken;
  }

  private discard(error: unknown): void {
    if (this.runner.isReleased) return;
    void (
      this.runner as unknown as { releasePostgresConnection(error: unknown): Promise<void> }
    ).releasePostgresConnection(error ?? new Error('discarded'));
  }
}
