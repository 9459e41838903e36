import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { chromium, Page } from 'playwright-core';
import { createDataSource } from '../../src/database/data-source';
import { createTestDatabase, TestDatabase } from '../support/database';
import { dataOf, GraphQLResponse, testConfig } from '../support/server';
import { createApp } from '../../src/http/app';
import { dashboardRouter } from '../../src/modules/analytics/dashboard';
import { Role } from '../../src/shared/auth/role';
import { systemContext } from '../../src/shared/context';
import { createApiKey } from '../../src/modules/principal/principal.service';
import { refreshAnalyticsRollups } from '../../src/modules/analytics/seller-network.service';
import { seedDataset } from '../../src/seed/seed';
import { World } from '../support/fixtures';
import { insertLead } from './fixture';

// Browser globals, for the functions that run in the page (the test compiles without the DOM library).
declare const document: { body: { dataset: Record<string, string | undefined> } };
declare const window: any;
declare const sessionStorage: { getItem(key: string): string | null };

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) process.stderr.write(`[skip] dashboard browser test: no Chromium at ${CHROMIUM} (apt-get install chromium)\n`);

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const QUERY = `query($filter: AnalyticsFilter, $granularity: Granularity!) { analytics(filter: $filter) {
  enforcementFunnel { stages { stage count } }
  outcomeTotals { raids arrests densDestroyed convictions }
  outcomeSeries(granularity: $granularity) { buckets { start raids arrests } }
  takedownSeries(granularity: $granularity) { buckets { start listingsTakenDown sellersClosed } }
  regionBreakdown { region funnel { leads actioned } outcomes { raids } } } }`;

/** A few cases of the last months on top of the generated ones, so that every chart has something to show. */
async function addRecentCases(db: TestDatabase) {
  const pick = async (table: string, n: number) => (await db.dataSource.query(`SELECT id::text AS id FROM ${table} ORDER BY id LIMIT ${n}`)).map((r: { id: string }) => r.id);
  const [brand] = await pick('brand', 1);
  const [sellerA, sellerB] = await pick('seller', 2);
  const [agency] = await pick('agency', 1);
  const world = { ids: { brand, sellerA, sellerB, agency }, gid: {}, keys: {} } as unknown as World;
  const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
  for (const [i, seller] of [sellerA, sellerB, sellerA].entries()) {
    await insertLead(db.dataSource, world, {
      name: `recent ${i}`, brands: ['brand'], sellers: [seller === sellerA ? 'sellerA' : 'sellerB'], source: 'BRAND_REPORT', status: 'REFERRED',
      createdAt: daysAgo(90 - i * 20), triagedAt: daysAgo(89 - i * 20),
      investigation: {
        createdAt: daysAgo(85 - i * 20), status: 'REFERRED', referrals: [{
          agency: 'agency', status: 'ACTION_TAKEN', createdAt: daysAgo(80 - i * 20), sentAt: daysAgo(80 - i * 20), acknowledgedAt: daysAgo(78 - i * 20),
          firstActionAt: daysAgo(70 - i * 20), outcomes: [{ kind: 'RAID', at: daysAgo(70 - i * 20), arrests: 2 + i, dens: 1, seized: [1_000_000, 'CNY'] }],
        }],
      },
    });
  }
}

/**
 * The API with the dashboard router in front of it (as src/http/app.ts mounts it next to the GraphQL IDE;
 * mounted here too, so that this test does not depend on how the app file is wired).
 */
async function startDashboardServer(db: TestDatabase) {
  const api = await createDataSource({ url: db.apiUrl, api: true, poolSize: 4 }).initialize();
  const { app, apollo } = await createApp(api, testConfig(), pino({ level: 'silent' }));
  const outer = express();
  outer.use(dashboardRouter());
  outer.use(app);
  const server = http.createServer(outer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async gql(token: string, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse> {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResponse['body'] };
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await apollo.stop();
      await api.destroy();
    },
  };
}

