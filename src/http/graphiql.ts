import path from 'node:path';
import { Router } from 'express';

// The IDE is served from the installed packages, never a CDN: the product runs in closed networks.
const packageDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));
const assets: Record<string, string> = {
  'react.js': path.join(packageDir('react'), 'umd/react.production.min.js'),
  'react-dom.js': path.join(packageDir('react-dom'), 'umd/react-dom.production.min.js'),
  'graphiql.js': path.join(packageDir('graphiql'), 'graphiql.min.js'),
  'graphiql.css': path.join(packageDir('graphiql'), 'graphiql.min.css'),
};

// GraphiQL's fonts are data: URLs inside graphiql.min.css, hence font-src data:.
const CSP =
  "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; form-action 'none'; frame-ancestors 'none'";

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Enforcement coordination API</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/graphql/ide/graphiql.css">
  <style>
    body { margin: 0; height: 100vh; font-family: system-ui, sans-serif; }
    #graphiql { height: 100vh; }
    #sign-in { max-width: 28rem; margin: 15vh auto; padding: 2rem; border: 1px solid #ccc; border-radius: 8px; }
    #sign-in h1 { font-size: 1.3rem; margin-top: 0; }
    #sign-in input { width: 100%; box-sizing: border-box; padding: .5rem; font: inherit; font-family: monospace; }
    #sign-in button { margin-top: 1rem; padding: .5rem 1rem; font: inherit; }
    #sign-in-error { color: #b00020; min-height: 1.2em; }
    .eca-viewer { font-size: .85rem; white-space: nowrap; }
    .eca-viewer button { margin-left: .5rem; font: inherit; cursor: pointer; }
  </style>
</head>
<body>
  <form id="sign-in" hidden>
    <h1>Enforcement coordination API</h1>
    <p>Enter an API key to open the GraphQL IDE (<code>npm run --silent cli -- apikey create ...</code>, or a key from
    <code>.demo-keys.txt</code> with the demo). It is kept for this tab only and sent as <code>Authorization: Bearer</code>.</p>
    <label for="api-key">API key</label>
    <input id="api-key" name="api-key" type="password" autocomplete="off" required autofocus>
    <p id="sign-in-error" role="alert"></p>
    <button type="submit">Open the IDE</button>
  </form>
  <div id="graphiql" hidden></div>
  <script src="/graphql/ide/react.js"></script>
  <script src="/graphql/ide/react-dom.js"></script>
  <script src="/graphql/ide/graphiql.js"></script>
  <script src="/graphql/ide/start.js"></script>
</body>
</html>`;

/** One ready tab per kind of client; the operation's name is the tab's title. */
export const ideTabs: { query: string; variables?: string }[] = [
  {
    query: `# Brand portal (a BRAND_PARTNER key): its brand's live listings, newest first, with their sellers.
query BrandPortal {
  viewer { name role brand { name } }
  listings(first: 20, filter: { status: [LIVE] }) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id title price { amount currency } seller { displayName region status } }
  }
}
`,
  },
  {
    query: `# Agency sync (an AGENCY_LIAISON key): the changes to its referrals in commit order.
# Keep pageInfo.endCursor and pass it as $after next time.
query AgencySync($after: String) {
  viewer { name agency { code name jurisdiction } }
  referralChanges(first: 100, after: $after) {
    pageInfo { endCursor hasNextPage }
    nodes { seq at kind status referral { reference status } outcome { kind arrests } }
  }
}
`,
    variables: '{\n  "after": null\n}\n',
  },
  {
    query: `# Analyst (an ANALYST key): the sellers with most strikes in two provinces, with their identifiers.
query Analyst {
  sellers(first: 10, filter: { region: ["CN-ZJ", "CN-GD"] }, orderBy: { field: STRIKE_COUNT, direction: DESC }) {
    totalCount
    nodes { displayName region strikeCount identifiers { kind valueHash } listings(first: 3) { totalCount } }
  }
}
`,
  },
];

// No request to /graphql before a key: the page asks for one (kept in sessionStorage, for this tab only),
// checks it with { viewer }, then mounts GraphiQL, whose fetcher sends it; the schema is fetched then.
const start = `'use strict';
(function () {
  var KEY = 'eca:api-key';
  var TABS = ${JSON.stringify(ideTabs)};
  var form = document.getElementById('sign-in');
  var input = document.getElementById('api-key');
  var error = document.getElementById('sign-in-error');
  var root = document.getElementById('graphiql');
  // Earlier versions kept a pasted key in GraphiQL's local storage: the key now lives in sessionStorage only.
  try { localStorage.removeItem('graphiql:headers'); } catch (e) {}

  function askForKey(message) {
    sessionStorage.removeItem(KEY);
    root.hidden = true;
    form.hidden = false;
    error.textContent = message || '';
    input.focus();
  }

  function viewerOf(key) {
    return fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ' + key },
      body: JSON.stringify({ query: '{ viewer { name role } }' }),
    }).then(function (response) {
      return response.json().catch(function () { return {}; });
    }).then(function (body) {
      if (body && body.data && body.data.viewer) return body.data.viewer;
      var first = body && body.errors && body.errors[0];
      throw new Error(first ? first.message : 'The API did not answer.');
    });
  }

  function mount(key, viewer) {
    var base = GraphiQL.createFetcher({ url: '/graphql' });
    // The signed-in key wins over an Authorization typed in the Headers tab.
    var fetcher = function (params, options) {
      var headers = Object.assign({}, options && options.headers, { Authorization: 'Bearer ' + key });
      return base(params, Object.assign({}, options, { headers: headers }));
    };
    var signOut = function () { sessionStorage.removeItem(KEY); location.reload(); };
    form.hidden = true;
    root.hidden = false;
    ReactDOM.createRoot(root).render(
      React.createElement(GraphiQL, {
        fetcher: fetcher,
        defaultTabs: TABS,
        shouldPersistHeaders: false,
        isHeadersEditorEnabled: true,
      }, React.createElement(GraphiQL.Logo, null, React.createElement('span', { className: 'eca-viewer' },
        viewer.name + ' (' + viewer.role + ')',
        React.createElement('button', { type: 'button', onClick: signOut }, 'Sign out')))),
    );
  }

  function signIn(key) {
    return viewerOf(key).then(function (viewer) {
      sessionStorage.setItem(KEY, key);
      mount(key, viewer);
    }, function (e) { askForKey(e.message); });
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var key = input.value.trim().replace(/^Bearer\\s+/i, '');
    if (key) signIn(key);
  });

  var stored = sessionStorage.getItem(KEY);
  if (stored) signIn(stored); else askForKey();
})();
`;

export function graphiqlRouter(): Router {
  const router = Router();
  router.get('/graphql/ide/start.js', (_req, res) => {
    res.type('application/javascript').set('Cache-Control', 'no-cache').send(start);
  });
  for (const [name, file] of Object.entries(assets)) {
    router.get(`/graphql/ide/${name}`, (_req, res) => {
      res.sendFile(file, { maxAge: '1d' });
    });
  }
  // Browsers asking for HTML get the IDE; GraphQL clients using GET fall through to the API.
  router.get('/graphql', (req, res, next) => {
    if (req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) !== 'text/html')
      return next();
    res.type('html').set('Content-Security-Policy', CSP).send(page);
  });
  return router;
}
