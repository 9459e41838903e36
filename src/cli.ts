import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { loadConfig } from './config.js';
import { connectDatabase } from './database/connect.js';
import { Role } from './shared/auth/role.js';
import { verifyAuditChain } from './shared/audit/audit.service.js';
import { systemContext } from './shared/context.js';
import { toGlobalId } from './shared/relay/global-id.js';
import { createApiKey, revokeApiKey } from './modules/principal/principal.service.js';
import { UserErrorException } from './shared/user-error.js';
import { seedDataset } from './seed/seed.js';
import { exportRows } from './export/export.js';

const USAGE = `usage: npm run cli -- <command>
  migrate                                   apply pending migrations
  seed --scale F                            load a generated dataset (e.g. 0.01, 0.1, 1, 10)
  apikey create --role ROLE --name NAME [--brand SLUG] [--agency CODE]
                                            create a principal and its key; prints the token
  apikey revoke --id API_KEY_ID             revoke a key at once
  audit verify                              check the whole audit hash chain
  export referrals [--agency CODE] --format csv|jsonl
                                            stream referrals (an agency's: what its liaison sees) to stdout
  export leads [--brand SLUG] --format csv|jsonl
                                            stream leads (a brand's: what its partner sees) to stdout`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { scale: { type: 'string' }, role: { type: 'string' }, name: { type: 'string' }, brand: { type: 'string' }, agency: { type: 'string' }, id: { type: 'string' }, format: { type: 'string' } },
  });
  const command = positionals.join(' ');
  if (!['migrate', 'seed', 'apikey create', 'apikey revoke', 'audit verify', 'export referrals', 'export leads'].includes(command)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const config = loadConfig();
  const database = await connectDatabase(config);
  const { dataSource } = database;
  const ctx = systemContext(dataSource, config, 'cli');
  try {
    switch (command) {
      case 'migrate':
        process.stderr.write('migrations are current\n');
        return 0;
      case 'seed': {
        const scale = Number(values.scale ?? '0.01');
        if (!(scale > 0 && scale <= 100)) throw new Error('--scale must be a number above 0 and at most 100');
        const started = Date.now();
        const counts = await seedDataset(dataSource, { scale, identifierHashKey: config.identifierHashKey, showProgress: process.stderr.isTTY });
        process.stderr.write(`seeded scale ${scale} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(counts)}\n`);
        return 0;
      }
      case 'apikey create': {
        const role = values.role as Role;
        if (!Object.values(Role).includes(role)) throw new Error(`--role must be one of ${Object.values(Role).join(', ')}`);
        if (!values.name) throw new Error('--name is required');
        const brandId = values.brand ? await idOf(dataSource, 'brand', 'slug', values.brand, 'Brand') : null;
        const agencyId = values.agency ? await idOf(dataSource, 'agency', 'code', values.agency, 'Agency') : null;
        const created = await createApiKey(ctx, { name: values.name, principal: { name: values.name, role, brandId, agencyId } });
        process.stdout.write(`${created.token}\n`);
        process.stderr.write(`created key ${created.apiKey.globalId} for principal ${created.principal.globalId} (${role})\n`);
        return 0;
      }
      case 'apikey revoke': {
        if (!values.id) throw new Error('--id is required');
        await revokeApiKey(ctx, values.id);
        process.stderr.write('revoked\n');
        return 0;
      }
      case 'audit verify': {
        const result = await verifyAuditChain(dataSource.manager);
        if (result.ok) {
          process.stdout.write(`audit chain intact: ${result.eventsChecked} events\n`);
          return 0;
        }
        process.stdout.write(`audit chain BROKEN at event seq ${result.firstBrokenSeq}: ${result.problem} (${result.eventsChecked} events before it are intact)\n`);
        return 1;
      }
      case 'export referrals':
      case 'export leads': {
        const format = values.format;
        if (format !== 'csv' && format !== 'jsonl') throw new Error('--format must be csv or jsonl');
        const kind = command === 'export leads' ? 'leads' : 'referrals';
        const rows = await exportRows(dataSource, config, { kind, format, agencyCode: kind === 'referrals' ? values.agency : undefined, brandSlug: kind === 'leads' ? values.brand : undefined }, process.stdout);
        process.stderr.write(`exported ${rows} ${kind}\n`);
        return 0;
      }
    }
    return 2;
  } finally {
    await database.close();
  }
}

async function idOf(dataSource: import('typeorm').DataSource, table: string, column: string, value: string, typeName: string): Promise<string> {
  const [row] = await dataSource.query(`SELECT id FROM ${table} WHERE ${column} = $1`, [value]);
  if (!row) throw new Error(`no ${table} with ${column} "${value}"`);
  return toGlobalId(typeName, row.id);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    const message = error instanceof UserErrorException ? error.userError.message : error?.message ?? String(error);
    process.stderr.write(`error: ${message}\n`);
    process.exit(1);
  },
);