(haveChromium ? describe : describe.skip)('the analytics dashboard in a browser', () => {
  let db: TestDatabase;
  let server: Awaited<ReturnType<typeof startDashboardServer>>;
  let analystKey: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = testConfig();
    // The demo's dataset: generated marketplace and two years of cases.
    await seedDataset(db.dataSource, { scale: 0.01, identifierHashKey: config.identifierHashKey });
    await addRecentCases(db);
    await refreshAnalyticsRollups(db.dataSource);
    analystKey = (await createApiKey(systemContext(db.dataSource, config), { name: 'analyst', principal: { name: 'analyst', role: Role.ANALYST } })).token;
    server = await startDashboardServer(db);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  const numbers = (texts: string[]) => texts.map((text) => Number(text.replace(/[^0-9]/g, '')));
  const loaded = (page: Page) => page.waitForFunction(() => document.body.dataset.state === 'ready' || document.body.dataset.state === 'error', undefined, { timeout: 20_000 });

  it('signs in with an API key and charts the same numbers the API returns, offline', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1800 } });
      const outside: string[] = [];
      const problems: string[] = [];
      page.on('request', (request) => {
        if (!request.url().startsWith(server.url)) outside.push(request.url());
      });
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));

      await page.goto(`${server.url}/dashboard`);
      await page.locator('#api-key').fill(analystKey);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await loaded(page);
      expect(await page.evaluate(() => document.body.dataset.state)).toBe('ready');
      expect(await page.evaluate(() => sessionStorage.getItem('eca:dashboard:apiKey'))).toBe(analystKey);

      // The same question to the API, with the filter the page asked with.
      const asked = await page.evaluate(() => (window as any).dashboard.filter);
      const api = dataOf(await server.gql(analystKey, QUERY, asked)).analytics;
      expect(api.enforcementFunnel.stages[0].count).toBeGreaterThan(0);

      // Funnel: the chart's data and the table's text.
      const funnelChart = await page.evaluate(() => (window as any).Chart.getChart('funnel-chart').data.datasets[0].data);
      expect(funnelChart).toEqual(api.enforcementFunnel.stages.map((s: any) => s.count));
      const funnelCells = await Promise.all(api.enforcementFunnel.stages.map((s: any) => page.getByTestId(`funnel-${s.stage}`).innerText()));
      expect(numbers(funnelCells)).toEqual(api.enforcementFunnel.stages.map((s: any) => s.count));

      // Outcomes: totals as tiles, and over time.
      expect(numbers([await page.getByTestId('total-raids').innerText(), await page.getByTestId('total-arrests').innerText(),
        await page.getByTestId('total-dens').innerText(), await page.getByTestId('total-convictions').innerText()]))
        .toEqual([api.outcomeTotals.raids, api.outcomeTotals.arrests, api.outcomeTotals.densDestroyed, api.outcomeTotals.convictions]);
      const outcomeChart = await page.evaluate(() => (window as any).Chart.getChart('outcome-chart').data);
      expect(outcomeChart.labels).toEqual(api.outcomeSeries.buckets.map((b: any) => b.start.slice(0, 10)));
      expect(outcomeChart.datasets[0].data).toEqual(api.outcomeSeries.buckets.map((b: any) => b.raids));
      expect(outcomeChart.datasets[2].data).toEqual(api.outcomeSeries.buckets.map((b: any) => b.arrests));

      // Takedown series.
      const takedownChart = await page.evaluate(() => (window as any).Chart.getChart('takedown-chart').data);
      expect(takedownChart.datasets[0].data).toEqual(api.takedownSeries.buckets.map((b: any) => b.listingsTakenDown));
      expect(takedownChart.datasets[4].data).toEqual(api.takedownSeries.buckets.map((b: any) => b.sellersClosed));
      expect(takedownChart.datasets[0].data.reduce((a: number, b: number) => a + b, 0)).toBeGreaterThan(0);

      // Regions: every region's leads, actioned and raids in the table.
      for (const region of api.regionBreakdown) {
        expect(numbers([await page.getByTestId(`region-${region.region}-leads`).innerText(), await page.getByTestId(`region-${region.region}-actioned`).innerText(),
          await page.getByTestId(`region-${region.region}-raids`).innerText()])).toEqual([region.funnel.leads, region.funnel.actioned, region.outcomes.raids]);
      }

      fs.mkdirSync('artifacts', { recursive: true });
      await page.screenshot({ path: 'artifacts/dashboard.png', fullPage: true });

      // Filters: one region, weekly buckets; the charts follow the API again.
      const region = [...api.regionBreakdown].sort((a: any, b: any) => b.funnel.leads - a.funnel.leads)[0].region;
      await page.locator('#filter-region').fill(region);
      await page.locator('#filter-granularity').selectOption('WEEK');
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.waitForFunction(() => (window as any).dashboard.filter?.granularity === 'WEEK' && document.body.dataset.state === 'ready');
      const filtered = await page.evaluate(() => (window as any).dashboard.filter);
      expect(filtered.filter.regions).toEqual([region]);
      const apiFiltered = dataOf(await server.gql(analystKey, QUERY, filtered)).analytics;
      expect(await page.evaluate(() => (window as any).Chart.getChart('funnel-chart').data.datasets[0].data))
        .toEqual(apiFiltered.enforcementFunnel.stages.map((s: any) => s.count));
      expect(apiFiltered.enforcementFunnel.stages[0].count).toBeLessThanOrEqual(api.enforcementFunnel.stages[0].count);
      expect(await page.evaluate(() => (window as any).Chart.getChart('region-chart').data.labels)).toEqual([region]);

      expect(outside).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('asks for the key again when it is refused', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/dashboard`);
      await page.locator('#api-key').fill('eca_not-a-key');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('#sign-in').getByText('was not accepted').waitFor({ timeout: 15_000 });
      expect(await page.evaluate(() => sessionStorage.getItem('eca:dashboard:apiKey'))).toBeNull();
    } finally {
      await browser.close();
    }
  });
});
