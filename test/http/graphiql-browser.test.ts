import fs from 'node:fs';
import path from 'node:path';
import { getIntrospectionQuery } from 'graphql';
import { chromium } from 'playwright-core';
import { ideTabs } from '../../src/http/graphiql';
import { useTestServer } from '../support/harness';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium)
  process.stderr.write(`[skip] GraphiQL browser test: no Chromium at ${CHROMIUM} (apt-get install chromium)\n`);

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Screenshots go to artifacts/ (gitignored). */
const ARTIFACTS = path.resolve(__dirname, '../../artifacts');

describe('the GraphQL IDE', () => {
  const { world, server } = useTestServer();

  it('has one ready tab per kind of client, each query valid for its key', async () => {
    const [brand, agency, analyst] = ideTabs;
    expect(ideTabs.map((tab) => /query (\w+)/.exec(tab.query)?.[1])).toEqual(['BrandPortal', 'AgencySync', 'Analyst']);
    for (const [tab, key] of [
      [brand, world.keys.brandA],
      [agency, world.keys.agencyX],
      [analyst, world.keys.analyst],
    ] as const) {
      const response = await server.gql(key, tab.query, tab.variables ? JSON.parse(tab.variables) : undefined);
      expect([tab.query.split('\n')[1], response.status, response.body.errors]).toEqual([
        tab.query.split('\n')[1],
        200,
        undefined,
      ]);
    }
    const brandListings = await server.gql(world.keys.brandA, brand.query);
    expect(brandListings.body.data.listings.nodes.map((n: { title: string }) => n.title)).toEqual(['Alpha bag']);
  });

  it("GraphiQL's introspection query is within the default query limits (introspection is not priced)", async () => {
    const response = await server.gql(world.keys.brandA, getIntrospectionQuery({ inputValueDeprecation: true }));
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data.__schema.queryType.name).toBe('Query');
  });

  (haveChromium ? it : it.skip)(
    'asks for a key before any request, then loads the schema and runs the brand portal tab, offline and without console errors',
    async () => {
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      try {
        const page = await browser.newPage();
        const outside: string[] = [];
        const apiRequests: { body: string | null; authorization?: string }[] = [];
        const consoleErrors: string[] = [];
        page.on('console', (message) => {
          if (message.type() === 'error' || message.type() === 'warning')
            consoleErrors.push(`${message.type()}: ${message.text()}`);
        });
        page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));
        page.on('request', (request) => {
          if (!request.url().startsWith(server.url)) outside.push(request.url());
          else if (new URL(request.url()).pathname === '/graphql' && request.resourceType() !== 'document') {
            apiRequests.push({ body: request.postData(), authorization: request.headers().authorization });
          }
        });

        // The page asks for a key and sends nothing to the API before it has one.
        await page.goto(`${server.url}/graphql`);
        const keyInput = page.getByLabel('API key');
        await keyInput.waitFor({ timeout: 15000 });
        await page.waitForLoadState('networkidle');
        expect(apiRequests).toEqual([]);
        expect(await page.locator('.graphiql-container').count()).toBe(0);

        await keyInput.fill(world.keys.brandA);
        await page.getByRole('button', { name: 'Open the IDE' }).click();
        await page.locator('.graphiql-container').waitFor({ timeout: 15000 });
        await page.getByText('brand A portal (BRAND_PARTNER)').waitFor({ timeout: 15000 });
        expect(
          await page.evaluate(() =>
            (
              globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } }
            ).sessionStorage.getItem('eca:api-key'),
          ),
        ).toBe(world.keys.brandA);

        // The schema loads with the key: the docs explorer shows Query.
        await page.locator('.graphiql-sidebar button[aria-label="Show Documentation Explorer"]').click();
        await page
          .locator('.graphiql-doc-explorer')
          .getByText('Query', { exact: true })
          .first()
          .waitFor({ timeout: 15000 });
        expect(apiRequests.filter((request) => request.body?.includes('__schema')).length).toBeGreaterThan(0);
        for (const request of apiRequests) expect(request.authorization).toBe(`Bearer ${world.keys.brandA}`);

        // The three ready tabs; the brand portal's runs and answers the brand's listings.
        const tabs = page.locator('.graphiql-tab');
        const titles = await tabs.allInnerTexts();
        for (const name of ['BrandPortal', 'AgencySync', 'Analyst'])
          expect(titles.some((title) => title.includes(name))).toBe(true);
        await tabs.filter({ hasText: 'BrandPortal' }).first().click();
        await page.locator('.graphiql-execute-button').click();
        await page.locator('.graphiql-response').getByText('"Alpha bag"').first().waitFor({ timeout: 15000 });
        const response = await page.locator('.graphiql-response').innerText();
        expect(response).toContain('"totalCount": 1');
        expect(response).not.toContain('"errors"');

        expect(outside).toEqual([]);
        expect(consoleErrors).toEqual([]);
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: path.join(ARTIFACTS, 'graphiql.png') });

        // Signing out forgets the key; a wrong key is refused on the form and nothing mounts.
        await page.getByRole('button', { name: 'Sign out' }).click();
        await keyInput.waitFor({ timeout: 15000 });
        expect(await page.locator('.graphiql-container').count()).toBe(0);
        await keyInput.fill('not-a-key');
        await keyInput.press('Enter');
        await page.locator('#sign-in-error').filter({ hasText: 'unknown or revoked' }).waitFor({ timeout: 15000 });
        expect(await page.locator('.graphiql-container').count()).toBe(0);
      } finally {
        await browser.close();
      }
    },
  );
});
