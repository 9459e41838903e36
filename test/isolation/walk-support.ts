import type { CallerName } from './oracle';
import type { Finding, Stats } from './response-check';
import type { TestServer } from '../support/server';

/** Helpers of the generated isolation walk (generated-isolation.test.ts): requests and the per-caller report. */

export interface CallerReport {
  caller: CallerName;
  requests: number;
  paths: number;
  selections: number;
  rootFields: number;
  refusedRootFields: string[];
  stats: Stats;
  findings: Finding[];
  inScope: number;
  outOfScope: number;
  allowed: Set<string>;
  forbiddenStrings: number;
}

/** `work` over `items`, at most `size` at a time, the results in order. */
export async function pool<T, R>(items: T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]);
      }
    }),
  );
  return results;
}

/** A request sender for `server` (it is set before the first request). */
export function sender(server: () => TestServer) {
  /** Requests in flight at most (the server's database pool is small; its answers must not be 503s). */
  const MAX_IN_FLIGHT = 4;
  let inFlight = 0;
  const waiting: (() => void)[] = [];

  /**
   * A request, at most MAX_IN_FLIGHT at a time. A connection reset (keep-alive race) or a 503 of an
   * overloaded test machine is retried a few times: neither is a finding.
   */
  async function send(token: string, query: string) {
    if (inFlight >= MAX_IN_FLIGHT) await new Promise<void>((resolve) => waiting.push(resolve));
    inFlight += 1;
    try {
      for (let attempt = 1; ; attempt += 1) {
        const response = await server()
          .gql(token, query)
          .catch((error) => {
            if (attempt >= 3) throw error;
            return null;
          });
        const unavailable =
          response &&
          (response.status === 503 || response.body.errors?.some((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE'));
        if (response && (!unavailable || attempt >= 3)) return response;
        await new Promise((resolve) => setTimeout(resolve, 300 * attempt));
      }
    } finally {
      inFlight -= 1;
      waiting.shift()?.();
    }
  }
  return send;
}

export function escapeRegExp(s: string) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The record type an id argument's name suggests: `brandIds` -> Brand, `sellerId` -> Seller. */
export const guessType = (name: string) => name.replace(/Ids?$/, '').replace(/^./, (c) => c.toUpperCase());
