// The transport shared by the typed example clients: @urql/core over fetch (no cache, no React), typed by
// the documents that `npm run codegen` generates into examples/generated/, with the API's retry rules.
import fs from 'node:fs';
import {
  Client,
  fetchExchange,
  type AnyVariables,
  type CombinedError,
  type OperationResult,
  type TypedDocumentNode,
} from '@urql/core';

export interface ApiClientOptions {
  /** The GraphQL endpoint, e.g. http://localhost:4000/graphql. */
  url: string;
  /** An API key (sent as `Authorization: Bearer <token>`). */
  token: string;
  /** Another fetch (tests put a faulty network in between); the global fetch by default. */
  fetch?: typeof fetch;
  /** How many times an operation is sent at most, the first included (default 5). */
  maxAttempts?: number;
  /** The longest wait between two attempts (default 10 s); a `Retry-After` longer than this is cut to it. */
  maxDelayMs?: number;
  /** How to wait (tests wait less). */
  sleep?: (ms: number) => Promise<void>;
  /** Told of every retry. */
  onRetry?: (retry: { operation: string; attempt: number; reason: string; delayMs: number }) => void;
}

/** An operation that failed for good: its error codes and the HTTP status of the last answer. */
export class ApiError extends Error {
  constructor(
    readonly operation: string,
    readonly codes: string[],
    readonly status: number | undefined,
    message: string,
  ) {
    super(`${operation}: ${message}`);
    this.name = 'ApiError';
  }
}

/** A mutation refused with user errors: nothing of it was kept. */
export class UserErrorsError extends Error {
  constructor(
    readonly operation: string,
    readonly userErrors: { field: string[] | null; message: string; code: string }[],
  ) {
    super(`${operation} refused: ${userErrors.map((e) => `${e.code} ${e.message}`).join('; ')}`);
    this.name = 'UserErrorsError';
  }
}

// Answers after which nothing of the operation was kept: always safe to send again.
const NOTHING_KEPT = new Set(['SERVICE_UNAVAILABLE', 'RATE_LIMITED']);
// The change may or may not have been kept: safe to send again only with the same idempotencyKey.
const OUTCOME_UNKNOWN = 'OUTCOME_UNKNOWN';

const codesOf = (error: CombinedError): string[] =>
  error.graphQLErrors.map((e) => String(e.extensions?.code ?? 'UNKNOWN'));

const statusOf = (error: CombinedError): number | undefined => (error.response as Response | undefined)?.status;

