import { registerEnumType } from 'type-graphql';
import { StateMachine } from '../../shared/state-machine.js';

export enum ReferralStatus {
  DRAFT = 'DRAFT',
  SENT = 'SENT',
  ACKNOWLEDGED = 'ACKNOWLEDGED',
  ACTION_TAKEN = 'ACTION_TAKEN',
  PROSECUTION = 'PROSECUTION',
  CONVICTED = 'CONVICTED',
  ACQUITTED = 'ACQUITTED',
  DECLINED = 'DECLINED',
  CLOSED = 'CLOSED',
}
registerEnumType(ReferralStatus, {
  name: 'ReferralStatus',
  valuesConfig: {
    ACKNOWLEDGED: { description: 'The agency confirmed receipt; a first action is due.' },
    ACQUITTED: { description: 'Ended in acquittal.' },
    ACTION_TAKEN: { description: 'The agency raided, arrested, seized or fined.' },
    CLOSED: { description: 'Closed after its conclusion or decline.' },
    CONVICTED: { description: 'Ended in conviction.' },
    DECLINED: { description: 'The agency declined it (see `declineReason`).' },
    DRAFT: { description: 'Being prepared; not visible to the agency.' },
    PROSECUTION: { description: 'Charges brought.' },
    SENT: { description: "Sent; awaiting the agency's acknowledgement." },
  },
  description:
    'Where a referral stands: DRAFT -> SENT -> ACKNOWLEDGED -> ACTION_TAKEN -> PROSECUTION -> CONVICTED or ACQUITTED -> CLOSED; SENT or ACKNOWLEDGED -> DECLINED -> CLOSED.',
});

/**
 * DRAFT -> SENT -> ACKNOWLEDGED -> ACTION_TAKEN -> PROSECUTION -> CONVICTED | ACQUITTED;
 * SENT | ACKNOWLEDGED -> DECLINED; CONVICTED | ACQUITTED | DECLINED -> CLOSED.
 */
export const referralLifecycle = new StateMachine<ReferralStatus>('referral', {
  DRAFT: [ReferralStatus.SENT],
  SENT: [ReferralStatus.ACKNOWLEDGED, ReferralStatus.DECLINED],
  ACKNOWLEDGED: [ReferralStatus.ACTION_TAKEN, ReferralStatus.DECLINED],
  ACTION_TAKEN: [ReferralStatus.PROSECUTION],
  PROSECUTION: [ReferralStatus.CONVICTED, ReferralStatus.ACQUITTED],
  CONVICTED: [ReferralStatus.CLOSED],
  ACQUITTED: [ReferralStatus.CLOSED],
  DECLINED: [ReferralStatus.CLOSED],
  CLOSED: [],
});

export enum OutcomeKind {
  RAID = 'RAID',
  ARREST = 'ARREST',
  SEIZURE = 'SEIZURE',
  PROSECUTION = 'PROSECUTION',
  CONVICTION = 'CONVICTION',
  ACQUITTAL = 'ACQUITTAL',
  FINE = 'FINE',
}
registerEnumType(OutcomeKind, {
  name: 'OutcomeKind',
  valuesConfig: {
    ACQUITTAL: { description: 'Acquitted in court: the referral becomes ACQUITTED.' },
    ARREST: { description: 'People arrested: action taken.' },
    CONVICTION: { description: 'Convicted in court: the referral becomes CONVICTED.' },
    FINE: { description: 'A fine imposed (with `fine`): action taken.' },
    PROSECUTION: { description: 'Charges brought: the referral becomes PROSECUTION.' },
    RAID: { description: 'Premises raided: action taken.' },
    SEIZURE: { description: 'Goods seized (with `seizedGoods`, `seizedValue`): action taken.' },
  },
  description: 'What an agency did on a referral; each kind moves the referral to a status.',
});

/** The referral status an outcome implies: a raid means action was taken, a conviction ends the case. */
export const statusAfterOutcome: Record<OutcomeKind, ReferralStatus> = {
  RAID: ReferralStatus.ACTION_TAKEN,
  ARREST: ReferralStatus.ACTION_TAKEN,
  SEIZURE: ReferralStatus.ACTION_TAKEN,
  FINE: ReferralStatus.ACTION_TAKEN,
  PROSECUTION: ReferralStatus.PROSECUTION,
  CONVICTION: ReferralStatus.CONVICTED,
  ACQUITTAL: ReferralStatus.ACQUITTED,
};

export enum ReferralChangeKind {
  SENT = 'SENT',
  ACKNOWLEDGED = 'ACKNOWLEDGED',
  DECLINED = 'DECLINED',
  OUTCOME_RECORDED = 'OUTCOME_RECORDED',
  CLOSED = 'CLOSED',
}
registerEnumType(ReferralChangeKind, {
  name: 'ReferralChangeKind',
  valuesConfig: {
    ACKNOWLEDGED: { description: 'The agency acknowledged it.' },
    CLOSED: { description: 'It was closed.' },
    DECLINED: { description: 'The agency declined it.' },
    OUTCOME_RECORDED: { description: 'An outcome was recorded (see `outcome`).' },
    SENT: { description: 'It was sent to the agency.' },
  },
  description: 'What happened to a referral in the change feed.',
});

export enum ValuationMethod {
  MARKET_PRICE = 'MARKET_PRICE',
  GENUINE_RETAIL_PRICE = 'GENUINE_RETAIL_PRICE',
  DECLARED_VALUE = 'DECLARED_VALUE',
  PRODUCTION_COST = 'PRODUCTION_COST',
  OTHER = 'OTHER',
}
registerEnumType(ValuationMethod, {
  name: 'ValuationMethod',
  description: 'How a seized value was arrived at (figures valued differently are not comparable).',
  valuesConfig: {
    MARKET_PRICE: { description: 'What the counterfeits sell for.' },
    GENUINE_RETAIL_PRICE: { description: 'What the genuine goods retail for.' },
    DECLARED_VALUE: { description: 'The value declared (customs, invoices).' },
    PRODUCTION_COST: { description: 'What the counterfeits cost to make.' },
    OTHER: { description: 'Any other method: the valuation note says which.' },
  },
});
