/// <reference types="jest" />
// (The reference above keeps `npm run build`, whose tsconfig loads only Node's types, compiling this file.)
//
// Referral deadlines, no database: when they fall (from the settings of the agency's kind) and which one a
// referral has missed, status by status. The SQL twin (overdueSql) is tested against PostgreSQL in
// test/referral/referral-deadlines.test.ts.
import { loadFeatureSettings, SettingsError } from '../../shared/settings.js';
import { AgencyKind } from '../agency/agency.entity.js';
import { deadlinesFor, missedDeadline, ReferralDeadline } from './referral.deadlines.js';
import { ReferralStatus } from './referral.states.js';

const DAY = 86_400_000;
const sentAt = new Date('2026-03-01T12:00:00.000Z');
const at = (days: number) => new Date(sentAt.getTime() + days * DAY);

describe('deadlinesFor', () => {
  it("counts the settings' days for the agency's kind from the moment the referral was sent", () => {
    const { acknowledgeDays, actionDays } = loadFeatureSettings(process.env).deadlines;
    for (const kind of Object.values(AgencyKind)) {
      expect(deadlinesFor(kind, sentAt)).toEqual({
        acknowledgeBy: at(acknowledgeDays[kind]),
        actionBy: at(actionDays[kind]),
      });
      expect(actionDays[kind]).toBeGreaterThanOrEqual(acknowledgeDays[kind]);
    }
  });
});

describe('the deadline settings', () => {
  it('default to 5 and 60 days, overridden for all kinds and then for one kind', () => {
    const defaults = loadFeatureSettings({}).deadlines;
    expect(defaults.acknowledgeDays.CUSTOMS).toBe(5);
    expect(defaults.actionDays.CUSTOMS).toBe(60);
    const set = loadFeatureSettings({
      DEADLINE_ACK_DAYS: '7',
      DEADLINE_ACTION_DAYS: '30',
      DEADLINE_ACK_DAYS_CUSTOMS: '2',
    }).deadlines;
    expect(set.acknowledgeDays).toMatchObject({ CUSTOMS: 2, PUBLIC_SECURITY: 7, OTHER: 7 });
    expect(set.actionDays).toMatchObject({ CUSTOMS: 30, PUBLIC_SECURITY: 30 });
  });

  it.each([
    ['zero days', { DEADLINE_ACK_DAYS: '0' }, /DEADLINE_ACK_DAYS must be a whole number of days/],
    ['a fraction', { DEADLINE_ACTION_DAYS: '1.5' }, /DEADLINE_ACTION_DAYS must be a whole number of days/],
    ['more than ten years', { DEADLINE_ACK_DAYS_CUSTOMS: '3651' }, /DEADLINE_ACK_DAYS_CUSTOMS/],
    ['words', { DEADLINE_ACK_DAYS: 'ten' }, /got "ten"/],
    [
      'an action deadline before the acknowledgement deadline',
      { DEADLINE_ACK_DAYS_PROSECUTOR: '20', DEADLINE_ACTION_DAYS_PROSECUTOR: '10' },
      /action deadline of PROSECUTOR agencies \(10 days\) is shorter than their acknowledgement deadline \(20 days\)/,
    ],
  ])('refuse %s', (_what, env, message) => {
    expect(() => loadFeatureSettings(env)).toThrow(SettingsError);
    expect(() => loadFeatureSettings(env)).toThrow(message);
  });
});

describe('missedDeadline', () => {
  const deadlines = { acknowledgeBy: at(5), actionBy: at(60) };
  const missed = (
    status: ReferralStatus,
    now: Date,
    dates: { acknowledgeBy: Date | null; actionBy: Date | null } = deadlines,
  ) => missedDeadline({ status, ...dates }, now);

  it('is none while both deadlines are ahead, and none at the very instant of a deadline', () => {
    expect(missed(ReferralStatus.SENT, at(1))).toBeNull();
    expect(missed(ReferralStatus.SENT, at(5))).toBeNull();
  });

  it('is the acknowledgement once it passes on a SENT referral, and the action once that passes too', () => {
    expect(missed(ReferralStatus.SENT, new Date(at(5).getTime() + 1))).toBe(ReferralDeadline.ACKNOWLEDGEMENT);
    expect(missed(ReferralStatus.SENT, at(61))).toBe(ReferralDeadline.ACTION);
  });

  it('stops the acknowledgement clock when acknowledged, not the action clock', () => {
    expect(missed(ReferralStatus.ACKNOWLEDGED, at(30))).toBeNull();
    expect(missed(ReferralStatus.ACKNOWLEDGED, at(61))).toBe(ReferralDeadline.ACTION);
  });

  it.each([
    ReferralStatus.DRAFT,
    ReferralStatus.DECLINED,
    ReferralStatus.ACTION_TAKEN,
    ReferralStatus.PROSECUTION,
    ReferralStatus.CONVICTED,
    ReferralStatus.ACQUITTED,
    ReferralStatus.CLOSED,
  ])('is none for a %s referral, however late', (status) => {
    expect(missed(status, at(1000))).toBeNull();
  });

  it('is none for a referral without deadlines (never sent)', () => {
    expect(missed(ReferralStatus.SENT, at(1000), { acknowledgeBy: null, actionBy: null })).toBeNull();
  });

  it('covers every referral status (a new status must be placed here)', () => {
    const running = [ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED];
    const late = Object.values(ReferralStatus).filter((status) => missed(status, at(1000)) !== null);
    expect(late.sort()).toEqual([...running].sort());
  });
});
