import { LRUCache } from 'lru-cache';
import { Client, ClientConfig } from 'pg';
import type { Logger } from 'pino';
import { DataSource, EntityManager } from 'typeorm';
import { hashToken, newToken, tokenPrefix } from '../../shared/auth/api-key-token.js';
import { Role } from '../../shared/auth/role.js';
import { recordAudit } from '../../shared/audit/audit.service.js';
import { inTransaction, RequestContext } from '../../shared/context.js';
import { loadById } from '../../shared/data-access/scoped-query.js';
import { decodeIdOf } from '../../shared/relay/global-id.js';
import { refuse, UserErrorCode } from '../../shared/user-error.js';
import { Agency } from '../agency/agency.entity.js';
import { Brand } from '../brand/brand.entity.js';
import { ApiKey } from './api-key.entity.js';
import { CreateApiKeyInput, NewPrincipalInput } from './principal.inputs.js';
import { Principal } from './principal.entity.js';
import { once } from '../../shared/idempotency.js';

/** The principal behind an API key (by its stored SHA-256), or null when the key is unknown or revoked. */
function principalOfKey(dataSource: DataSource, tokenHash: string): Promise<Principal | null> {
  return dataSource
    .getRepository(Principal)
    .createQueryBuilder('p')
    .innerJoin(ApiKey, 'k', 'k.principal_id = p.id')
    .where('k.token_hash = :hash AND k.revoked_at IS NULL', { hash: tokenHash })
    .getOne();
}

/** The PostgreSQL channel on which a revocation is announced, with the revoked key's token hash as payload. */
export const API_KEY_REVOKED_CHANNEL = 'eca_api_key_revoked';

/**
 * Finds the caller of a request from its bearer token, remembering each valid key's principal for a
 * minute so that most requests need no round trip to authenticate, and forgetting it as soon as any
 * instance revokes the key: a revocation is announced with `NOTIFY eca_api_key_revoked, '<token hash>'`
 * in the transaction that revokes (`announceRevocation`, delivered at its COMMIT), and every server
 * instance LISTENs on a dedicated connection (`listen`). So a revoked key is refused before its request
 * is parsed, validated or priced, on every instance, within the notification's delivery time.
 *
 * Correctness never depends on the listener: while it is not connected (not yet, or the database
 * restarted and it is reconnecting, with backoff), nothing is remembered and every request looks its key
 * up. And every request still re-checks its key in the statement that opens its transaction
 * (request-transaction.ts), which calls `forget` when the key is gone. Unknown tokens are never remembered.
 */
