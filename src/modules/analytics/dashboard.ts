import fs from 'node:fs';
import path from 'node:path';
import { Router } from 'express';

/**
 * The portal at /dashboard: a static page and scripts (in ./dashboard/) over POST /graphql, with Chart.js
 * served from the installed package, never a CDN (the product runs in closed networks). The page holds no
 * data and no secret: a partner signs in with an API key, kept in sessionStorage, and every table and
 * figure comes from the API under that key's scope (a brand's cases, an agency's referral inbox, the
 * analytics of internal roles).
 */

// ./dashboard beside this file under ts-jest; from a compiled copy (dist/ or any build folder), the
// sources' copy in the nearest folder above that holds src/modules/analytics/dashboard.
function findAssetDir(): string | undefined {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    for (const candidate of [path.join(dir, 'dashboard'), path.join(dir, 'src/modules/analytics/dashboard')]) {
      if (fs.existsSync(path.join(candidate, 'index.html'))) return candidate;
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}
const assetDir = findAssetDir();

// chart.js exports no package.json: its main entry (dist/chart.cjs) sits beside the browser build.
const chartDist = path.dirname(require.resolve('chart.js'));

const assets: Record<string, { file: string; type: string }> = {
  'chart.js': { file: path.join(chartDist, 'chart.umd.min.js'), type: 'application/javascript' },
  'dashboard.css': { file: path.join(assetDir ?? '', 'dashboard.css'), type: 'text/css' },
  // The page's own scripts, in the order index.html loads them: the core, then one per view.
  ...Object.fromEntries(
    ['portal.js', 'figures.js', 'cases.js', 'inbox.js'].map((name) => [
      name,
      { file: path.join(assetDir ?? '', name), type: 'application/javascript' },
    ]),
  ),
};

const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

export function dashboardRouter(): Router {
  if (!assetDir) throw new Error('The portal assets (src/modules/analytics/dashboard) are missing');
  const router = Router();
  const page = path.join(assetDir, 'index.html');
  router.get('/dashboard', (_req, res) => {
    res.set(SECURITY_HEADERS).type('html').sendFile(page);
  });
  for (const [name, asset] of Object.entries(assets)) {
    router.get(`/dashboard/assets/${name}`, (_req, res) => {
      res
        .set(SECURITY_HEADERS)
        .type(asset.type)
        .sendFile(asset.file, { maxAge: name === 'chart.js' ? '1d' : 0 });
    });
  }
  return router;
}
