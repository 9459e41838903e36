import { auditChange } from '../../shared/audit/audit.service.js';
import { WebhookEventType } from '../../shared/audit/webhook-outbox.js';
import { Scope } from '../../shared/auth/scope.js';
import { inTransaction, RequestContext } from '../../shared/context.js';
import { lockForChange, scopedQuery } from '../../shared/data-access/scoped-query.js';
import { once } from '../../shared/idempotency.js';
import { ConnectionArgs, OrderDirection } from '../../shared/relay/connection.js';
import { paginate } from '../../shared/relay/keyset-paging.js';
import { decodeIdOf } from '../../shared/relay/global-id.js';
import { refuse, UserErrorCode } from '../../shared/user-error.js';
import { WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription } from './webhook.entities.js';
import {
  CreateWebhookSubscriptionInput,
  DeleteWebhookSubscriptionInput,
  RedeliverWebhookDeliveryInput,
  RotateWebhookSecretInput,
  UpdateWebhookSubscriptionInput,
} from './webhook.inputs.js';
import { webhookSettings } from './webhook.settings.js';
import { checkReceiverUrl, ReceiverRefused } from './webhook-url.js';

/** The event types each scope may subscribe to: a brand its cases, an agency its referrals, internal roles all. */
export const EVENTS_OF_SCOPE: Record<Scope['kind'], WebhookEventType[]> = {
  BRAND: [WebhookEventType.LEAD_STATUS_CHANGED, WebhookEventType.CASE_STATUS_CHANGED],
  AGENCY: [
    WebhookEventType.REFERRAL_SENT,
    WebhookEventType.REFERRAL_ESCALATED,
    WebhookEventType.REFERRAL_DEADLINE_APPROACHING,
    WebhookEventType.REFERRAL_FEEDBACK,
  ],
  ALL: Object.values(WebhookEventType),
};

export const MAX_SUBSCRIPTIONS_PER_PRINCIPAL = 100;

function subscriptionSnapshot(subscription: WebhookSubscription) {
  const { url, events, paused, version } = subscription;
  return { url, events, paused, version };
}

async function checkedUrl(ctx: RequestContext, url: string): Promise<string> {
  try {
    return (await checkReceiverUrl(url.trim(), { production: ctx.config.nodeEnv === 'production' })).href;
  } catch (error) {
    if (error instanceof ReceiverRefused) refuse(UserErrorCode.INVALID, error.message, ['input', 'url']);
    throw error;
  }
}

function checkedEvents(ctx: RequestContext, events: WebhookEventType[]): WebhookEventType[] {
  const allowed = EVENTS_OF_SCOPE[ctx.scope.kind];
  const refused = events.filter((event) => !allowed.includes(event));
  if (refused.length)
    refuse(
      UserErrorCode.INVALID,
      `Your role may not receive ${refused.join(', ')}; it may subscribe to ${allowed.join(', ')}.`,
      ['input', 'events'],
    );
  return [...new Set(events)];
}

export async function createWebhookSubscription(
  ctx: RequestContext,
  input: CreateWebhookSubscriptionInput,
): Promise<WebhookSubscription> {
  const events = checkedEvents(ctx, input.events);
  const url = await checkedUrl(ctx, input.url);
  return inTransaction(ctx, (tx) =>
    once(tx, 'createWebhookSubscription', input, WebhookSubscription, async () => {
      // One creation per principal at a time: two at once cannot both take the last place.
      await tx.db.query(`SELECT pg_advisory_xact_lock(hashtextextended('webhook_subscription:' || $1, 0))`, [
        tx.principal.rowId,
      ]);
      const [{ count }] = await tx.db.query(
        'SELECT count(id)::int AS count FROM webhook_subscription WHERE principal_id = $1',
        [tx.principal.rowId],
      );
      if (count >= MAX_SUBSCRIPTIONS_PER_PRINCIPAL)
        refuse(UserErrorCode.INVALID, `You have ${count} webhook subscriptions, the most allowed: delete one first.`, [
          'input',
        ]);
      const [{ id }] = await tx.db.query(
        `INSERT INTO webhook_subscription (principal_id, url, events, secret) VALUES ($1, $2, $3, $4) RETURNING id::text`,
        [tx.principal.rowId, url, events, input.secret],
      );
      const subscription = await tx.db.findOneByOrFail(WebhookSubscription, { rowId: id });
      await auditChange(tx, 'webhookSubscription.created', subscription, null, subscriptionSnapshot(subscription));
      return subscription;
    }),
  );
}

function lockSubscription(tx: RequestContext, subscriptionId: string, expectedVersion: number | null | undefined) {
  const rowId = decodeIdOf('WebhookSubscription', subscriptionId, 'subscriptionId');
  return lockForChange(tx, WebhookSubscription, rowId, expectedVersion, ['input', 'subscriptionId']);
}

/** Writes `changes` (columns) to a locked subscription and bumps its version; answers it as stored. */
async function writeSubscription(
  tx: RequestContext,
  subscription: WebhookSubscription,
  changes: Record<string, unknown>,
): Promise<WebhookSubscription> {
  const columns = Object.keys(changes);
  await tx.db.query(
    `UPDATE webhook_subscription SET ${columns.map((c, i) => `${c} = $${i + 3}`).join(', ')}, version = version + 1
     WHERE id = $1 AND version = $2`,
    [subscription.rowId, subscription.version, ...Object.values(changes)],
  );
  return tx.db.findOneByOrFail(WebhookSubscription, { rowId: subscription.rowId });
}

