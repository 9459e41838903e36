import fs from 'node:fs';
import { chromium } from 'playwright-core';
import { createTestDatabase, TestDatabase } from '../support/database';
import { createWorld, World } from '../support/fixtures';
import { startTestServer, TestServer } from '../support/server';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) process.stderr.write(`[skip] GraphiQL browser test: no Chromium at ${CHROMIUM} (apt-get install chromium)\n`);

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

(haveChromium ? describe : describe.skip)('the GraphQL IDE in a browser', () => {
  let db: TestDatabase;
  let server: TestServer;
  let world: World;

  beforeAll(async () => {
    db = await createTestDatabase();
    world = await createWorld(db.dataSource);
    server = await startTestServer(db);
  });
  afterAll(async () => {
    await server.close();
    await db.drop();
  });

  it('loads offline and runs a query with an API key', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const outside: string[] = [];
      page.on('request', (request) => {
        if (!request.url().startsWith(server.url)) outside.push(request.url());
      });
      // What a user does once: paste the key in the Headers tab (GraphiQL keeps it in local storage).
      await page.addInitScript((token) => {
        const storage = (globalThis as unknown as { localStorage: { setItem(key: string, value: string): void } }).localStorage;
        storage.setItem('graphiql:headers', JSON.stringify({ Authorization: `Bearer ${token}` }));
        storage.setItem('graphiql:query', '{ viewer { name role } }');
      }, world.keys.analyst);
      await page.goto(`${server.url}/graphql`);
      await page.locator('.graphiql-execute-button').click();
      await page.locator('.graphiql-response').getByText('"ANALYST"').first().waitFor({ timeout: 15000 });
      const response = await page.locator('.graphiql-response').innerText();
      expect(response).toContain('"name": "analyst"');
      expect(outside).toEqual([]);
      fs.mkdirSync('artifacts', { recursive: true });
      await page.screenshot({ path: 'artifacts/graphiql.png' });
    } finally {
      await browser.close();
    }
  });
});
