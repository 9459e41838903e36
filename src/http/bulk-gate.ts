import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import { GraphQLError, Kind, valueFromAST, type FieldNode, type OperationDefinitionNode } from 'graphql';
import { BATCH_MUTATIONS } from './list-field-bounds.js';

/** How long a bulk request waits for its turn before it is answered SERVICE_UNAVAILABLE with Retry-After (within the 30 s that clients commonly wait for an answer). */
export const BULK_WAIT_MS = 20_000;
const RETRY_AFTER_SECONDS = 5;

/**
 * Bulk requests (a batch mutation, BATCH_MUTATIONS: `reportLeads` of up to 300 reports; `takeDownListings` of more
 * than 50 listings) hold their database connection for seconds. Unbounded, 10 of them held the whole pool, and every other request (reads, single
 * reports) waited past the pool's timeout and was shed (docs/benchmarks.md, reportLeads300 at 32 and 50
 * connections). At most `slots` run at once per server process (half the pool); the others wait here, in
 * order and without a connection, for up to BULK_WAIT_MS. Runs before the transaction plugin takes a
 * connection (app.ts), and frees the slot when the response is sent.
 */
export function bulkGate(slots: number, waitMs = BULK_WAIT_MS) {
  let running = 0;
  const waiting: Array<() => void> = [];
  // The requests holding a slot (Apollo hands every hook of a request the same request context).
  const held = new WeakSet<object>();

  const release = (requestContext: object) => {
    if (!held.delete(requestContext)) return;
    const next = waiting.shift();
    if (next) next();
    else running -= 1;
  };

  async function admit(requestContext: GraphQLRequestContext<object>): Promise<void> {
    if (!isBulk(requestContext)) return;
    if (running < slots) running += 1;
    else await turn(waiting, waitMs);
    held.add(requestContext);
  }

  const plugin: ApolloServerPlugin<object> = {
    async requestDidStart() {
      return {
        async willSendResponse(requestContext) {
          release(requestContext);
        },
      };
    },
  };
  return { admit, plugin, stats: () => ({ running, waiting: waiting.length }) };
}

/** Waits in `queue` until a slot is handed over (the slot passes to it directly), or refuses after `waitMs`. */
function turn(queue: Array<() => void>, waitMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      queue.splice(queue.indexOf(go), 1);
      reject(
        new GraphQLError(
          `Too many bulk requests are running on this server; nothing was changed. Retry in ${RETRY_AFTER_SECONDS} s.`,
          {
            extensions: {
              code: 'SERVICE_UNAVAILABLE',
              retryAfter: RETRY_AFTER_SECONDS,
              http: { status: 503, headers: new HeaderMap([['retry-after', String(RETRY_AFTER_SECONDS)]]) },
            },
          },
        ),
      );
    }, waitMs);
    const go = () => {
      clearTimeout(timer);
      resolve();
    };
    queue.push(go);
  });
}

/**
 * The root mutation fields that run as bulk requests: when their `input.<list>` holds at least `from` items.
 * A batch mutation always (`reportLeads`); a takedown of more than 50 listings (up to 300, seconds under the
 * audit chain's lock), while a single takedown stays out of the queue.
 */
const BULK_FIELDS: ReadonlyMap<string, { list: string; from: number }> = new Map([
  ...[...BATCH_MUTATIONS].map(([name, { list }]) => [name, { list, from: 1 }] as const),
  ['takeDownListings', { list: 'listingIds', from: 51 }],
]);

/** Whether the operation is a mutation with a bulk field at its root. */
function isBulk({ operation, document, schema, request }: GraphQLRequestContext<object>): boolean {
  if (operation?.operation !== 'mutation' || !document) return false;
  const fragments = new Map(
    document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])),
  );
  const rootFields = (selections: OperationDefinitionNode['selectionSet']['selections'], depth = 0): FieldNode[] =>
    depth > 10
      ? []
      : selections.flatMap((s) => {
          if (s.kind === Kind.FIELD) return [s];
          if (s.kind === Kind.INLINE_FRAGMENT) return rootFields(s.selectionSet.selections, depth + 1);
          const fragment = fragments.get(s.name.value);
          return fragment ? rootFields(fragment.selectionSet.selections, depth + 1) : [];
        });
  const mutations = schema.getMutationType()?.getFields() ?? {};
  return rootFields(operation.selectionSet.selections).some((field) => {
    const bulk = BULK_FIELDS.get(field.name.value);
    if (!bulk) return false;
    if (bulk.from <= 1) return true;
    // The list's length as the field will see it (inline, or from the variables); unreadable input is refused later.
    const node = field.arguments?.find((a) => a.name.value === 'input');
    const type = mutations[field.name.value]?.args.find((a) => a.name === 'input')?.type;
    const input = node && type ? valueFromAST(node.value, type, request.variables ?? {}) : undefined;
    const items = (input as Record<string, unknown> | undefined)?.[bulk.list];
    return Array.isArray(items) && items.length >= bulk.from;
  });
}
