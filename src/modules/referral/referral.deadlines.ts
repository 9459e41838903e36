import { registerEnumType } from 'type-graphql';
import { featureSettings } from '../../shared/settings.js';
import { AgencyKind } from '../agency/agency.entity.js';
import { ReferralStatus } from './referral.states.js';

export enum ReferralDeadline {
  ACKNOWLEDGEMENT = 'ACKNOWLEDGEMENT',
  ACTION = 'ACTION',
}
registerEnumType(ReferralDeadline, {
  name: 'ReferralDeadline',
  description: 'The two deadlines of a sent referral.',
  valuesConfig: {
    ACKNOWLEDGEMENT: { description: 'The agency acknowledges the referral (`acknowledgeBy`).' },
    ACTION: {
      description: 'The agency reports a first action: raid, arrest, seizure or fine (`actionBy`), or declines.',
    },
  },
});

const DAY = 86_400_000;

/** The deadlines of a referral sent at `sentAt` to an agency of `kind`, from the settings of that kind. */
export function deadlinesFor(kind: AgencyKind, sentAt: Date): { acknowledgeBy: Date; actionBy: Date } {
  const { acknowledgeDays, actionDays } = featureSettings().deadlines;
  return {
    acknowledgeBy: new Date(sentAt.getTime() + acknowledgeDays[kind] * DAY),
    actionBy: new Date(sentAt.getTime() + actionDays[kind] * DAY),
  };
}

/**
 * Which deadline a referral has missed, if any. The acknowledgement deadline runs while it is SENT; the
 * action deadline while it is SENT or ACKNOWLEDGED (a first action, a decline or a later status meets it).
 * `missedDeadlineSql` below is the same rule in SQL: keep the two together.
 */
export function missedDeadline(
  referral: { status: ReferralStatus; acknowledgeBy: Date | null; actionBy: Date | null },
  now = new Date(),
): ReferralDeadline | null {
  const past = (deadline: Date | null) => deadline !== null && deadline.getTime() < now.getTime();
  if (
    (referral.status === ReferralStatus.SENT || referral.status === ReferralStatus.ACKNOWLEDGED) &&
    past(referral.actionBy)
  )
    return ReferralDeadline.ACTION;
  if (referral.status === ReferralStatus.SENT && past(referral.acknowledgeBy)) return ReferralDeadline.ACKNOWLEDGEMENT;
  return null;
}

/** SQL: the acknowledgement deadline of referral row `r` has passed. */
export const acknowledgementOverdueSql = (r: string) => `(${r}.status = 'SENT' AND ${r}.acknowledge_by < now())`;
/** SQL: the action deadline of referral row `r` has passed. */
export const actionOverdueSql = (r: string) => `(${r}.status IN ('SENT', 'ACKNOWLEDGED') AND ${r}.action_by < now())`;
/** SQL: referral row `r` is overdue (either deadline missed); never NULL. */
export const overdueSql = (r: string) => `coalesce(${acknowledgementOverdueSql(r)} OR ${actionOverdueSql(r)}, FALSE)`;