export class Authenticator {
  private readonly known = new LRUCache<string, Principal>({ max: 10_000, ttl: 60_000 });
  /** The LISTENing connection, while it is up; null while it is not (then nothing is remembered). */
  private listener: Client | null = null;
  /**
   * Bumped by every revocation heard and every change of the listener: a lookup that overlapped one is
   * not remembered (it may have read the key before a revocation whose notice has already been handled).
   */
  private generation = 0;
  private closed = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly logger?: Logger,
    private readonly timing = { heartbeatMs: 5_000, heartbeatTimeoutMs: 3_000, maxBackoffMs: 5_000 },
  ) {}

  /** Whether revocations are being heard, so that principals may be remembered. */
  get listening(): boolean {
    return this.listener !== null;
  }

  async authenticate(token: string): Promise<{ principal: Principal; tokenHash: string } | null> {
    const tokenHash = hashToken(token);
    const remembered = this.listening ? this.known.get(tokenHash) : undefined;
    if (remembered) return { principal: remembered, tokenHash };
    const generation = this.generation;
    const principal = await principalOfKey(this.dataSource, tokenHash);
    if (principal && this.listening && generation === this.generation) this.known.set(tokenHash, principal);
    return principal ? { principal, tokenHash } : null;
  }

  forget(tokenHash: string): void {
    this.known.delete(tokenHash);
  }

  /** Announces a revocation to every instance; call it inside the transaction that revokes (NOTIFY is sent at COMMIT). */
  static async announceRevocation(db: EntityManager, tokenHash: string): Promise<void> {
    await db.query('SELECT pg_notify($1, $2)', [API_KEY_REVOKED_CHANNEL, tokenHash]);
  }

  /**
   * Starts listening for revocations on a connection of its own (with the pool's settings): resolves
   * after the first attempt, true when it listens. A failed or lost connection is retried with backoff
   * (100 ms doubling to 5 s) until `close`; a heartbeat notices a connection that stopped answering.
   */
  async listen(): Promise<boolean> {
    this.closed = false;
    return this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    if (this.listener) await this.lose(this.listener);
  }

  private async connect(): Promise<boolean> {
    const pool = (
      this.dataSource.driver as unknown as { master?: { options: ClientConfig & { application_name?: string } } }
    ).master;
    if (!pool || this.closed) return false;
    const client = new Client({
      ...pool.options,
      application_name: `${pool.options.application_name ?? 'enforcement-api'} revocations`,
      keepAlive: true,
      query_timeout: this.timing.heartbeatTimeoutMs,
    });
    client.on('error', (error) => void this.lose(client, error));
    client.on('end', () => void this.lose(client));
    client.on('notification', ({ channel, payload }) => {
      if (channel !== API_KEY_REVOKED_CHANNEL) return;
      this.generation += 1;
      if (payload) this.known.delete(payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${API_KEY_REVOKED_CHANNEL}`);
    } catch (error) {
      client.removeAllListeners('end');
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
      if (this.failures === 0)
        this.logger?.warn(
          { err: error },
          'not listening for API key revocations: keys are looked up on every request until it is',
        );
      this.retry();
      return false;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return false;
    }
    if (this.failures > 0) this.logger?.info('listening for API key revocations again');
    this.failures = 0;
    // Whatever was remembered before may have been revoked unheard.
    this.known.clear();
    this.generation += 1;
    this.listener = client;
    this.heartbeatTimer = setInterval(() => {
      client.query('SELECT 1').catch((error) => this.lose(client, error));
    }, this.timing.heartbeatMs).unref();
    return true;
  }

  /** The listening connection failed or closed: forget everything, stop remembering, and reconnect. */
  private async lose(client: Client, error?: unknown): Promise<void> {
    if (client !== this.listener) return;
    this.listener = null;
    this.known.clear();
    this.generation += 1;
    clearInterval(this.heartbeatTimer);
    client.removeAllListeners('end');
    client.on('error', () => undefined);
    if (!this.closed) {
      this.logger?.warn(
        { err: error },
        'lost the connection listening for API key revocations: keys are looked up on every request until it is back',
      );
      this.retry();
    }
    await client.end().catch(() => undefined);
  }

  private retry(): void {
    if (this.closed) return;
    const delay = Math.min(this.timing.maxBackoffMs, 100 * 2 ** this.failures) * (0.5 + Math.random() / 2);
    this.failures += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), delay).unref();
  }
}

export interface CreatedApiKey {
  apiKey: ApiKey;
  principal: Principal;
  token: string;
}

export async function createApiKey(ctx: RequestContext, input: CreateApiKeyInput): Promise<CreatedApiKey> {
  if (Boolean(input.principalId) === Boolean(input.principal)) {
    refuse(
      UserErrorCode.INVALID,
      'Give exactly one of principalId (a further key for an existing principal) or principal (a new one).',
      ['input'],
    );
  }
  return inTransaction(ctx, async (tx) => {
    const principal = input.principal
      ? await createPrincipal(tx, input.principal)
      : await existingPrincipal(tx, input.principalId!);
    const token = newToken();
    const apiKey = tx.db.create(ApiKey, {
      principalId: principal.rowId,
      name: input.name,
      tokenPrefix: tokenPrefix(token),
      tokenHash: hashToken(token),
      revokedAt: null,
    });
    await tx.db.save(apiKey);
    await recordAudit(tx, {
      action: 'apiKey.created',
      entityType: 'ApiKey',
      entityId: apiKey.rowId,
      after: { name: apiKey.name, principalId: principal.rowId, tokenPrefix: apiKey.tokenPrefix },
    });
    return { apiKey, principal, token };
  });
}

async function existingPrincipal(ctx: RequestContext, globalId: string): Promise<Principal> {
  const principal = await loadById(ctx, Principal, decodeIdOf('Principal', globalId, 'principalId'));
  return principal ?? refuse(UserErrorCode.NOT_FOUND, 'No principal has this id.', ['input', 'principalId']);
}

async function createPrincipal(ctx: RequestContext, input: NewPrincipalInput): Promise<Principal> {
  const needsBrand = input.role === Role.BRAND_PARTNER;
  const needsAgency = input.role === Role.AGENCY_LIAISON;
  if (needsBrand !== Boolean(input.brandId)) {
    refuse(UserErrorCode.INVALID, needsBrand ? 'A BRAND_PARTNER needs a brandId.' : `A ${input.role} has no brand.`, [
      'input',
      'principal',
      'brandId',
    ]);
  }
  if (needsAgency !== Boolean(input.agencyId)) {
    refuse(
      UserErrorCode.INVALID,
      needsAgency ? 'An AGENCY_LIAISON needs an agencyId.' : `A ${input.role} has no agency.`,
      ['input', 'principal', 'agencyId'],
    );
  }
  const brand = input.brandId ? await loadById(ctx, Brand, decodeIdOf('Brand', input.brandId, 'brandId')) : null;
  if (input.brandId && !brand)
    refuse(UserErrorCode.NOT_FOUND, 'No brand has this id.', ['input', 'principal', 'brandId']);
  const agency = input.agencyId ? await loadById(ctx, Agency, decodeIdOf('Agency', input.agencyId, 'agencyId')) : null;
  if (input.agencyId && !agency)
    refuse(UserErrorCode.NOT_FOUND, 'No agency has this id.', ['input', 'principal', 'agencyId']);
  const principal = ctx.db.create(Principal, {
    name: input.name,
    role: input.role,
    brandId: brand?.rowId ?? null,
    agencyId: agency?.rowId ?? null,
  });
  await ctx.db.save(principal);
  await recordAudit(ctx, {
    action: 'principal.created',
    entityType: 'Principal',
    entityId: principal.rowId,
    after: { name: principal.name, role: principal.role, brandId: principal.brandId, agencyId: principal.agencyId },
  });
  return principal;
}

export async function revokeApiKey(
  ctx: RequestContext,
  apiKeyGlobalId: string,
  idempotencyKey?: string | null,
): Promise<{ apiKey: ApiKey }> {
  const rowId = decodeIdOf('ApiKey', apiKeyGlobalId, 'apiKeyId');
  const input = { apiKeyId: apiKeyGlobalId, idempotencyKey };
  return inTransaction(ctx, async (tx) => ({
    apiKey: await once(tx, 'revokeApiKey', input, ApiKey, async () => {
      const apiKey = await tx.db
        .getRepository(ApiKey)
        .findOne({ where: { rowId }, lock: { mode: 'pessimistic_write' } });
      if (!apiKey) refuse(UserErrorCode.NOT_FOUND, 'No API key has this id.', ['input', 'apiKeyId']);
      if (apiKey.revokedAt)
        refuse(UserErrorCode.INVALID_TRANSITION, 'This API key is already revoked.', ['input', 'apiKeyId']);
      apiKey.revokedAt = new Date();
      await tx.db.update(ApiKey, { rowId }, { revokedAt: apiKey.revokedAt });
      await Authenticator.announceRevocation(tx.db, apiKey.tokenHash);
      await recordAudit(tx, {
        action: 'apiKey.revoked',
        entityType: 'ApiKey',
        entityId: rowId,
        before: { revokedAt: null },
        after: { revokedAt: apiKey.revokedAt },
      });
      return apiKey;
    }),
  }));
}
