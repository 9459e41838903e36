import { AuditEvent } from '../shared/audit/audit-event.entity.js';
import { Agency } from '../modules/agency/agency.entity.js';
import { Brand } from '../modules/brand/brand.entity.js';
import { Trademark } from '../modules/brand/trademark.entity.js';
import { CustodyTransfer } from '../modules/evidence/custody-transfer.entity.js';
import { Evidence } from '../modules/evidence/evidence.entity.js';
import { Finding } from '../modules/investigation/finding.entity.js';
import { Investigation } from '../modules/investigation/investigation.entity.js';
import { Lead } from '../modules/lead/lead.entity.js';
import { Listing } from '../modules/listing/listing.entity.js';
import { ApiKey } from '../modules/principal/api-key.entity.js';
import { Principal } from '../modules/principal/principal.entity.js';
import { EnforcementOutcome } from '../modules/referral/enforcement-outcome.entity.js';
import { ReferralChange } from '../modules/referral/referral-change.entity.js';
import { ReferralEscalation } from '../modules/referral/referral-escalation.entity.js';
import { ReferralFeedback } from '../modules/referral/referral-feedback.entity.js';
import { Referral } from '../modules/referral/referral.entity.js';
import { JointOperation } from '../modules/joint-operation/joint-operation.entity.js';
import { Premises } from '../modules/premises/premises.entity.js';
import { RepeatOffenderMatch } from '../modules/repeat-offender/repeat-offender-match.entity.js';
import { SellerIdentifier } from '../modules/seller/seller-identifier.entity.js';
import { Seller } from '../modules/seller/seller.entity.js';
import { WebhookDelivery, WebhookSubscription } from '../modules/webhook/webhook.entities.js';

export const entities = [
  Brand,
  Trademark,
  Agency,
  Seller,
  SellerIdentifier,
  Listing,
  Principal,
  ApiKey,
  AuditEvent,
  Lead,
  Investigation,
  Finding,
  Evidence,
  CustodyTransfer,
  Referral,
  EnforcementOutcome,
  ReferralChange,
  ReferralEscalation,
  ReferralFeedback,
  RepeatOffenderMatch,
  Premises,
  JointOperation,
  WebhookSubscription,
  WebhookDelivery,
];
