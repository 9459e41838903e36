import type { Browser } from 'playwright-core';
import { dataOf, testConfig } from '../support/server';
import {
  day,
  describeInChromium,
  expectCsvOfTable,
  label,
  launchChromium,
  ready,
  screenshot,
  signIn,
  tableText,
  watchedPage,
} from '../support/browser';
import { createApiKey, revokeApiKey } from '../../src/modules/principal/principal.service';
import { Role } from '../../src/shared/auth/role';
import { systemContext } from '../../src/shared/context';
import { toGlobalId } from '../../src/shared/relay/global-id';
import { buildPortalWorld, PortalWorld, rowId } from './portal-world';
import { useTestServer } from '../support/harness';

// An agency's portal: its referral inbox, overdue ones first, with deadlines; one referral with the evidence
// disclosed to it and the outcomes reported. Then keys the API refuses: unknown, revoked, revoked mid-session.

const INBOX = `query($filter: ReferralFilter, $first: Int, $after: String, $last: Int, $before: String) {
  referrals(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
    totalCount nodes { reference status sentAt acknowledgeBy actionBy missedDeadline agencyCaseReference agency { code } } } }`;
const MISSED: Record<string, string> = { ACKNOWLEDGEMENT: 'Acknowledgement', ACTION: 'Action' };
const inboxRow = (r: any) => [
  r.reference,
  r.agency.code,
  label(r.status),
  day(r.sentAt),
  day(r.acknowledgeBy),
  day(r.actionBy),
  r.missedDeadline ? MISSED[r.missedDeadline] : '',
  r.agencyCaseReference ?? '',
];

