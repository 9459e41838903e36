import { dataOf } from '../support/server';
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
import { buildPortalWorld, PortalWorld, rowId } from './portal-world';
import type { Browser } from 'playwright-core';
import { useTestServer } from '../support/harness';

// A brand partner's portal: nothing before sign-in, then its own cases page by page, filtered, one case in
// full (referrals, outcomes, timeline), CSV downloads, its figures, sign-out. Each table is compared with
// the API's answer to the same question, and the case list with the database (owner connection).

const CASES = `query($filter: LeadFilter, $first: Int, $after: String, $last: Int, $before: String) {
  leads(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
    totalCount pageInfo { hasNextPage hasPreviousPage } nodes { reference createdAt status description investigation { reference status } } } }`;
const caseRow = (lead: any) => [
  lead.reference,
  day(lead.createdAt),
  label(lead.status),
  lead.description,
  lead.investigation?.reference ?? '',
  label(lead.investigation?.status),
];

describeInChromium('the portal of a brand partner', () => {
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
    dataOf(await server.gql(w.world.keys.brandA, query, variables));
  /** Brand A's cases in the database, newest first (the API's order). */
  const casesInDatabase = async () =>
    (
      await db.dataSource.query(
        `SELECT l.reference FROM lead l JOIN lead_brand lb ON lb.lead_id = l.id WHERE lb.brand_id = $1 ORDER BY l.created_at DESC, l.id DESC`,
        [w.world.ids.brandA],
      )
    ).map((r: { reference: string }) => r.reference);

  it('shows nothing before sign-in, then names the brand and lists its cases page by page, as the API and the database have them', async () => {
    const { page, outside, problems, ...watch } = await watchedPage(browser, server.url);
    await page.goto(`${server.url}/dashboard`);
    expect(await page.locator('#sign-in').isVisible()).toBe(true);
    for (const hidden of ['#portal', '#figures-view', '#cases-view', '#inbox-view', '#who', '#sign-out'])
      expect([hidden, await page.locator(hidden).isVisible()]).toEqual([hidden, false]);
    expect(await page.evaluate(() => (globalThis as any).document.activeElement.id)).toBe('api-key');
    expect(watch.graphqlRequests).toBe(0);
    await screenshot(page, 'sign-in');

    await signIn(page, server.url, w.world.keys.brandA);
    await ready(page, '#cases-list');
    expect(await page.getByTestId('who').innerText()).toBe('brand A portal · Brand partner · Alpha');
    expect(await page.locator('#tabs button').allInnerTexts()).toEqual(['Cases', 'Figures']);
    expect(await page.locator('#figures-view').isVisible()).toBe(false);

    // Five per page: the first page, as the API answers the page's own question.
    await page.locator('#case-page-size').selectOption('5');
    await page.getByRole('button', { name: 'Apply' }).click();
    await ready(page, '#cases-list');
    const asked = await page.evaluate(() => (globalThis as any).portal.tables.cases.asked);
    expect(asked).toEqual({ filter: {}, first: 5 });
    const first = (await gql(CASES, asked)).leads;
    const shown1 = await tableText(page, '#cases-table');
    expect(shown1.header).toEqual([
      'Case',
      'Reported',
      'Status',
      'Description',
      'Investigation',
      'Investigation status',
    ]);
    expect(shown1.rows).toEqual(first.nodes.map(caseRow));
    expect(await page.locator('#cases-list .pager span').innerText()).toBe(`1–5 of ${first.totalCount}`);
    await screenshot(page, 'brand-cases');
    await expectCsvOfTable(page, 'csv-cases', '#cases-table');

    // Next, then Previous (Relay: after endCursor, before startCursor).
    await page.getByRole('button', { name: 'Next →' }).click();
    await ready(page, '#cases-list');
    const askedNext = await page.evaluate(() => (globalThis as any).portal.tables.cases.asked);
    expect(Object.keys(askedNext).sort()).toEqual(['after', 'filter', 'first']);
    const second = (await gql(CASES, askedNext)).leads;
    const shown2 = await tableText(page, '#cases-table');
    expect(shown2.rows).toEqual(second.nodes.map(caseRow));
    expect(await page.getByRole('button', { name: 'Next →' }).isDisabled()).toBe(true);
    // Every case of the brand, in order, and only those: the database's list (brand B's cases are not there).
    expect([...shown1.rows, ...shown2.rows].map((row) => row[0])).toEqual(await casesInDatabase());
    expect(first.totalCount).toBe(w.brandALeads.length);

    await page.getByRole('button', { name: '← Previous' }).click();
    await ready(page, '#cases-list');
    const askedBack = await page.evaluate(() => (globalThis as any).portal.tables.cases.asked);
    expect(Object.keys(askedBack).sort()).toEqual(['before', 'filter', 'last']);
    expect((await tableText(page, '#cases-table')).rows).toEqual(shown1.rows);
    expect(await page.getByRole('button', { name: '← Previous' }).isDisabled()).toBe(true);

    // A filter the API supports: status NEW, reported today.
    const today = new Date().toISOString().slice(0, 10);
    await page.locator('#case-status').selectOption('NEW');
    await page.locator('#case-from').fill(today);
    await page.locator('#case-to').fill(today);
    await page.getByRole('button', { name: 'Apply' }).click();
    await ready(page, '#cases-list');
    const askedNew = await page.evaluate(() => (globalThis as any).portal.tables.cases.asked);
    expect(askedNew.filter.status).toEqual(['NEW']);
    const onlyNew = (await gql(CASES, askedNew)).leads;
    expect((await tableText(page, '#cases-table')).rows).toEqual(onlyNew.nodes.map(caseRow));
    const [newInDb] = await db.dataSource.query(`SELECT reference FROM lead WHERE id = $1 AND status = 'NEW'`, [
      rowId(w.brandALeads[6]),
    ]);
    expect(onlyNew.nodes.map((l: any) => l.reference)).toEqual([newInDb.reference]);

    // Sign-out hides everything and forgets the key.
    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(await page.locator('#portal').isVisible()).toBe(false);
    expect(await page.getByTestId('sign-in-message').innerText()).toBe('Signed out.');
    expect(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('eca:dashboard:apiKey'))).toBeNull();
    expect(outside).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("opens a case: its referrals, the agencies' outcomes and its timeline, as the API answers them", async () => {
    const { page, problems } = await watchedPage(browser, server.url);
    // By keyboard alone: the key field has the focus, Enter signs in, Tab reaches the case, Enter opens it.
    await page.goto(`${server.url}/dashboard`);
    await page.keyboard.type(w.world.keys.brandA);
    await page.keyboard.press('Enter');
    await ready(page, '#cases-list');
    const [lead] = await db.dataSource.query(`SELECT reference FROM lead WHERE id = $1`, [rowId(w.fullCase.leadId)]);
    const caseButton = page.getByRole('button', { name: lead.reference, exact: true });
    for (
      let tabs = 0;
      tabs < 30 && !(await caseButton.evaluate((button: any) => button === button.ownerDocument.activeElement));
      tabs += 1
    )
      await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await ready(page, '#case-view');
    await ready(page, '#case-history');
    expect(await page.getByTestId('case-title').innerText()).toBe(`Case ${lead.reference}`);
    expect(await page.evaluate(() => (globalThis as any).document.activeElement.id)).toBe('case-title');

    const api = (
      await gql(
        `query($id: ID!) { node(id: $id) { ... on Lead { investigation {
      referrals { reference status sentAt acknowledgedAt firstActionAt agency { name code } outcomes { kind occurredAt arrests densDestroyed convictions seizedValue { amount currency } } }
      history(first: 20) { totalCount nodes { at entityType action } } } } } }`,
        { id: w.fullCase.leadId },
      )
    ).node.investigation;
    const referrals = await tableText(page, '#case-referrals');
    expect(referrals.rows).toEqual(
      api.referrals.map((r: any) => [
        r.reference,
        `${r.agency.name} (${r.agency.code})`,
        label(r.status),
        day(r.sentAt),
        day(r.acknowledgedAt),
        day(r.firstActionAt),
        String(r.outcomes.length),
      ]),
    );
    // The database: the case's referrals and their outcomes.
    const inDb = await db.dataSource.query(
      `SELECT r.reference, r.status, (SELECT count(*)::int FROM enforcement_outcome o WHERE o.referral_id = r.id) AS outcomes
         FROM referral r WHERE r.investigation_id = $1 AND r.status <> 'DRAFT' ORDER BY r.id`,
      [rowId(w.fullCase.investigationId)],
    );
    expect(referrals.rows.map((row) => [row[0], row[2], Number(row[6])])).toEqual(
      inDb.map((r: any) => [r.reference, label(r.status), r.outcomes]),
    );

    const outcomes = await tableText(page, '#case-outcomes');
    expect(outcomes.rows).toEqual([
      [
        api.referrals[0].reference,
        'Raid',
        day(api.referrals[0].outcomes[0].occurredAt),
        '3',
        '1',
        '0',
        '123,456 CNY',
        '',
      ],
    ]);

    const history = await tableText(page, '#case-history-table');
    expect(history.header).toEqual(['When', 'Record', 'What happened']);
    expect(history.rows).toEqual(
      api.history.nodes.map((e: any) => [`${e.at.slice(0, 10)} ${e.at.slice(11, 16)} UTC`, e.entityType, e.action]),
    );
    expect(history.rows.map((row) => row[2])).toEqual(
      expect.arrayContaining(['lead.reported', 'referral.sent', 'referral.acknowledged']),
    );
    expect(await page.locator('#case-history .pager span').innerText()).toBe(
      `1–${Math.min(20, api.history.totalCount)} of ${api.history.totalCount}`,
    );
    await screenshot(page, 'brand-case');
    await expectCsvOfTable(page, 'csv-case-history', '#case-history-table');
    await expectCsvOfTable(page, 'csv-case-outcomes', '#case-outcomes');

    // Back to the list, as it was.
    await page.getByRole('button', { name: '← All cases' }).click();
    expect(await page.locator('#cases-view').isVisible()).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("shows the brand's own figures, and reads on a narrow screen without overflowing", async () => {
    const { page, problems } = await watchedPage(browser, server.url, { width: 390, height: 844 });
    await signIn(page, server.url, w.world.keys.brandA);
    await ready(page, '#cases-list');
    const overflow = () =>
      page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth - (globalThis as any).innerWidth);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await screenshot(page, 'brand-cases-narrow');

    await page.getByRole('button', { name: 'Figures' }).click();
    await ready(page, '#figures-view');
    const asked = await page.evaluate(() => (globalThis as any).portal.figures.filter);
    const api = (
      await gql(
        `query($filter: AnalyticsFilter) { analytics(filter: $filter) { enforcementFunnel { stages { stage count } } outcomeTotals { raids arrests } } }`,
        { filter: asked.filter },
      )
    ).analytics;
    for (const stage of api.enforcementFunnel.stages)
      expect([stage.stage, await page.getByTestId(`funnel-${stage.stage}`).innerText()]).toEqual([
        stage.stage,
        String(stage.count),
      ]);
    expect(api.enforcementFunnel.stages[0].count).toBe(w.brandALeads.length);
    expect(await page.getByTestId('total-arrests').innerText()).toBe(String(api.outcomeTotals.arrests));
    expect(await page.locator('#filter-brand option').allInnerTexts()).toEqual(['All brands', 'Alpha']);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await screenshot(page, 'brand-figures-narrow');
    expect(problems).toEqual([]);
    await page.close();
  });
});
