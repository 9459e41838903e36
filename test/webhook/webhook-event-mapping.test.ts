// The outbox maps audit actions to webhook event types (src/shared/audit/webhook-outbox.ts) as data, by name:
// every status a lead, an investigation or a referral can move to must be named there, or its moves would
// commit without telling the subscribers.
import { WEBHOOK_EVENT_OF_ACTION, WebhookEventType } from '../../src/shared/audit/webhook-outbox';
import { LeadStatus } from '../../src/modules/lead/lead.states';
import { InvestigationStatus } from '../../src/modules/investigation/investigation.states';
import { ReferralStatus } from '../../src/modules/referral/referral.states';

const movesTo = (record: string, statuses: object, except: string[]) =>
  Object.values(statuses)
    .filter((status: string) => !except.includes(status))
    .map((status: string) => `${record}.${status.toLowerCase()}`);

describe('audit actions that send webhooks', () => {
  it('maps the move to every status of a lead, a case and a referral to its event type', () => {
    // A lead is created NEW (lead.reported), an investigation OPEN (investigation.opened), a referral DRAFT (referral.created).
    for (const action of ['lead.reported', ...movesTo('lead', LeadStatus, ['NEW'])])
      expect([action, WEBHOOK_EVENT_OF_ACTION[action]]).toEqual([action, WebhookEventType.LEAD_STATUS_CHANGED]);
    for (const action of ['investigation.opened', ...movesTo('investigation', InvestigationStatus, ['OPEN'])])
      expect([action, WEBHOOK_EVENT_OF_ACTION[action]]).toEqual([action, WebhookEventType.CASE_STATUS_CHANGED]);
    for (const action of movesTo('referral', ReferralStatus, ['DRAFT', 'SENT']))
      expect([action, WEBHOOK_EVENT_OF_ACTION[action]]).toEqual([action, WebhookEventType.REFERRAL_STATUS_CHANGED]);
    expect(WEBHOOK_EVENT_OF_ACTION['referral.sent']).toBe(WebhookEventType.REFERRAL_SENT);
  });
});
