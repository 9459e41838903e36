// The enforcement policy's rules alone (src/modules/enforcement-policy), and their SQL twins compared with
// them (STYLE.md 12: a rule written twice is checked, not trusted).
import { Role } from '../../src/shared/auth/role';
import { loadFeatureSettings, StrikeSettings } from '../../src/shared/settings';
import { UserErrorException } from '../../src/shared/user-error';
import { LeadCloseReason, LeadStatus } from '../../src/modules/lead/lead.states';
import { ReinstatementBasis } from '../../src/modules/listing/listing.states';
import { SellerStatus } from '../../src/modules/seller/seller.entity';
import {
  activeStrikeSql,
  directActionRule,
  fastTrackVerdict,
  fastTrackWindowStart,
  isActiveStrike,
  reportDecision,
  reportedScores,
  reversesTakedown,
  statusAfterStrikeRemoved,
  statusAfterStrikes,
  statusCalledFor,
  strikeTerms,
} from '../../src/modules/enforcement-policy/enforcement-policy';
import { sellerLifecycle } from '../../src/modules/seller/seller.states';
import { useTestServer } from '../support/harness';

const { ACTIVE, WARNED, RESTRICTED, SUSPENDED, CLOSED } = SellerStatus;
const DEFAULTS: StrikeSettings = { toWarn: 1, toRestrict: 3, toSuspend: 5, sameListingWindowDays: 30, expiryDays: 365 };

