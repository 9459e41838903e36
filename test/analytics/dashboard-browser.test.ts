import type { Browser } from 'playwright-core';
import { TestDatabase } from '../support/database';
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
import { Role } from '../../src/shared/auth/role';
import { systemContext } from '../../src/shared/context';
import { createApiKey } from '../../src/modules/principal/principal.service';
import { refreshAnalyticsRollups } from '../../src/modules/analytics/seller-network.service';
import { seedDataset } from '../../src/seed/seed';
import { World } from '../support/fixtures';
import { insertLead } from './fixture';
import { useTestServer } from '../support/harness';

// Browser globals, for the functions that run in the page (the test compiles without the DOM library).
declare const document: any;
declare const window: any;
declare const sessionStorage: { getItem(key: string): string | null };

// The portal of internal roles (analysts, administrators) over the demo's dataset: the figures' charts and
// tables compared with the API's answer to the same question (and the overdue referrals with the database),
// the figures' filters, the case list and the referrals of every tenant.

const QUERY = `query($filter: AnalyticsFilter, $granularity: Granularity!) { analytics(filter: $filter) {
  enforcementFunnel { stages { stage count } }
  outcomeTotals { raids arrests densDestroyed convictions }
  outcomeSeries(granularity: $granularity) { buckets { start raids arrests } }
  takedownSeries(granularity: $granularity) { buckets { start listingsTakenDown sellersClosed } }
  regionBreakdown { region funnel { leads actioned } outcomes { raids } } } }`;

/** A few cases of the last months on top of the generated ones, so that every chart has something to show. */
async function addRecentCases(db: TestDatabase) {
  const pick = async (table: string, n: number) =>
    (await db.dataSource.query(`SELECT id::text AS id FROM ${table} ORDER BY id LIMIT ${n}`)).map(
      (r: { id: string }) => r.id,
    );
  const [brand] = await pick('brand', 1);
  const [sellerA, sellerB] = await pick('seller', 2);
  const [agency] = await pick('agency', 1);
  const world = { ids: { brand, sellerA, sellerB, agency }, gid: {}, keys: {} } as unknown as World;
  const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
  for (const [i, seller] of [sellerA, sellerB, sellerA].entries()) {
    await insertLead(db.dataSource, world, {
      name: `recent ${i}`,
      brands: ['brand'],
      sellers: [seller === sellerA ? 'sellerA' : 'sellerB'],
      source: 'BRAND_REPORT',
      status: 'REFERRED',
      createdAt: daysAgo(90 - i * 20),
      triagedAt: daysAgo(89 - i * 20),
      investigation: {
        createdAt: daysAgo(85 - i * 20),
        status: 'REFERRED',
        referrals: [
          {
            agency: 'agency',
            status: 'ACTION_TAKEN',
            createdAt: daysAgo(80 - i * 20),
            sentAt: daysAgo(80 - i * 20),
            acknowledgedAt: daysAgo(78 - i * 20),
            firstActionAt: daysAgo(70 - i * 20),
            outcomes: [{ kind: 'RAID', at: daysAgo(70 - i * 20), arrests: 2 + i, dens: 1, seized: [1_000_000, 'CNY'] }],
          },
        ],
      },
    });
  }
}

const FIGURES = `query($filter: AnalyticsFilter, $granularity: Granularity!) { analytics(filter: $filter) {
  timeToAction { leadToInvestigation { count medianDays p90Days } investigationToReferral { count medianDays p90Days } referralToAcknowledgement { count medianDays p90Days }
    referralToFirstAction { count medianDays p90Days } referralToConviction { count medianDays p90Days } }
  overdueReferrals { agency { name code } waiting overdue acknowledgementOverdue actionOverdue longestOverdueDays }
  reporterAccuracy(granularity: $granularity) { brand { name } period { leadsReported leadsConfirmed leadsRejected accuracy } fastTrack }
  repeatOffenders(first: 10) { sellers { seller { displayName platform region } strikes leads takedowns } networks { representative { displayName } sellerCount strikes leads takedowns } } } }`;

const n = (value: number) => new Intl.NumberFormat('en').format(value);
const days = (value: number | null) => (value === null ? '' : value.toFixed(1));
const percent = (share: number | null) => (share === null ? '' : `${(share * 100).toFixed(1)} %`);

