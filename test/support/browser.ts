import fs from 'node:fs';
import path from 'node:path';
import { Browser, chromium, Download, Page } from 'playwright-core';

/**
 * The browser tests' harness (the dashboard's and the portal's): Debian's Chromium driven by playwright-core,
 * skipped with a printed reason when it is absent (.ci/run installs it), screenshots kept as test artifacts.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const haveChromium = fs.existsSync(CHROMIUM);
export const SCREENSHOTS = path.join(__dirname, '../../test-artifacts/screenshots');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** `describe` when Chromium is there; otherwise skipped, saying why on stderr. */
export function describeInChromium(title: string, body: () => void): void {
  if (!haveChromium)
    process.stderr.write(
      `[skip] ${title}: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)\n`,
    );
  (haveChromium ? describe : describe.skip)(title, body);
}

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });

/**
 * A page of `browser` that records what should never happen: a request to any other origin than the
 * server's, a console error, an uncaught exception, a request to /graphql (`graphqlRequests` counts them).
 */
export async function watchedPage(browser: Browser, origin: string, viewport = { width: 1280, height: 900 }) {
  const page = await browser.newPage({ viewport, acceptDownloads: true });
  const watch = { page, outside: [] as string[], problems: [] as string[], graphqlRequests: 0 };
  page.on('request', (request) => {
    if (!request.url().startsWith(origin)) watch.outside.push(request.url());
    if (request.url() === `${origin}/graphql`) watch.graphqlRequests += 1;
  });
  page.on('console', (message) => {
    if (message.type() === 'error') watch.problems.push(message.text());
  });
  page.on('pageerror', (error) => watch.problems.push(error.message));
  return watch;
}

/** Opens the portal, signs in with `key` and waits until it names who signed in. */
export async function signIn(page: Page, origin: string, key: string): Promise<void> {
  await page.goto(`${origin}/dashboard`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForFunction(
    () =>
      ['signed-in', 'loading', 'ready', 'error', 'signed-out'].includes(
        (globalThis as any).document.body.dataset.state,
      ) && (globalThis as any).document.body.dataset.state !== 'signing-in',
    undefined,
    { timeout: 15_000 },
  );
}

/** Waits until the element `selector` (a view or a paged table's container) has finished loading. */
export async function ready(page: Page, selector: string): Promise<void> {
  await page.locator(`${selector}[data-state=ready]`).waitFor({ state: 'attached', timeout: 20_000 });
  await page.waitForFunction((s) => !(globalThis as any).document.querySelector(`${s}[data-state=loading]`), selector);
}

/** A table's header and body as shown: one array of cell texts per row (a placeholder row for "none" left out). */
export async function tableText(page: Page, selector: string): Promise<{ header: string[]; rows: string[][] }> {
  return page.locator(selector).evaluate((table: any) => ({
    header: [...table.tHead.rows[0].cells].map((cell: any) => cell.textContent),
    rows: [...table.tBodies[0].rows]
      .filter((row: any) => !row.classList.contains('empty'))
      .map((row: any) => [...row.cells].map((cell: any) => cell.textContent)),
  }));
}

/** Clicks a "Download CSV" button and returns the file's name and text (byte order mark included). */
export async function downloadCsv(page: Page, testId: string): Promise<{ name: string; text: string }> {
  const [download]: [Download, void] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId(testId).click(),
  ]);
  const file = await download.path();
  return { name: download.suggestedFilename(), text: fs.readFileSync(file, 'utf8') };
}

/** RFC 4180: quoted fields may hold commas, quotes (doubled) and line breaks; CRLF between records. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 1;
    } else field += c;
  }
  if (field || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** Checks that a downloaded CSV is the table as shown: BOM, CRLF, header and rows cell for cell. */
export async function expectCsvOfTable(page: Page, testId: string, selector: string): Promise<string[][]> {
  const { name, text } = await downloadCsv(page, testId);
  expect(name).toMatch(/\.csv$/);
  expect(text.charCodeAt(0)).toBe(0xfeff);
  expect(text.endsWith('\r\n')).toBe(true);
  const shown = await tableText(page, selector);
  const csv = parseCsv(text.slice(1));
  expect(csv).toEqual(
    [shown.header, ...shown.rows].map((cells) => cells.map((cell) => cell.replace(/\s+/g, ' ').trim())),
  );
  return csv;
}

/** Saves a full-page screenshot as test-artifacts/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** What the page writes for an enum value: SENT -> "Sent", ACTION_TAKEN -> "Action taken". */
export const label = (code: string | null | undefined): string =>
  code ? code.charAt(0) + code.slice(1).toLowerCase().replace(/_/g, ' ') : '';
export const day = (iso: string | null | undefined): string => (iso ? iso.slice(0, 10) : '');