describe('report decision', () => {
  it('lets the close reason decide, whatever the lead went through; an open referred lead is confirmed', () => {
    expect(reportDecision(LeadStatus.CLOSED, LeadCloseReason.NOT_COUNTERFEIT)).toBe('REJECTED');
    expect(reportDecision(LeadStatus.CLOSED, LeadCloseReason.INSUFFICIENT_EVIDENCE)).toBe('REJECTED');
    expect(reportDecision(LeadStatus.CLOSED, LeadCloseReason.RESOLVED_BY_TAKEDOWN)).toBe('CONFIRMED');
    expect(reportDecision(LeadStatus.CLOSED, LeadCloseReason.CASE_CONCLUDED)).toBe('CONFIRMED');
    expect(reportDecision(LeadStatus.CLOSED, LeadCloseReason.DUPLICATE)).toBe('UNDECIDED');
    expect(reportDecision(LeadStatus.CLOSED, LeadCloseReason.INVESTIGATION_CLOSED)).toBe('UNDECIDED');
    expect(reportDecision(LeadStatus.INVESTIGATING, null)).toBe('UNDECIDED');
    expect(reportDecision(LeadStatus.REFERRED, null)).toBe('CONFIRMED');
    expect(reportDecision(LeadStatus.NEW, null)).toBe('UNDECIDED');
  });

  describe('in SQL', () => {
    const { db } = useTestServer({ world: false, server: false });

    it('eca_report_decision agrees with reportDecision on every status and close reason', async () => {
      const pairs = Object.values(LeadStatus).flatMap((status) =>
        [null, ...Object.values(LeadCloseReason)].map((reason) => [status, reason] as const),
      );
      const rows: { status: string; reason: string | null; decision: string }[] = await db.dataSource.query(
        `SELECT p.status, p.reason, eca_report_decision(p.status, p.reason) AS decision FROM unnest($1::text[], $2::text[]) AS p(status, reason)`,
        [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
      );
      expect(rows.map((r) => [r.status, r.reason, r.decision])).toEqual(
        pairs.map(([status, reason]) => [status, reason, reportDecision(status, reason)]),
      );
    });

    it("the report counters are the triggers' alone: the API's role may neither write them nor call their writer", async () => {
      const runner = db.dataSource.createQueryRunner();
      await runner.connect();
      try {
        for (const statement of [
          `SELECT brand_report_stats_add('[{"brand_id": 1, "day": "2026-01-01", "reported": 100, "confirmed": 100, "rejected": 0}]'::jsonb)`,
          `INSERT INTO brand_report_stats (brand_id, day, reported, confirmed, rejected) VALUES (1, '2026-01-01', 1, 1, 0)`,
          `SELECT seller_strike_carry_over(now(), interval '1 day', 'forged')`,
        ]) {
          await runner.startTransaction();
          await runner.query('SET LOCAL ROLE eca_app');
          const code = await runner.query(statement).then(
            () => 'ok',
            (error: { code?: string }) => error.code,
          );
          await runner.rollbackTransaction();
          expect([statement, code]).toEqual([statement, '42501']);
        }
      } finally {
        await runner.release();
      }
    });

    it('the active-strike condition agrees with isActiveStrike', async () => {
      const now = new Date('2026-06-01T00:00:00Z');
      const cases = [
        { removedAt: null, expiresAt: new Date('2026-06-02T00:00:00Z') },
        { removedAt: null, expiresAt: now },
        { removedAt: null, expiresAt: new Date('2026-05-01T00:00:00Z') },
        { removedAt: new Date('2026-05-15T00:00:00Z'), expiresAt: new Date('2027-01-01T00:00:00Z') },
      ];
      const rows: { active: boolean }[] = await db.dataSource.query(
        `SELECT ${activeStrikeSql('s', '$3')} AS active FROM unnest($1::timestamptz[], $2::timestamptz[]) WITH ORDINALITY AS s(removed_at, expires_at, n) ORDER BY n`,
        [cases.map((c) => c.removedAt), cases.map((c) => c.expiresAt), now],
      );
      expect(rows.map((r) => r.active)).toEqual(cases.map((c) => isActiveStrike(c, now)));
    });
  });
});

describe('fast track', () => {
  const settings = { accuracy: 0.9, minDecided: 10, windowDays: 365 };
  it('needs enough decided reports, then the accuracy', () => {
    expect(fastTrackVerdict({ confirmed: 9, rejected: 0 }, settings)).toMatchObject({
      fastTrack: false,
      accuracy: 1,
      rule: 'decided reports < 10 (reports of the last 365 days) -> not fast-tracked',
    });
    expect(fastTrackVerdict({ confirmed: 9, rejected: 1 }, settings)).toMatchObject({
      fastTrack: true,
      accuracy: 0.9,
      rule: 'accuracy >= 0.9 (reports of the last 365 days) -> fast-tracked',
    });
    expect(fastTrackVerdict({ confirmed: 17, rejected: 3 }, settings)).toMatchObject({
      fastTrack: false,
      accuracy: 0.85,
    });
    expect(fastTrackVerdict({ confirmed: 0, rejected: 10 }, settings)).toMatchObject({ fastTrack: false, accuracy: 0 });
  });

  it('counts the reports of the last windowDays UTC days, today included', () => {
    expect(fastTrackWindowStart(new Date('2026-03-10T23:59:00Z'), { ...settings, windowDays: 1 })).toBe('2026-03-10');
    expect(fastTrackWindowStart(new Date('2026-03-10T00:01:00Z'), { ...settings, windowDays: 10 })).toBe('2026-03-01');
  });
});

describe('risk score and reporter priority', () => {
  it("keeps a brand partner's riskScore as its priority and the risk score at 50; investigators set the risk score", () => {
    expect(reportedScores(Role.BRAND_PARTNER, { riskScore: 100 })).toEqual({ riskScore: 50, reporterPriority: 100 });
    expect(reportedScores(Role.BRAND_PARTNER, { reporterPriority: 70, riskScore: 70 })).toEqual({
      riskScore: 50,
      reporterPriority: 70,
    });
    expect(reportedScores(Role.BRAND_PARTNER, {})).toEqual({ riskScore: 50, reporterPriority: null });
    expect(reportedScores(Role.INVESTIGATOR, { riskScore: 95, reporterPriority: 10 })).toEqual({
      riskScore: 95,
      reporterPriority: 10,
    });
    expect(reportedScores(Role.ADMIN, {})).toEqual({ riskScore: 50, reporterPriority: null });
    expect(() => reportedScores(Role.BRAND_PARTNER, { riskScore: 100, reporterPriority: 10 })).toThrow(
      UserErrorException,
    );
  });
});

describe('strike thresholds', () => {
  it('calls for a status by active strikes, naming the rule', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map((n) => statusCalledFor(n, DEFAULTS))).toEqual([
      { status: ACTIVE, rule: 'strikes<1 -> ACTIVE' },
      { status: WARNED, rule: 'strikes>=1 -> WARNED' },
      { status: WARNED, rule: 'strikes>=1 -> WARNED' },
      { status: RESTRICTED, rule: 'strikes>=3 -> RESTRICTED' },
      { status: RESTRICTED, rule: 'strikes>=3 -> RESTRICTED' },
      { status: SUSPENDED, rule: 'strikes>=5 -> SUSPENDED' },
      { status: SUSPENDED, rule: 'strikes>=5 -> SUSPENDED' },
    ]);
    const strict = { ...DEFAULTS, toWarn: 2, toRestrict: 2, toSuspend: 4 };
    expect([1, 2, 4].map((n) => statusCalledFor(n, strict).status)).toEqual([ACTIVE, RESTRICTED, SUSPENDED]);
  });

  it('never lowers a status when strikes are added, and only asks for moves the lifecycle allows', () => {
    expect(statusAfterStrikes(SUSPENDED, 1, DEFAULTS)).toEqual({
      status: SUSPENDED,
      rule: 'strikes>=1 -> WARNED; a strike never lowers SUSPENDED',
    });
    expect(statusAfterStrikes(CLOSED, 9, DEFAULTS).status).toBe(CLOSED);
    for (const current of Object.values(SellerStatus)) {
      for (let n = 0; n <= 8; n += 1) {
        const next = statusAfterStrikes(current, n, DEFAULTS).status;
        if (next !== current)
          expect([current, next, sellerLifecycle.can(current, next)]).toEqual([current, next, true]);
      }
    }
  });

  it('follows the strikes down after a removal only when the status rested on them', () => {
    expect(statusAfterStrikeRemoved(RESTRICTED, 3, 2, DEFAULTS).status).toBe(WARNED);
    expect(statusAfterStrikeRemoved(WARNED, 1, 0, DEFAULTS).status).toBe(ACTIVE);
    expect(statusAfterStrikeRemoved(SUSPENDED, 5, 4, DEFAULTS).status).toBe(RESTRICTED);
    expect(statusAfterStrikeRemoved(RESTRICTED, 4, 3, DEFAULTS).status).toBe(RESTRICTED); // still 3
    expect(statusAfterStrikeRemoved(SUSPENDED, 1, 0, DEFAULTS).status).toBe(SUSPENDED); // set by an investigator
    expect(statusAfterStrikeRemoved(WARNED, 3, 2, DEFAULTS).status).toBe(WARNED); // lifted below the strikes
    expect(statusAfterStrikeRemoved(CLOSED, 5, 0, DEFAULTS).status).toBe(CLOSED);
    for (const current of Object.values(SellerStatus)) {
      for (let n = 1; n <= 8; n += 1) {
        const next = statusAfterStrikeRemoved(current, n, n - 1, DEFAULTS).status;
        if (next !== current)
          expect([current, next, sellerLifecycle.can(current, next)]).toEqual([current, next, true]);
      }
    }
  });

  it('dates a strike: expiry and the same-listing window', () => {
    const now = new Date('2026-06-01T00:00:00Z');
    expect(strikeTerms(now, DEFAULTS)).toMatchObject({
      expiresAt: new Date('2027-06-01T00:00:00Z'),
      sameListingSince: new Date('2026-05-02T00:00:00Z'),
    });
  });

  it('reverses a takedown for a counter-notice or an error, not for a corrected listing', () => {
    expect(Object.values(ReinstatementBasis).map((b) => [b, reversesTakedown(b)])).toEqual([
      ['COUNTER_NOTICE_UPHELD', true],
      ['TAKEDOWN_IN_ERROR', true],
      ['LISTING_CORRECTED', false],
    ]);
  });

  it("names an investigator's direct move a lift or a sanction; partial lifts are allowed", () => {
    expect(directActionRule(RESTRICTED, WARNED)).toEqual({
      kind: 'lift',
      rule: 'investigator lift RESTRICTED -> WARNED',
    });
    expect(directActionRule(WARNED, SUSPENDED)).toEqual({
      kind: 'sanction',
      rule: 'investigator sanction WARNED -> SUSPENDED',
    });
    expect(
      [
        [RESTRICTED, WARNED],
        [SUSPENDED, RESTRICTED],
        [SUSPENDED, WARNED],
        [SUSPENDED, ACTIVE],
      ].every(([from, to]) => sellerLifecycle.can(from, to)),
    ).toBe(true);
    expect(sellerLifecycle.can(CLOSED, SUSPENDED)).toBe(false);
  });
});

