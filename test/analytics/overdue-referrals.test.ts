// `overdueReferrals.longestOverdueDays` is the longest lateness over both deadlines. A
// referral still SENT 40 days after its acknowledgement deadline and 10 after its action deadline is 40
// days late (it reported 10: the action deadline was read first). Compared with the lateness computed here
// in SQL through the owner connection, from the rule of referral.deadlines.ts: the acknowledgement deadline
// runs while a referral is SENT, the action deadline while it is SENT or ACKNOWLEDGED.
import { dataOf } from '../support/server';
import { insertLead } from './fixture';
import { useTestServer } from '../support/harness';

const { db, world, server } = useTestServer({
  beforeServer: async () => {
    for (const r of REFERRALS) {
      const ids = await insertLead(db.dataSource, world, {
        name: r.name,
        brands: [r.brand],
        sellers: [r.brand === 'brandA' ? 'sellerA' : 'sellerB'],
        source: 'BRAND_REPORT',
        status: 'REFERRED',
        createdAt: '2026-01-01T00:00:00Z',
        investigation: {
          createdAt: '2026-01-02T00:00:00Z',
          status: 'REFERRED',
          referrals: [
            { agency: r.agency, status: r.status, createdAt: '2026-01-03T00:00:00Z', sentAt: '2026-01-04T00:00:00Z' },
          ],
        },
      });
      await db.dataSource.query(
        `UPDATE referral SET acknowledge_by = now() + make_interval(days => $2), action_by = now() + make_interval(days => $3) WHERE id = $1`,
        [ids.referral0, r.acknowledgeBy, r.actionBy],
      );
    }
  },
});

type View = 'analyst' | 'brandA' | 'brandB' | 'agencyX' | 'agencyY';

/**
 * Deadlines in days from now (negative: passed). Agency X: R1 late on both (40 and 10 days), R2 acknowledged
 * and 5 days late on its action. Agency Y: R3 3 days late on its acknowledgement only, R4 acknowledged (its
 * acknowledgement deadline, 100 days ago, was met) and 12 days late on its action, R5 within both.
 */
const REFERRALS = [
  { name: 'R1', agency: 'agencyX', brand: 'brandA', status: 'SENT', acknowledgeBy: -40, actionBy: -10 },
  { name: 'R2', agency: 'agencyX', brand: 'brandB', status: 'ACKNOWLEDGED', acknowledgeBy: -50, actionBy: -5 },
  { name: 'R3', agency: 'agencyY', brand: 'brandA', status: 'SENT', acknowledgeBy: -3, actionBy: 20 },
  { name: 'R4', agency: 'agencyY', brand: 'brandB', status: 'ACKNOWLEDGED', acknowledgeBy: -100, actionBy: -12 },
  { name: 'R5', agency: 'agencyY', brand: 'brandB', status: 'SENT', acknowledgeBy: 2, actionBy: 50 },
];

interface Figures {
  agency: { code: string };
  waiting: number;
  overdue: number;
  acknowledgementOverdue: number;
  actionOverdue: number;
  longestOverdueDays: number | null;
}

async function figures(view: View): Promise<Figures[]> {
  const response = await server.gql(
    world.keys[view],
    '{ analytics { overdueReferrals { agency { code } waiting overdue acknowledgementOverdue actionOverdue longestOverdueDays } } }',
  );
  return dataOf(response).analytics.overdueReferrals;
}

/**
 * The same, in SQL: per agency, the greatest lateness of any missed deadline of a waiting referral the view
 * sees ($1 brand scope: referrals behind leads naming the brand; $2 agency scope: its own).
 */
async function expected(view: View): Promise<Map<string, number | null>> {
  const brand = view === 'brandA' || view === 'brandB' ? world.ids[view] : null;
  const agency = view === 'agencyX' || view === 'agencyY' ? world.ids[view] : null;
  const rows: { code: string; days: string | null }[] = await db.dataSource.query(
    `
    SELECT a.code,
           extract(epoch FROM max(greatest(CASE WHEN r.status = 'SENT' AND r.acknowledge_by < now() THEN now() - r.acknowledge_by END,
                                           CASE WHEN r.status IN ('SENT', 'ACKNOWLEDGED') AND r.action_by < now() THEN now() - r.action_by END))) / 86400 AS days
    FROM referral r JOIN agency a ON a.id = r.agency_id
    WHERE r.status IN ('SENT', 'ACKNOWLEDGED')
      AND ($1::bigint IS NULL OR EXISTS (SELECT 1 FROM lead l JOIN lead_brand lb ON lb.lead_id = l.id WHERE l.investigation_id = r.investigation_id AND lb.brand_id = $1))
      AND ($2::bigint IS NULL OR r.agency_id = $2)
    GROUP BY a.code`,
    [brand, agency],
  );
  return new Map(rows.map((row) => [row.code, row.days === null ? null : Number(row.days)]));
}

describe('overdue referrals per agency', () => {
  it('report the longest lateness over both deadlines: 40 days late on the acknowledgement and 10 on the action is 40', async () => {
    const all = await figures('analyst');
    expect(all.map(({ longestOverdueDays, ...rest }) => rest)).toEqual([
      { agency: { code: 'AG-Y' }, waiting: 3, overdue: 2, acknowledgementOverdue: 1, actionOverdue: 1 },
      { agency: { code: 'AG-X' }, waiting: 2, overdue: 2, acknowledgementOverdue: 1, actionOverdue: 2 },
    ]);
    const days = Object.fromEntries(all.map((row) => [row.agency.code, row.longestOverdueDays]));
    expect(days['AG-X']).toBeCloseTo(40, 2);
    // R4's acknowledgement deadline of 100 days ago was met (it is ACKNOWLEDGED): 12, from its action deadline.
    expect(days['AG-Y']).toBeCloseTo(12, 2);
  });

  it('agree with the lateness computed in SQL, in every view', async () => {
    for (const view of ['analyst', 'brandA', 'brandB', 'agencyX', 'agencyY'] as View[]) {
      const answer = await figures(view);
      const sql = await expected(view);
      expect({ view, agencies: answer.map((row) => row.agency.code).sort() }).toEqual({
        view,
        agencies: [...sql.keys()].sort(),
      });
      for (const row of answer) {
        const days = sql.get(row.agency.code);
        if (days === null || days === undefined)
          expect({ view, code: row.agency.code, days: row.longestOverdueDays }).toEqual({
            view,
            code: row.agency.code,
            days: null,
          });
        else expect(row.longestOverdueDays).toBeCloseTo(days, 2);
      }
    }
    // Brand A sees R1 (X) and R3 (Y): 40 and 3 days.
    const brandA = Object.fromEntries(
      (await figures('brandA')).map((row) => [row.agency.code, row.longestOverdueDays]),
    );
    expect(brandA['AG-X']).toBeCloseTo(40, 2);
    expect(brandA['AG-Y']).toBeCloseTo(3, 2);
  });
});