describeInChromium('the portal of an agency, and keys it refuses', () => {
  const { db, server } = useTestServer({
    world: false,
    beforeClose: async () => {
      await browser?.close();
    },
  });
  let w: PortalWorld;
  let browser: Browser;

  beforeAll(async () => {
    w = await buildPortalWorld(db, server);
    browser = await launchChromium();
  }, 120_000);

  const gql = async (query: string, variables?: Record<string, unknown>) =>
    dataOf(await server.gql(w.world.keys.agencyX, query, variables));

  it("lists the agency's referrals, overdue first, with their deadlines, as the API and the database have them", async () => {
    const { page, outside, problems } = await watchedPage(browser, server.url);
    await signIn(page, server.url, w.world.keys.agencyX);
    await ready(page, '#inbox-overdue');
    await ready(page, '#inbox-current');
    expect(await page.getByTestId('who').innerText()).toBe('agency X tool · Agency liaison · Agency X (AG-X)');
    expect(await page.locator('#tabs button').allInnerTexts()).toEqual(['Referral inbox', 'Figures']);
    expect(await page.locator('#inbox-title').innerText()).toBe('Referral inbox');

    const header = [
      'Referral',
      'Agency',
      'Status',
      'Sent',
      'Acknowledge by',
      'Act by',
      'Missed deadline',
      'Agency case',
    ];
    const tables = await page.evaluate(() => ({
      overdue: (globalThis as any).portal.tables['inbox-overdue'].asked,
      current: (globalThis as any).portal.tables['inbox-current'].asked,
    }));
    expect(tables.overdue).toEqual({ filter: { overdue: true }, first: 20 });
    const overdue = (await gql(INBOX, tables.overdue)).referrals;
    const current = (await gql(INBOX, tables.current)).referrals;
    const shownOverdue = await tableText(page, '#inbox-overdue-table');
    const shownCurrent = await tableText(page, '#inbox-current-table');
    expect(shownOverdue.header).toEqual(header);
    expect(shownOverdue.rows).toEqual(overdue.nodes.map(inboxRow));
    expect(shownCurrent.rows).toEqual(current.nodes.map(inboxRow));
    expect(shownOverdue.rows.map((row) => row[6])).toEqual(['Acknowledgement', 'Acknowledgement']);

    // The database: agency X's referrals (never drafts), overdue ones those past a deadline.
    const inDb = await db.dataSource.query(
      `SELECT r.reference, (r.status = 'SENT' AND r.acknowledge_by < now()) OR (r.status IN ('SENT', 'ACKNOWLEDGED') AND r.action_by < now()) AS overdue
         FROM referral r WHERE r.agency_id = $1 AND r.status <> 'DRAFT' ORDER BY r.created_at DESC, r.id DESC`,
      [w.world.ids.agencyX],
    );
    expect(shownOverdue.rows.map((row) => row[0])).toEqual(
      inDb.filter((r: any) => r.overdue).map((r: any) => r.reference),
    );
    expect(shownCurrent.rows.map((row) => row[0])).toEqual(
      inDb.filter((r: any) => !r.overdue).map((r: any) => r.reference),
    );
    expect(inDb).toHaveLength(w.agencyXReferrals.length);
    await screenshot(page, 'agency-inbox');
    await expectCsvOfTable(page, 'csv-inbox-overdue', '#inbox-overdue-table');

    // A filter: those where the agency took action (the raid of the acknowledged one).
    await page.locator('#inbox-status').selectOption('ACTION_TAKEN');
    await page.getByRole('button', { name: 'Apply' }).click();
    await ready(page, '#inbox-current');
    await ready(page, '#inbox-overdue');
    const acknowledged = (
      await gql(INBOX, await page.evaluate(() => (globalThis as any).portal.tables['inbox-current'].asked))
    ).referrals;
    expect((await tableText(page, '#inbox-current-table')).rows).toEqual(acknowledged.nodes.map(inboxRow));
    expect(acknowledged.nodes.map((r: any) => r.agencyCaseReference)).toEqual(['YW-2026-0042']);
    expect((await tableText(page, '#inbox-overdue-table')).rows).toEqual([]);
    expect(await page.locator('#inbox-overdue-table tbody').innerText()).toBe('Nothing overdue.');
    expect(outside).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('opens a referral with the evidence disclosed to the agency and the outcomes reported', async () => {
    const { page, problems } = await watchedPage(browser, server.url);
    await signIn(page, server.url, w.world.keys.agencyX);
    await ready(page, '#inbox-overdue');
    const [overdueOne] = await db.dataSource.query(`SELECT reference FROM referral WHERE id = $1`, [
      rowId(w.agencyXReferrals[0]),
    ]);
    await page.getByRole('button', { name: overdueOne.reference, exact: true }).click();
    await ready(page, '#referral-view');
    expect(await page.getByTestId('referral-title').innerText()).toBe(`Referral ${overdueOne.reference}`);
    expect(await page.locator('#referral-facts').innerText()).toContain('overdue (acknowledgement)');

    const api = (
      await gql(
        `query($id: ID!) { node(id: $id) { ... on Referral { disclosedEvidence { kind description collectedAt collectedBy custodian sha256 } } } }`,
        { id: w.agencyXReferrals[0] },
      )
    ).node;
    const evidence = await tableText(page, '#referral-evidence');
    expect(evidence.rows).toEqual(
      api.disclosedEvidence.map((e: any) => [
        label(e.kind),
        e.description,
        day(e.collectedAt),
        e.collectedBy,
        e.custodian,
        e.sha256,
      ]),
    );
    const inDb = await db.dataSource.query(
      `SELECT e.kind, e.sha256 FROM referral_evidence re JOIN evidence e ON e.id = re.evidence_id WHERE re.referral_id = $1 ORDER BY e.id`,
      [rowId(w.agencyXReferrals[0])],
    );
    expect(inDb.length).toBeGreaterThan(0);
    expect(evidence.rows.map((row) => [row[0], row[5]])).toEqual(inDb.map((e: any) => [label(e.kind), e.sha256]));
    await screenshot(page, 'agency-referral');
    await expectCsvOfTable(page, 'csv-disclosed-evidence', '#referral-evidence');

    // The acknowledged referral: the raid the agency reported.
    await page.getByRole('button', { name: '← All referrals' }).click();
    await ready(page, '#inbox-current');
    const [acted] = await db.dataSource.query(`SELECT reference FROM referral WHERE id = $1`, [
      rowId(w.fullCase.referralId),
    ]);
    await page.getByRole('button', { name: acted.reference, exact: true }).click();
    await ready(page, '#referral-view');
    const outcomes = await tableText(page, '#referral-outcomes');
    const [raid] = await db.dataSource.query(`SELECT occurred_at FROM enforcement_outcome WHERE referral_id = $1`, [
      rowId(w.fullCase.referralId),
    ]);
    expect(outcomes.rows).toEqual([
      ['Raid', day((raid.occurred_at as Date).toISOString()), '3', '1', '0', '123,456 CNY', ''],
    ]);

    // Its figures: over its own referrals only.
    await page.getByRole('button', { name: 'Figures' }).click();
    await ready(page, '#figures-view');
    const asked = await page.evaluate(() => (globalThis as any).portal.figures.filter);
    const figures = (
      await gql(
        `query($filter: AnalyticsFilter) { analytics(filter: $filter) { outcomeTotals { raids arrests }
      overdueReferrals { agency { name code } waiting overdue acknowledgementOverdue actionOverdue } } }`,
        { filter: asked.filter },
      )
    ).analytics;
    expect(await page.getByTestId('total-arrests').innerText()).toBe(String(figures.outcomeTotals.arrests));
    expect(figures.outcomeTotals.arrests).toBe(3);
    const overdue = await tableText(page, '#overdue-table');
    expect(overdue.rows.map((row) => row.slice(0, 5))).toEqual(
      figures.overdueReferrals.map((a: any) => [
        `${a.agency.name} (${a.agency.code})`,
        String(a.waiting),
        String(a.overdue),
        String(a.acknowledgementOverdue),
        String(a.actionOverdue),
      ]),
    );
    const [waiting] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM referral WHERE agency_id = $1 AND status IN ('SENT', 'ACKNOWLEDGED')`,
      [w.world.ids.agencyX],
    );
    expect(overdue.rows).toHaveLength(1);
    expect([overdue.rows[0][0], Number(overdue.rows[0][1]), Number(overdue.rows[0][2])]).toEqual([
      'Agency X (AG-X)',
      waiting.n,
      2,
    ]);
    await screenshot(page, 'agency-figures');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('says so when a key is unknown or revoked, shows nothing, and signs out when the key is revoked during the session', async () => {
    const { page, problems } = await watchedPage(browser, server.url);
    const refused = 'This API key was not accepted: The API key is unknown or revoked. Check it, or ask for a new one.';
    await signIn(page, server.url, 'eca_not-a-key');
    await page.getByTestId('sign-in-message').getByText('not accepted').waitFor();
    expect(await page.getByTestId('sign-in-message').innerText()).toBe(refused);
    expect(await page.locator('#portal').isVisible()).toBe(false);
    expect(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('eca:dashboard:apiKey'))).toBeNull();
    await screenshot(page, 'bad-key');

    const ctx = systemContext(db.dataSource, testConfig());
    const created = await createApiKey(ctx, {
      name: 'to revoke',
      principalId: toGlobalId(
        'Principal',
        (await db.dataSource.query(`SELECT p.id FROM principal p WHERE p.name = 'agency X tool'`))[0].id,
      ),
    });
    await revokeApiKey(ctx, toGlobalId('ApiKey', created.apiKey.rowId));
    await signIn(page, server.url, created.token);
    await page.getByTestId('sign-in-message').getByText('not accepted').waitFor();
    expect(await page.getByTestId('sign-in-message').innerText()).toBe(refused);
    expect(await page.locator('#portal').isVisible()).toBe(false);

    // Revoked while signed in: the next request signs out, saying why.
    const live = await createApiKey(ctx, { name: 'revoked later', principalId: created.principal.globalId });
    await signIn(page, server.url, live.token);
    await ready(page, '#inbox-overdue');
    await revokeApiKey(ctx, toGlobalId('ApiKey', live.apiKey.rowId));
    const [revokedInDb] = await db.dataSource.query(`SELECT revoked_at FROM api_key WHERE id = $1`, [
      live.apiKey.rowId,
    ]);
    expect(revokedInDb.revoked_at).not.toBeNull();
    await page.getByRole('button', { name: 'Figures' }).click();
    await page.getByTestId('sign-in-message').getByText('not accepted').waitFor({ timeout: 15_000 });
    expect(await page.locator('#portal').isVisible()).toBe(false);
    expect(await page.getByTestId('sign-in-message').innerText()).toContain('The API key is unknown or revoked.');
    expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
    await page.close();
  });
});
