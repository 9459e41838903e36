// PostGraphile 5 (amber preset, production settings: no GraphiQL, no watch, no explain) over the same
// tables, plus the bench schema's functions (bench/sql/bench-functions.sql: the funnel, the takedown
// series, reportLead). It connects as eca_app (row-level security applies, as to our server) and gives
// each request the caller's scope through PostGraphile's own mechanism, pgSettings: PostGraphile then
// runs the request in a transaction with set_config(..., true), as our server does. Callers are told
// apart by a static bearer token (like a JWT: no database lookup).
//
// env: DATABASE_URL, PORT, DATABASE_POOL_SIZE, BENCH_PRINCIPALS (JSON: token -> { scope, brandId, agencyId, principalId })
import { createServer } from 'node:http';
import pg from 'pg';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';

const principals = JSON.parse(process.env.BENCH_PRINCIPALS ?? '{}');
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
  options: '-c role=eca_app',
  application_name: 'bench-postgraphile',
});

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ pool, schemas: ['public', 'bench'] })],
  grafserv: {
    port: Number(process.env.PORT ?? 4200),
    graphqlPath: '/graphql',
    graphiql: false,
    watch: false,
    maxRequestLength: 1_000_000,
  },
  grafast: {
    explain: false,
    context(requestContext) {
      const auth = requestContext.node?.req?.headers?.authorization ?? '';
      const p = principals[/^Bearer (.+)$/.exec(auth)?.[1]];
      if (!p) return { pgSettings: { 'eca.scope': 'NONE' } };
      return {
        pgSettings: {
          'eca.scope': p.scope,
          'eca.brand_id': p.brandId ?? '',
          'eca.agency_id': p.agencyId ?? '',
          'eca.principal_id': p.principalId ?? '',
        },
      };
    },
  },
  schema: { exportSchemaSDLPath: process.env.EXPORT_SDL || undefined, pgForbidSetofFunctionsToReturnNull: true },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
serv.addTo(server).catch((e) => {
  console.error(e);
  process.exit(1);
});
server.listen(preset.grafserv.port, '127.0.0.1', () =>
  process.stdout.write(`postgraphile on ${server.address().port}\n`),
);
process.on('SIGTERM', () => {
  server.close();
  pgl
    .release()
    .finally(() => pool.end())
    .finally(() => process.exit(0));
});