function retryAfterMs(error: CombinedError): number | undefined {
  const header = (error.response as Response | undefined)?.headers?.get('retry-after');
  const seconds = header ? Number(header) : NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

function operationName(document: TypedDocumentNode<any, any>): string {
  for (const definition of document.definitions) {
    if (definition.kind === 'OperationDefinition') return definition.name?.value ?? 'anonymous';
  }
  return 'anonymous';
}

/** Whether a mutation's variables carry an idempotency key (`input.idempotencyKey`). */
function hasIdempotencyKey(variables: unknown): boolean {
  const input = (variables as { input?: { idempotencyKey?: unknown } } | undefined)?.input;
  return typeof input?.idempotencyKey === 'string' && input.idempotencyKey.length > 0;
}

export interface ApiClient {
  /** Runs a query; retries what the API says may be retried; throws ApiError on any other error. */
  query<Data, Variables extends AnyVariables>(
    document: TypedDocumentNode<Data, Variables>,
    variables: Variables,
  ): Promise<Data>;
  /**
   * Runs a mutation. With an `input.idempotencyKey`, an answer whose outcome is unknown (HTTP 503
   * OUTCOME_UNKNOWN, or no answer at all) is retried with the same variables, hence the same key: the
   * API answers the first result instead of doing the change twice. Without a key it is not retried.
   */
  mutate<Data, Variables extends AnyVariables>(
    document: TypedDocumentNode<Data, Variables>,
    variables: Variables,
  ): Promise<Data>;
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const client = new Client({
    url: options.url,
    exchanges: [fetchExchange],
    // POST always: the server refuses GET (CSRF prevention), and variables stay out of URLs and logs.
    preferGetMethod: false,
    requestPolicy: 'network-only',
    fetch: options.fetch,
    fetchOptions: { headers: { authorization: `Bearer ${options.token}` } },
  });
  const maxAttempts = options.maxAttempts ?? 5;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  async function run<Data, Variables extends AnyVariables>(
    kind: 'query' | 'mutation',
    document: TypedDocumentNode<Data, Variables>,
    variables: Variables,
  ): Promise<Data> {
    const name = operationName(document);
    const keyed = kind === 'query' || hasIdempotencyKey(variables);
    for (let attempt = 1; ; attempt++) {
      const result: OperationResult<Data, Variables> =
        kind === 'query'
          ? await client.query(document, variables).toPromise()
          : await client.mutation(document, variables).toPromise();
      const error = result.error;
      if (!error) return result.data as Data;

      const codes = codesOf(error);
      const status = statusOf(error);
      let reason: string | undefined;
      if (error.networkError && !error.graphQLErrors.length) {
        // No GraphQL answer (the connection failed, or a proxy answered): for a change, its outcome is unknown.
        if (keyed) reason = `no answer (${error.networkError.message})`;
      } else if (codes.every((code) => NOTHING_KEPT.has(code))) {
        reason = codes.join(', ');
      } else if (codes.every((code) => NOTHING_KEPT.has(code) || code === OUTCOME_UNKNOWN) && keyed) {
        reason = codes.join(', ');
      }
      if (!reason || attempt >= maxAttempts) {
        const unknown =
          kind === 'mutation' &&
          !keyed &&
          (codes.includes(OUTCOME_UNKNOWN) || (error.networkError && !error.graphQLErrors.length));
        throw new ApiError(
          name,
          codes,
          status,
          unknown
            ? `${error.message} (sent without an idempotencyKey: read the record to learn whether the change was kept)`
            : error.message,
        );
      }
      const backoff = Math.min(200 * 2 ** (attempt - 1), 5_000);
      const delayMs = Math.min(retryAfterMs(error) ?? backoff, maxDelayMs);
      options.onRetry?.({ operation: name, attempt, reason, delayMs });
      await sleep(delayMs);
    }
  }

  return {
    query: (document, variables) => run('query', document, variables),
    mutate: (document, variables) => run('mutation', document, variables),
  };
}

/** One page of a connection: its nodes and where it stands. */
export interface Page<Node> {
  nodes: Node[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/**
 * Follows a connection to its end: asks for the page after `after` (null: the first), then for the page
 * after each page's `endCursor` while `hasNextPage`. Returns every node, the number of pages and the last
 * `endCursor` (keep it to resume later, for a feed such as referralChanges).
 */
export async function paginate<Node>(
  fetchPage: (after: string | null) => Promise<Page<Node>>,
  after: string | null = null,
): Promise<{ nodes: Node[]; pages: number; endCursor: string | null }> {
  const nodes: Node[] = [];
  let pages = 0;
  let cursor = after;
  for (;;) {
    const page = await fetchPage(cursor);
    pages++;
    nodes.push(...page.nodes);
    if (page.pageInfo.endCursor) cursor = page.pageInfo.endCursor;
    if (!page.pageInfo.hasNextPage) return { nodes, pages, endCursor: cursor };
    if (!page.pageInfo.endCursor) throw new Error('a page with hasNextPage but no endCursor');
  }
}

/** A root field that answered null: the API names the reason in an error, which `query` already threw. */
export function present<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`${what}: no answer`);
  return value;
}

/** The payload of a mutation that must have succeeded: throws UserErrorsError on user errors. */
export function accepted<Payload extends { userErrors: { field: string[] | null; message: string; code: string }[] }>(
  operation: string,
  payload: Payload | null | undefined,
): Payload {
  const answered = present(payload, operation);
  if (answered.userErrors.length) throw new UserErrorsError(operation, answered.userErrors);
  return answered;
}

/** Where the command-line clients find the API and their key: API_URL, $<ROLE>_KEY or the demo keys. */
export function commandLineSettings(role: 'BRAND_PARTNER' | 'AGENCY_LIAISON' | 'ANALYST'): {
  url: string;
  token: string;
} {
  const url = process.env.API_URL ?? 'http://localhost:4000/graphql';
  const fromEnv = process.env[`${role}_KEY`];
  if (fromEnv) return { url, token: fromEnv };
  const file = process.env.DEMO_KEYS_FILE ?? '.demo-keys.txt';
  const line = fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .find((l) => l.startsWith(`${role} `))
    : undefined;
  if (!line) throw new Error(`no ${role} key: set ${role}_KEY, or start the demo with npm start (it writes ${file})`);
  return { url, token: line.split(/\s+/)[1] };
}