describe('settings', () => {
  it('defaults to 1/3/5 strikes, a 30-day same-listing window, a 365-day expiry and a 365-day fast-track window', () => {
    const settings = loadFeatureSettings({});
    expect(settings.strikes).toEqual(DEFAULTS);
    expect(settings.fastTrack).toEqual({ accuracy: 0.9, minDecided: 10, windowDays: 365 });
  });

  it('reads them from the environment and refuses values that make no sense', () => {
    expect(
      loadFeatureSettings({
        STRIKES_TO_WARN: '2',
        STRIKES_TO_RESTRICT: '4',
        STRIKES_TO_SUSPEND: '6',
        STRIKE_EXPIRY_DAYS: '90',
        STRIKE_SAME_LISTING_WINDOW_DAYS: '7',
        FAST_TRACK_WINDOW_DAYS: '180',
      }),
    ).toMatchObject({
      strikes: { toWarn: 2, toRestrict: 4, toSuspend: 6, expiryDays: 90, sameListingWindowDays: 7 },
      fastTrack: { windowDays: 180 },
    });
    expect(() => loadFeatureSettings({ STRIKES_TO_RESTRICT: '6' })).toThrow(/strike thresholds must not decrease/);
    expect(() => loadFeatureSettings({ STRIKES_TO_WARN: '0' })).toThrow(
      /STRIKES_TO_WARN must be a whole number of strikes from 1 to 1000/,
    );
    expect(() => loadFeatureSettings({ STRIKE_EXPIRY_DAYS: '20' })).toThrow(
      /STRIKE_SAME_LISTING_WINDOW_DAYS \(30\) must not exceed STRIKE_EXPIRY_DAYS \(20\)/,
    );
    expect(() => loadFeatureSettings({ FAST_TRACK_WINDOW_DAYS: 'a year' })).toThrow(
      /FAST_TRACK_WINDOW_DAYS must be a whole number of days/,
    );
  });
});
