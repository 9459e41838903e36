import { ArrayMaxSize, ArrayMinSize, MaxLength, MinLength } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { WebhookEventType } from '../../shared/audit/webhook-outbox.js';
import { IdempotentInput } from '../../shared/idempotency.js';

const SECRET =
  'The signing secret (24 to 200 characters, e.g. `openssl rand -hex 32`): kept to sign, never shown again.';
const URL_RULE = 'The receiver: https (and a public address) in production; http and 127.0.0.1 allowed in development.';

@InputType({ description: 'A webhook to create (createWebhookSubscription).' })
export class CreateWebhookSubscriptionInput extends IdempotentInput {
  @Field({ description: URL_RULE })
  @MaxLength(2000)
  url!: string;

  @Field(() => [WebhookEventType], { description: 'The event types to send, among those your role may receive.' })
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  events!: WebhookEventType[];

  @Field({ description: SECRET })
  @MinLength(24)
  @MaxLength(200)
  secret!: string;
}

@InputType({ description: 'Changes to a webhook (updateWebhookSubscription): each field given replaces its value.' })
export class UpdateWebhookSubscriptionInput extends IdempotentInput {
  @Field(() => ID, { description: 'The subscription.' })
  subscriptionId!: string;

  @Field(() => Int, { nullable: true, description: 'The version you last read: STALE_VERSION if it changed since.' })
  expectedVersion?: number | null;

  @Field(() => String, { nullable: true, description: URL_RULE })
  @MaxLength(2000)
  url?: string | null;

  @Field(() => [WebhookEventType], { nullable: true, description: 'The event types to send.' })
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  events?: WebhookEventType[] | null;

  @Field(() => Boolean, { nullable: true, description: 'True pauses it (events wait), false resumes it.' })
  paused?: boolean | null;
}

@InputType({ description: 'A webhook to delete with its delivery log (deleteWebhookSubscription).' })
export class DeleteWebhookSubscriptionInput {
  @Field(() => ID, { description: 'The subscription.' })
  subscriptionId!: string;

  @Field(() => Int, { nullable: true, description: 'The version you last read: STALE_VERSION if it changed since.' })
  expectedVersion?: number | null;
}

@InputType({
  description:
    'A new signing secret (rotateWebhookSecret): the previous one keeps signing beside it (a second v1) for WEBHOOK_SECRET_OVERLAP_HOURS.',
})
export class RotateWebhookSecretInput extends IdempotentInput {
  @Field(() => ID, { description: 'The subscription.' })
  subscriptionId!: string;

  @Field(() => Int, { nullable: true, description: 'The version you last read: STALE_VERSION if it changed since.' })
  expectedVersion?: number | null;

  @Field({ description: SECRET })
  @MinLength(24)
  @MaxLength(200)
  secret!: string;
}

@InputType({ description: 'A delivery to send again (redeliverWebhookDelivery), e.g. a dead-lettered one.' })
export class RedeliverWebhookDeliveryInput extends IdempotentInput {
  @Field(() => ID, { description: 'The delivery.' })
  deliveryId!: string;

  @Field(() => Int, { nullable: true, description: 'The version you last read: STALE_VERSION if it changed since.' })
  expectedVersion?: number | null;
}