describeInChromium('the portal of internal roles: figures, cases and referrals', () => {
  const { db, server } = useTestServer({
    world: false,
    beforeServer: async () => {
      const config = testConfig();
      // The demo's dataset: generated marketplace and two years of cases.
      await seedDataset(db.dataSource, { scale: 0.01, identifierHashKey: config.identifierHashKey });
      await addRecentCases(db);
      await refreshAnalyticsRollups(db.dataSource);
      const ctx = systemContext(db.dataSource, config);
      analystKey = (await createApiKey(ctx, { name: 'analyst', principal: { name: 'Analyst Wu', role: Role.ANALYST } }))
        .token;
      adminKey = (await createApiKey(ctx, { name: 'admin', principal: { name: 'Admin Chen', role: Role.ADMIN } }))
        .token;
    },
    beforeClose: async () => {
      await browser?.close();
    },
    timeout: 120_000,
  });
  let browser: Browser;
  let analystKey: string;
  let adminKey: string;

  beforeAll(async () => {
    browser = await launchChromium();
  }, 120_000);

  const numbers = (texts: string[]) => texts.map((text) => Number(text.replace(/[^0-9]/g, '')));
  const gql = async (key: string, query: string, variables?: Record<string, unknown>) =>
    dataOf(await server.gql(key, query, variables));

  it('charts and tabulates the same numbers the API returns, offline, and filters them', async () => {
    const { page, outside, problems } = await watchedPage(browser, server.url, { width: 1400, height: 1800 });
    await signIn(page, server.url, analystKey);
    await ready(page, '#figures-view');
    expect(await page.getByTestId('who').innerText()).toBe('Analyst Wu · Analyst');
    expect(await page.locator('#tabs button').allInnerTexts()).toEqual(['Figures', 'Cases', 'Referrals']);
    expect(await page.evaluate(() => sessionStorage.getItem('eca:dashboard:apiKey'))).toBe(analystKey);

    // The same question to the API, with the filter the page asked with.
    const asked = await page.evaluate(() => window.portal.figures.filter);
    const api = dataOf(await server.gql(analystKey, QUERY, asked)).analytics;
    expect(api.enforcementFunnel.stages[0].count).toBeGreaterThan(0);

    // Funnel: the chart's data and the table's text.
    const funnelChart = await page.evaluate(() => window.Chart.getChart('funnel-chart').data.datasets[0].data);
    expect(funnelChart).toEqual(api.enforcementFunnel.stages.map((s: any) => s.count));
    const funnelCells = await Promise.all(
      api.enforcementFunnel.stages.map((s: any) => page.getByTestId(`funnel-${s.stage}`).innerText()),
    );
    expect(numbers(funnelCells)).toEqual(api.enforcementFunnel.stages.map((s: any) => s.count));

    // Outcomes: totals as tiles, and over time.
    expect(
      numbers([
        await page.getByTestId('total-raids').innerText(),
        await page.getByTestId('total-arrests').innerText(),
        await page.getByTestId('total-dens').innerText(),
        await page.getByTestId('total-convictions').innerText(),
      ]),
    ).toEqual([
      api.outcomeTotals.raids,
      api.outcomeTotals.arrests,
      api.outcomeTotals.densDestroyed,
      api.outcomeTotals.convictions,
    ]);
    const outcomeChart = await page.evaluate(() => window.Chart.getChart('outcome-chart').data);
    expect(outcomeChart.labels).toEqual(api.outcomeSeries.buckets.map((b: any) => b.start.slice(0, 10)));
    expect(outcomeChart.datasets[0].data).toEqual(api.outcomeSeries.buckets.map((b: any) => b.raids));
    expect(outcomeChart.datasets[2].data).toEqual(api.outcomeSeries.buckets.map((b: any) => b.arrests));

    // Takedown series.
    const takedownChart = await page.evaluate(() => window.Chart.getChart('takedown-chart').data);
    expect(takedownChart.datasets[0].data).toEqual(api.takedownSeries.buckets.map((b: any) => b.listingsTakenDown));
    expect(takedownChart.datasets[4].data).toEqual(api.takedownSeries.buckets.map((b: any) => b.sellersClosed));
    expect(takedownChart.datasets[0].data.reduce((a: number, b: number) => a + b, 0)).toBeGreaterThan(0);

    // Regions: every region's leads, actioned and raids in the table, which stays within its panel.
    for (const region of api.regionBreakdown) {
      expect(
        numbers([
          await page.getByTestId(`region-${region.region}-leads`).innerText(),
          await page.getByTestId(`region-${region.region}-actioned`).innerText(),
          await page.getByTestId(`region-${region.region}-raids`).innerText(),
        ]),
      ).toEqual([region.funnel.leads, region.funnel.actioned, region.outcomes.raids]);
    }
    const regionPanel = await page.locator('#region-table').evaluate((table: any) => {
      const panel = table.closest('.panel');
      return {
        panel: panel.getBoundingClientRect().right,
        table: table.closest('.table-wrap').getBoundingClientRect().right,
        overflow: panel.scrollWidth - panel.clientWidth,
      };
    });
    expect(regionPanel.overflow).toBeLessThanOrEqual(0);
    expect(regionPanel.table).toBeLessThanOrEqual(regionPanel.panel);
    await expectCsvOfTable(page, 'csv-regions', '#region-table');

    // The panels added for the portal: time to action, overdue referrals, reporter accuracy, repeat offenders.
    const more = (await gql(analystKey, FIGURES, asked)).analytics;
    const time = more.timeToAction;
    expect((await tableText(page, '#time-table')).rows).toEqual(
      [
        ['Lead → investigation opened', time.leadToInvestigation],
        ['Investigation → referral sent', time.investigationToReferral],
        ['Referral sent → acknowledged', time.referralToAcknowledgement],
        ['Referral sent → first action', time.referralToFirstAction],
        ['Referral sent → conviction', time.referralToConviction],
      ].map(([text, stats]: any[]) => [text, n(stats.count), days(stats.medianDays), days(stats.p90Days)]),
    );
    expect(time.referralToFirstAction.count).toBeGreaterThan(0);
    const overdue = await tableText(page, '#overdue-table');
    expect(overdue.rows).toEqual(
      more.overdueReferrals.map((a: any) => [
        `${a.agency.name} (${a.agency.code})`,
        n(a.waiting),
        n(a.overdue),
        n(a.acknowledgementOverdue),
        n(a.actionOverdue),
        days(a.longestOverdueDays),
      ]),
    );
    // The database: referrals sent in the period and waiting for the agency, per agency.
    const waiting = await db.dataSource.query(
      `SELECT a.code, count(*)::int AS waiting FROM referral r JOIN agency a ON a.id = r.agency_id
        WHERE r.status IN ('SENT', 'ACKNOWLEDGED') AND r.sent_at >= $1 AND r.sent_at < $2 GROUP BY a.code ORDER BY a.code`,
      [asked.filter.from, asked.filter.to],
    );
    expect(waiting.length).toBeGreaterThan(0);
    expect(overdue.rows.map((row) => [row[0].replace(/.*\((.*)\)$/, '$1'), Number(row[1])]).sort()).toEqual(
      waiting.map((r: any) => [r.code, r.waiting]).sort(),
    );
    expect((await tableText(page, '#accuracy-table')).rows).toEqual(
      more.reporterAccuracy.map((b: any) => [
        b.brand.name,
        n(b.period.leadsReported),
        n(b.period.leadsConfirmed),
        n(b.period.leadsRejected),
        percent(b.period.accuracy),
        b.fastTrack ? 'yes' : 'no',
      ]),
    );
    expect((await tableText(page, '#offenders-table')).rows).toEqual(
      more.repeatOffenders.sellers.map((s: any) => [
        s.seller.displayName,
        s.seller.platform,
        s.seller.region,
        n(s.strikes),
        n(s.leads),
        n(s.takedowns),
      ]),
    );
    expect(more.repeatOffenders.sellers.length).toBeGreaterThan(0);
    expect((await tableText(page, '#networks-table')).rows).toEqual(
      more.repeatOffenders.networks.map((w: any) => [
        w.representative.displayName,
        n(w.sellerCount),
        n(w.strikes),
        n(w.leads),
        n(w.takedowns),
      ]),
    );
    await expectCsvOfTable(page, 'csv-overdue-referrals', '#overdue-table');
    await expectCsvOfTable(page, 'csv-repeat-offender-sellers', '#offenders-table');
    await screenshot(page, 'analyst-figures');

    // Filters: one region, weekly buckets; the charts follow the API again.
    const region = [...api.regionBreakdown].sort((a: any, b: any) => b.funnel.leads - a.funnel.leads)[0].region;
    await page.locator('#filter-region').fill(region);
    await page.locator('#filter-granularity').selectOption('WEEK');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForFunction(
      () => window.portal.figures.filter?.granularity === 'WEEK' && document.body.dataset.state === 'ready',
    );
    const filtered = await page.evaluate(() => window.portal.figures.filter);
    expect(filtered.filter.regions).toEqual([region]);
    const apiFiltered = dataOf(await server.gql(analystKey, QUERY, filtered)).analytics;
    expect(await page.evaluate(() => window.Chart.getChart('funnel-chart').data.datasets[0].data)).toEqual(
      apiFiltered.enforcementFunnel.stages.map((s: any) => s.count),
    );
    expect(apiFiltered.enforcementFunnel.stages[0].count).toBeLessThanOrEqual(api.enforcementFunnel.stages[0].count);
    expect(await page.evaluate(() => window.Chart.getChart('region-chart').data.labels)).toEqual([region]);

    expect(outside).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("shows an administrator every tenant's cases and referrals, with a case's drill-down, on a narrow screen too", async () => {
    const { page, problems } = await watchedPage(browser, server.url);
    await signIn(page, server.url, adminKey);
    await ready(page, '#figures-view');
    expect(await page.getByTestId('who').innerText()).toBe('Admin Chen · Administrator');

    await page.getByRole('button', { name: 'Cases', exact: true }).click();
    await ready(page, '#cases-list');
    const asked = await page.evaluate(() => window.portal.tables.cases.asked);
    const cases = (
      await gql(
        adminKey,
        `query($filter: LeadFilter, $first: Int) { leads(filter: $filter, first: $first) {
      totalCount nodes { reference createdAt status description investigation { reference status } } } }`,
        asked,
      )
    ).leads;
    expect((await tableText(page, '#cases-table')).rows).toEqual(
      cases.nodes.map((l: any) => [
        l.reference,
        day(l.createdAt),
        label(l.status),
        l.description,
        l.investigation?.reference ?? '',
        label(l.investigation?.status),
      ]),
    );
    const [{ count }] = await db.dataSource.query('SELECT count(*)::int AS count FROM lead');
    expect(cases.totalCount).toBe(count);
    expect(await page.locator('#cases-list .pager span').innerText()).toBe(`1–20 of ${n(count)}`);
    await screenshot(page, 'admin-cases');

    // Referred cases only, and the first of them in full.
    await page.locator('#case-status').selectOption('REFERRED');
    await page.getByRole('button', { name: 'Apply' }).click();
    await ready(page, '#cases-list');
    const referred = (
      await gql(
        adminKey,
        `query($filter: LeadFilter, $first: Int) { leads(filter: $filter, first: $first) { totalCount nodes { reference investigation { id } } } }`,
        await page.evaluate(() => window.portal.tables.cases.asked),
      )
    ).leads;
    expect((await tableText(page, '#cases-table')).rows.map((row) => row[0])).toEqual(
      referred.nodes.map((l: any) => l.reference),
    );
    const [{ referredInDb }] = await db.dataSource.query(
      `SELECT count(*)::int AS "referredInDb" FROM lead WHERE status = 'REFERRED'`,
    );
    expect(referred.totalCount).toBe(referredInDb);
    const withInvestigation = referred.nodes[0];
    await page.getByRole('button', { name: withInvestigation.reference, exact: true }).click();
    await ready(page, '#case-view');
    expect(await page.getByTestId('case-title').innerText()).toBe(`Case ${withInvestigation.reference}`);
    await screenshot(page, 'admin-case');

    await page.getByRole('button', { name: 'Referrals', exact: true }).click();
    await ready(page, '#inbox-overdue');
    await ready(page, '#inbox-current');
    const overdue = (
      await gql(
        adminKey,
        `query($filter: ReferralFilter, $first: Int) { referrals(filter: $filter, first: $first) { totalCount nodes { reference } } }`,
        await page.evaluate(() => window.portal.tables['inbox-overdue'].asked),
      )
    ).referrals;
    expect((await tableText(page, '#inbox-overdue-table')).rows.map((row) => row[0])).toEqual(
      overdue.nodes.map((r: any) => r.reference),
    );
    await screenshot(page, 'admin-referrals');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('button', { name: 'Figures' }).click();
    await ready(page, '#figures-view');
    // The charts follow the new width on their next resize callback (Chart.js's ResizeObserver), not at once.
    await page
      .waitForFunction(() => document.documentElement.scrollWidth <= window.innerWidth, null, { timeout: 5000 })
      .catch(() => undefined);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await screenshot(page, 'admin-figures-narrow');
    expect(problems).toEqual([]);
    await page.close();
  });
});
