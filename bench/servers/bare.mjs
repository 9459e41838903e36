// The ceiling: a bare node:http + pg server answering each canonical operation with one hand-written SQL
// statement (servers/bare-sql.mjs), sent as a named prepared statement. No GraphQL: POST /op/<name> with
// the variables as JSON. Callers are told apart by a static bearer token (like a signed JWT: no database
// lookup); each caller has a pool of its own whose connections run as eca_app with the caller's scope as
// session settings (eca.scope, eca.brand_id, ...), so row-level security applies with no per-request
// transaction. Only one caller is driven at a time, so at most DATABASE_POOL_SIZE connections are busy.
//
// env: DATABASE_URL, PORT, DATABASE_POOL_SIZE, BENCH_PRINCIPALS (JSON: token -> { scope, brandId, agencyId, principalId })
import http from 'node:http';
import pg from 'pg';
import { SQL } from './bare-sql.mjs';

const poolSize = Number(process.env.DATABASE_POOL_SIZE ?? 10);
const principals = JSON.parse(process.env.BENCH_PRINCIPALS ?? '{}');
const pools = new Map();

function poolOf(token) {
  const p = principals[token];
  if (!p) return null;
  if (!pools.has(token)) {
    const settings = {
      role: 'eca_app',
      'eca.scope': p.scope,
      'eca.brand_id': p.brandId ?? '',
      'eca.agency_id': p.agencyId ?? '',
      'eca.principal_id': p.principalId ?? '',
    };
    const options = Object.entries(settings)
      .filter(([, v]) => v !== '')
      .map(([k, v]) => `-c ${k}=${v}`)
      .join(' ');
    pools.set(
      token,
      new pg.Pool({
        connectionString: process.env.DATABASE_URL,
        max: poolSize,
        options,
        application_name: 'bench-bare',
      }),
    );
  }
  return pools.get(token);
}

function decodeLeadId(globalId) {
  const match = /^Lead:([1-9][0-9]{0,17})$/.exec(Buffer.from(String(globalId), 'base64url').toString('utf8'));
  if (!match) throw Object.assign(new Error('not a Lead id'), { status: 400 });
  return match[1];
}

const PARAMS = {
  caseList: (v) => [v.first ?? 50],
  agencySync: (v) => [v.first ?? 100],
  node: (v) => [v.id, decodeLeadId(v.id)],
  funnel: () => [],
  takedowns: (v) => [v.from, v.to, v.regions],
  reportLead: (v) => [v.description, v.riskScore ?? 50, v.sellerIds ?? [], v.listingIds ?? []],
};

const server = http.createServer((req, res) => {
  const send = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  if (req.url === '/healthz') return send(200, '{"ok":true}');
  const op = /^\/op\/([A-Za-z]+)$/.exec(req.url ?? '')?.[1];
  if (req.method !== 'POST' || !op || !SQL[op]) return send(404, '{"errors":[{"message":"not found"}]}');
  const pool = poolOf(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]);
  if (!pool) return send(401, '{"errors":[{"message":"unauthenticated"}]}');
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    try {
      const variables = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
      const result = await pool.query({ name: op, text: SQL[op], values: PARAMS[op](variables) });
      send(200, `{"data":${result.rows[0].body}}`);
    } catch (error) {
      send(error.status ?? 500, JSON.stringify({ errors: [{ message: String(error.message) }] }));
    }
  });
});
server.listen(Number(process.env.PORT ?? 4300), '127.0.0.1', () =>
  process.stdout.write(`bare server on ${server.address().port}\n`),
);
process.on('SIGTERM', () => {
  server.close();
  Promise.all([...pools.values()].map((p) => p.end())).finally(() => process.exit(0));
});