export async function updateWebhookSubscription(
  ctx: RequestContext,
  input: UpdateWebhookSubscriptionInput,
): Promise<WebhookSubscription> {
  const events = input.events ? checkedEvents(ctx, input.events) : undefined;
  const url = input.url ? await checkedUrl(ctx, input.url) : undefined;
  return inTransaction(ctx, (tx) =>
    once(tx, 'updateWebhookSubscription', input, WebhookSubscription, async () => {
      const subscription = await lockSubscription(tx, input.subscriptionId, input.expectedVersion);
      const changes: Record<string, unknown> = {};
      if (url !== undefined) changes.url = url;
      if (events !== undefined) changes.events = events;
      if (input.paused !== undefined && input.paused !== null) changes.paused = input.paused;
      if (!Object.keys(changes).length)
        refuse(UserErrorCode.INVALID, 'Nothing to change: give url, events or paused.', ['input']);
      const before = subscriptionSnapshot(subscription);
      const updated = await writeSubscription(tx, subscription, changes);
      await auditChange(tx, 'webhookSubscription.updated', updated, before, subscriptionSnapshot(updated));
      return updated;
    }),
  );
}

export async function rotateWebhookSecret(
  ctx: RequestContext,
  input: RotateWebhookSecretInput,
): Promise<WebhookSubscription> {
  return inTransaction(ctx, (tx) =>
    once(tx, 'rotateWebhookSecret', input, WebhookSubscription, async () => {
      const subscription = await lockSubscription(tx, input.subscriptionId, input.expectedVersion);
      // The current secret becomes the previous one (a trigger of the table: the API never reads secrets).
      await tx.db.query(
        `UPDATE webhook_subscription SET secret = $3,
           previous_secret_expires_at = now() + $4 * interval '1 millisecond', version = version + 1
         WHERE id = $1 AND version = $2`,
        [subscription.rowId, subscription.version, input.secret, webhookSettings().secretOverlapMs],
      );
      const updated = await tx.db.findOneByOrFail(WebhookSubscription, { rowId: subscription.rowId });
      await auditChange(
        tx,
        'webhookSubscription.secretRotated',
        updated,
        { version: subscription.version },
        {
          version: updated.version,
          previousSecretExpiresAt: updated.previousSecretExpiresAt,
        },
      );
      return updated;
    }),
  );
}

/** Deletes a subscription and its delivery log; answers its id. */
export async function deleteWebhookSubscription(
  ctx: RequestContext,
  input: DeleteWebhookSubscriptionInput,
): Promise<{ deletedWebhookSubscriptionId: string }> {
  return inTransaction(ctx, async (tx) => {
    const subscription = await lockSubscription(tx, input.subscriptionId, input.expectedVersion);
    await tx.db.query('DELETE FROM webhook_subscription WHERE id = $1', [subscription.rowId]);
    await auditChange(tx, 'webhookSubscription.deleted', subscription, subscriptionSnapshot(subscription), null);
    return { deletedWebhookSubscriptionId: subscription.globalId };
  });
}

/** Puts a delivery back in line (PENDING, attempts from zero), e.g. a dead-lettered one. */
export async function redeliverWebhookDelivery(
  ctx: RequestContext,
  input: RedeliverWebhookDeliveryInput,
): Promise<WebhookDelivery> {
  return inTransaction(ctx, (tx) =>
    once(tx, 'redeliverWebhookDelivery', input, WebhookDelivery, async () => {
      const rowId = decodeIdOf('WebhookDelivery', input.deliveryId, 'deliveryId');
      const delivery = await lockForChange(tx, WebhookDelivery, rowId, input.expectedVersion, ['input', 'deliveryId']);
      if (delivery.status === WebhookDeliveryStatus.PENDING)
        refuse(UserErrorCode.INVALID_TRANSITION, 'This delivery is PENDING already: it will be sent in its turn.', [
          'input',
          'deliveryId',
        ]);
      await tx.db.query(
        `UPDATE webhook_delivery SET status = 'PENDING', attempts = 0, next_attempt_at = now(), version = version + 1
         WHERE id = $1 AND version = $2`,
        [delivery.rowId, delivery.version],
      );
      const updated = await tx.db.findOneByOrFail(WebhookDelivery, { rowId: delivery.rowId });
      await auditChange(tx, 'webhookDelivery.redelivered', updated, { status: delivery.status }, { status: 'PENDING' });
      return updated;
    }),
  );
}

const NEWEST_FIRST = { key: 'CREATED_AT', column: 'created_at', property: 'createdAt', direction: OrderDirection.DESC };

export function listWebhookSubscriptions(ctx: RequestContext, args: ConnectionArgs) {
  return paginate(ctx, 'webhookSubscriptions', scopedQuery(ctx, WebhookSubscription), NEWEST_FIRST, args);
}

export const DELIVERY_ORDERING = NEWEST_FIRST;
