import { GraphQLError } from 'graphql';
import { markPendingChange } from './audit/audit.service.js';
import { RequestContext } from './context.js';
import { UserErrorException } from './user-error.js';

/**
 * A refusal raised by the API's own rules (a user error, or input it cannot read, BAD_USER_INPUT) rather than by
 * PostgreSQL: the transaction is still usable, so the part of a change that raised it can be rolled back alone.
 */
export function isRefusal(error: unknown): error is UserErrorException | GraphQLError {
  return (
    error instanceof UserErrorException ||
    (error instanceof GraphQLError && error.extensions?.code === 'BAD_USER_INPUT')
  );
}

/**
 * Runs `work` as one part of the current change (inside inTransaction), under a SAVEPOINT: when it is refused
 * (`refused`, by default isRefusal), its writes are rolled back to the savepoint and the audit events it queued
 * are dropped, the refusal is rethrown, and the change goes on without it. Any other error (a statement PostgreSQL
 * failed, a lost connection) leaves the transaction to the change, which rolls it back whole (and retries a deadlock).
 * Each part that writes takes a subtransaction id, and PostgreSQL caches 64 per transaction of those not released:
 * a change of up to about 50 parts keeps them (a round trip fewer each: they nest, and end with the change); one of
 * more parts (an import's chunk of rows) passes `release`.
 */
export async function inSavepoint<T>(
  ctx: RequestContext,
  work: () => Promise<T>,
  { refused = isRefusal, release = false }: { refused?: (error: unknown) => boolean; release?: boolean } = {},
): Promise<T> {
  if (!ctx.change) throw new Error('a savepoint is taken inside a change (inTransaction)');
  const dropQueued = markPendingChange(ctx);
  await ctx.db.query('SAVEPOINT part');
  try {
    const done = await work();
    if (release) await ctx.db.query('RELEASE SAVEPOINT part');
    return done;
  } catch (error) {
    if (refused(error)) {
      await ctx.db.query('ROLLBACK TO SAVEPOINT part; RELEASE SAVEPOINT part');
      dropQueued();
      ctx.loaders.clearAll(); // rows read inside may hold what was rolled back
    }
    throw error;
  }
}
