import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The contract between a change and the connection it runs on (README, "API conventions": what a client
 * may conclude from each answer). The request's connection (http/request-transaction.ts) implements it:
 * a change runs in a transaction of its own and is committed before anything else of the request runs.
 */
export interface ChangeConnection {
  /** True while a change runs: a failed statement is then the change's to handle, not a reader's. */
  changing: boolean;
  /**
   * COMMIT, checked: resolves only when PostgreSQL answered COMMIT. Throws NotKeptError when it answered
   * ROLLBACK or refused the commit, and OutcomeUnknownError when no answer came (the connection broke).
   * `statements` (PendingChange.withCommit) are sent just before it, in the same round trip; the request's
   * next transaction is opened by its next statement.
   */
  commit(statements?: readonly string[]): Promise<void>;
  /** ROLLBACK; the request's next transaction is opened by its next statement. */
  rollback(): Promise<void>;
  /**
   * A read that answers a root field whole (its selection compiled into this one statement): when that field is
   * the operation's only one, the request's read transaction may be committed in the same round trip.
   */
  finalRead?(text: string, values: unknown[]): Promise<Record<string, unknown>[]>;
}

/** What a change writes last: its audit events and what must follow them under the chain's lock. */
export interface PendingChange {
  /** Work queued for just before COMMIT, in order (the audit chain's lock and head; see audit.service.ts). */
  beforeCommit: (() => Promise<void>)[];
  /**
   * Statements sent in the COMMIT's own round trip, just before it, in order: SQL text without parameters
   * (values quoted), what must be written while the audit chain's lock is held (its events, the sync feed),
   * so that the lock is held for as few round trips as possible.
   */
  withCommit: string[];
}

/** The change was not committed, and PostgreSQL said so: nothing of it was kept. */
export class NotKeptError extends Error {
  constructor(
    message: string,
    readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** COMMIT was sent (or about to be) and no answer came: the change may or may not have been kept. */
export class OutcomeUnknownError extends Error {
  constructor(readonly cause: unknown) {
    super('The connection to the database failed while the change was being committed.');
  }
}

/** The SQLSTATE of a PostgreSQL error, through TypeORM's wrapper; undefined for anything else. */
export function sqlStateOf(error: unknown): string | undefined {
  const e = error as { driverError?: { code?: unknown }; code?: unknown } | null;
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Deadlock (40P01) and serialization failure (40001): PostgreSQL undid the whole transaction; it is safe to run again. */
export function isTransientConflict(error: unknown): boolean {
  const state = sqlStateOf(error);
  return state === '40P01' || state === '40001';
}

/**
 * Errors PostgreSQL answered to COMMIT that prove it did not commit: the transaction had failed (class 25),
 * a deferred constraint (23) or a serialization check (40) refused it, or a value was refused (22).
 * Anything else at COMMIT (a broken connection, a timeout, a shutdown) leaves the outcome unknown.
 */
export function provesNotCommitted(error: unknown): boolean {
  const state = sqlStateOf(error);
  return state !== undefined && ['22', '23', '25', '40'].includes(state.slice(0, 2));
}

export const CHANGE_ATTEMPTS = 4;

/** Waits before attempt `attempt + 1` of a change: exponential with full jitter (10, 20, 40 ms ceilings). */
export function backoff(attempt: number): Promise<void> {
  return sleep(Math.floor(Math.random() * 10 * 2 ** (attempt - 1)));
}
