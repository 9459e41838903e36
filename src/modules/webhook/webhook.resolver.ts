import {
  Arg,
  Args,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  ID,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { ALL_ROLES } from '../../shared/auth/role.js';
import type { RequestContext } from '../../shared/context.js';
import { Connection, ConnectionArgs, Page } from '../../shared/relay/connection.js';
import { loadChildPage } from '../../shared/relay/keyset-paging.js';
import { asPayload, MutationPayload, Payload, payload, UserError } from '../../shared/user-error.js';
import { WebhookDelivery, WebhookSubscription } from './webhook.entities.js';
import {
  CreateWebhookSubscriptionInput,
  DeleteWebhookSubscriptionInput,
  RedeliverWebhookDeliveryInput,
  RotateWebhookSecretInput,
  UpdateWebhookSubscriptionInput,
} from './webhook.inputs.js';
import {
  createWebhookSubscription,
  deleteWebhookSubscription,
  DELIVERY_ORDERING,
  listWebhookSubscriptions,
  redeliverWebhookDelivery,
  rotateWebhookSecret,
  updateWebhookSubscription,
} from './webhook.service.js';

const SubscriptionConnection = Connection(WebhookSubscription);
const DeliveryConnection = Connection(WebhookDelivery);
const SubscriptionPayload = (name: string) => Payload(name, 'webhookSubscription', WebhookSubscription);
const CreatePayload = SubscriptionPayload('CreateWebhookSubscriptionPayload');
const UpdatePayload = SubscriptionPayload('UpdateWebhookSubscriptionPayload');
const RotatePayload = SubscriptionPayload('RotateWebhookSecretPayload');
const RedeliverPayload = Payload('RedeliverWebhookDeliveryPayload', 'webhookDelivery', WebhookDelivery);

@ObjectType({
  description:
    'What `deleteWebhookSubscription` answers: the id of the webhook deleted, or the user error that refused it.',
})
class DeleteWebhookSubscriptionPayload {
  @Field(() => ID, { nullable: true, description: 'The id of the webhook deleted; null when refused.' })
  deletedWebhookSubscriptionId!: string | null;

  @Field(() => [UserError], { description: 'Why the mutation was refused; empty on success.' })
  userErrors!: UserError[];
}

const described = (name: string) => ({ description: `The arguments of \`${name}\` in one object.` });

/** Webhooks: every role manages its own subscriptions, for the events its role may receive (README, "Webhooks"). */
@Resolver(() => WebhookSubscription)
export class WebhookResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => SubscriptionConnection, { nullable: true, description: 'Your webhook subscriptions, newest first.' })
  webhookSubscriptions(@Args() args: ConnectionArgs, @Ctx() ctx: RequestContext): Promise<Page<WebhookSubscription>> {
    return listWebhookSubscriptions(ctx, args);
  }

  @FieldResolver(() => DeliveryConnection, {
    description: 'Its delivery log, newest first: one entry per event sent or to send, with its attempts.',
  })
  deliveries(
    @Root() subscription: WebhookSubscription,
    @Args() args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<WebhookDelivery>> {
    return loadChildPage(ctx, {
      entity: WebhookDelivery,
      link: { column: 'subscription_id' },
      parentId: subscription.rowId,
      ordering: DELIVERY_ORDERING,
      args,
    });
  }

  @Authorized(...ALL_ROLES)
  @Mutation(() => CreatePayload, {
    nullable: true,
    description:
      'Register a webhook: the events of your role (a brand: its cases; an agency: its referrals; internal roles: all) are POSTed to `url`, signed with `secret` (header Webhook-Signature).',
  })
  createWebhookSubscription(
    @Arg('input', described('createWebhookSubscription')) input: CreateWebhookSubscriptionInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<WebhookSubscription>> {
    return payload(() => createWebhookSubscription(ctx, input));
  }

  @Authorized(...ALL_ROLES)
  @Mutation(() => UpdatePayload, {
    nullable: true,
    description: "Change a webhook's URL or events, or pause (events wait) and resume it.",
  })
  updateWebhookSubscription(
    @Arg('input', described('updateWebhookSubscription')) input: UpdateWebhookSubscriptionInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<WebhookSubscription>> {
    return payload(() => updateWebhookSubscription(ctx, input));
  }

  @Authorized(...ALL_ROLES)
  @Mutation(() => RotatePayload, {
    nullable: true,
    description: 'Give a webhook a new secret; the previous one keeps signing beside it for a while (two v1 values).',
  })
  rotateWebhookSecret(
    @Arg('input', described('rotateWebhookSecret')) input: RotateWebhookSecretInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<WebhookSubscription>> {
    return payload(() => rotateWebhookSecret(ctx, input));
  }

  @Authorized(...ALL_ROLES)
  @Mutation(() => DeleteWebhookSubscriptionPayload, {
    nullable: true,
    description: 'Delete a webhook and its delivery log.',
  })
  deleteWebhookSubscription(
    @Arg('input', described('deleteWebhookSubscription')) input: DeleteWebhookSubscriptionInput,
    @Ctx() ctx: RequestContext,
  ): Promise<DeleteWebhookSubscriptionPayload> {
    return asPayload(() => deleteWebhookSubscription(ctx, input)).then((answer) => ({
      deletedWebhookSubscriptionId: answer.deletedWebhookSubscriptionId ?? null,
      userErrors: answer.userErrors,
    }));
  }

  @Authorized(...ALL_ROLES)
  @Mutation(() => RedeliverPayload, {
    nullable: true,
    description: 'Send a delivered or dead-lettered event again (it goes back in line, attempts from zero).',
  })
  redeliverWebhookDelivery(
    @Arg('input', described('redeliverWebhookDelivery')) input: RedeliverWebhookDeliveryInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<WebhookDelivery>> {
    return payload(() => redeliverWebhookDelivery(ctx, input));
  }
}
