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

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Enforcement coordination API</title>
  <link rel="stylesheet" href="/graphql/ide/graphiql.css">
  <style>body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }</style>
</head>
<body>
  <div id="graphiql">Loading…</div>
  <script src="/graphql/ide/react.js"></script>
  <script src="/graphql/ide/react-dom.js"></script>
  <script src="/graphql/ide/graphiql.js"></script>
  <script src="/graphql/ide/start.js"></script>
</body>
</html>`;

// Headers persist in the browser's storage: paste {"Authorization": "Bearer <token>"} once.
const start = `
const fetcher = GraphiQL.createFetcher({ url: '/graphql' });
const defaultHeaders = JSON.stringify({ Authorization: 'Bearer <paste an API key, e.g. from .demo-keys.txt>' }, null, 2);
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, {
    fetcher,
    shouldPersistHeaders: true,
    isHeadersEditorEnabled: true,
    defaultHeaders,
    defaultQuery: '# Put your API key in the Headers tab below, then run:\\n{\\n  viewer { id name role }\\n}\\n',
  }),
);
`;

export function graphiqlRouter(): Router {
  const router = Router();
  router.get('/graphql/ide/start.js', (_req, res) => {
    res.type('application/javascript').send(start);
  });
  for (const [name, file] of Object.entries(assets)) {
    router.get(`/graphql/ide/${name}`, (_req, res) => {
      res.sendFile(file, { maxAge: '1d' });
    });
  }
  // Browsers asking for HTML get the IDE; GraphQL clients using GET fall through to the API.
  router.get('/graphql', (req, res, next) => {
    if (req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) !== 'text/html') return next();
    res.type('html').set('Content-Security-Policy', "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:").send(page);
  });
  return router;
}

