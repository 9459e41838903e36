import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, VersionColumn } from 'typeorm';
import { WebhookEventType } from '../../shared/audit/webhook-outbox.js';
import { Node } from '../../shared/relay/node.js';

registerEnumType(WebhookEventType, {
  name: 'WebhookEventType',
  description:
    'What a webhook tells. A brand partner may subscribe to its cases (lead and case status), an agency to its referrals (sent, escalated, deadline approaching, feedback), internal roles to everything.',
  valuesConfig: {
    LEAD_STATUS_CHANGED: { description: 'A lead was reported or moved (triaged, investigating, referred, closed).' },
    CASE_STATUS_CHANGED: { description: 'An investigation was opened or moved.' },
    REFERRAL_SENT: { description: 'A referral was sent to an agency.' },
    REFERRAL_STATUS_CHANGED: { description: 'A referral was created or moved after sending (internal roles).' },
    REFERRAL_ESCALATED: { description: 'A referral was escalated (the record is the escalation).' },
    REFERRAL_DEADLINE_APPROACHING: { description: "A sent referral's acknowledgement or action deadline is near." },
    REFERRAL_FEEDBACK: { description: 'Feedback was added to a referral (the record is the feedback).' },
    OUTCOME_RECORDED: { description: 'An agency reported an enforcement outcome (internal roles).' },
  },
});

export enum WebhookDeliveryStatus {
  PENDING = 'PENDING',
  DELIVERED = 'DELIVERED',
  DEAD = 'DEAD',
}
registerEnumType(WebhookDeliveryStatus, {
  name: 'WebhookDeliveryStatus',
  description: 'Where a webhook delivery stands.',
  valuesConfig: {
    PENDING: { description: 'Not delivered yet: waiting for its turn or for its next attempt.' },
    DELIVERED: { description: 'The receiver answered 2xx.' },
    DEAD: { description: 'Every attempt failed: dead-lettered. `redeliverWebhookDelivery` tries it again.' },
  },
});

/** A principal's webhook: where to send which events. Its signing secrets are never read back. */
@ObjectType({ implements: Node, description: 'A webhook subscription of yours: where which events are sent, signed.' })
@Entity('webhook_subscription')
export class WebhookSubscription extends Node {
  @Column({ name: 'principal_id', type: 'bigint' })
  principalId!: string;

  @Field({ description: 'The receiver (https in production, public addresses only).' })
  @Column({ type: 'text' })
  url!: string;

  @Field(() => [WebhookEventType], { description: 'The event types sent to it.' })
  @Column({ type: 'text', array: true })
  events!: WebhookEventType[];

  @Field({ description: 'True while paused: events are kept and sent on resumption.' })
  @Column({ type: 'boolean', default: false })
  paused!: boolean;

  @Field(() => Date, {
    nullable: true,
    description: 'Until when the previous secret still signs (a second v1 value), after a rotation.',
  })
  @Column({ name: 'previous_secret_expires_at', type: 'timestamptz', nullable: true })
  previousSecretExpiresAt!: Date | null;

  @Field({ description: 'Incremented on every change; pass it back as `expectedVersion`.' })
  @VersionColumn()
  version!: number;
}

/** One event for one subscription, with its attempts: the delivery log. */
@ObjectType({ implements: Node, description: 'One event sent (or to send) to one of your webhooks.' })
@Entity('webhook_delivery')
export class WebhookDelivery extends Node {
  @Column({ name: 'subscription_id', type: 'bigint' })
  subscriptionId!: string;

  @Column({ name: 'event_seq', type: 'bigint' })
  eventSeq!: string;

  @Field({ description: "The event id (the payload's `id`, and the Webhook-Id header): the same on every attempt." })
  @Column({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Field(() => WebhookEventType, { description: 'The event type.' })
  @Column({ name: 'event_type', type: 'text' })
  eventType!: WebhookEventType;

  @Field(() => WebhookDeliveryStatus, { description: 'Where it stands.' })
  @Column({ type: 'text' })
  status!: WebhookDeliveryStatus;

  @Field(() => Int, { description: 'Attempts made so far.' })
  @Column({ type: 'integer' })
  attempts!: number;

  @Field(() => Date, { nullable: true, description: 'When the next attempt is due (PENDING only).' })
  get nextAttempt(): Date | null {
    return this.status === WebhookDeliveryStatus.PENDING ? this.nextAttemptAt : null;
  }

  @Column({ name: 'next_attempt_at', type: 'timestamptz' })
  nextAttemptAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When the last attempt was made.' })
  @Column({ name: 'last_attempt_at', type: 'timestamptz', nullable: true })
  lastAttemptAt!: Date | null;

  @Field(() => Int, {
    nullable: true,
    description: "The receiver's HTTP status at the last attempt (null: no answer).",
  })
  @Column({ name: 'last_response_status', type: 'integer', nullable: true })
  lastResponseStatus!: number | null;

  @Field(() => String, { nullable: true, description: 'Why the last attempt failed, when it did.' })
  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Field(() => Date, { nullable: true, description: 'When the receiver accepted it.' })
  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt!: Date | null;

  @Field({ description: 'Incremented on every change; pass it back as `expectedVersion`.' })
  @VersionColumn()
  version!: number;
}
