import fs from 'node:fs';
import { DataSource } from 'typeorm';
import { Config } from './shared/config.js';
import { hashToken } from './shared/auth/api-key-token.js';
import { Role } from './shared/auth/role.js';
import { systemContext } from './shared/context.js';
import { toGlobalId } from './shared/relay/global-id.js';
import { createApiKey } from './modules/principal/principal.service.js';
import { seedDataset } from './seed/seed.js';

export const DEMO_SCALE = 0.01;
export const DEMO_KEYS_FILE = '.demo-keys.txt';

/** First start on an empty database: a small demo dataset. */
export async function seedDemoIfEmpty(dataSource: DataSource, config: Config): Promise<boolean> {
  const [{ count }] = await dataSource.query('SELECT count(*)::int AS count FROM brand');
  if (count > 0) return false;
  await seedDataset(dataSource, {
    scale: DEMO_SCALE,
    identifierHashKey: config.identifierHashKey,
    showProgress: false,
  });
  return true;
}

/**
 * One demo API key per role, written to a git-ignored file. Only hashes are stored, so the file is
 * the keys' one copy: when it is missing, or its keys do not work on this database (another data
 * folder, a revoked key), new keys are made.
 */
export async function ensureDemoKeys(dataSource: DataSource, config: Config, file = DEMO_KEYS_FILE): Promise<string> {
  if (fs.existsSync(file)) {
    const text = fs.readFileSync(file, 'utf8');
    const tokens = [...text.matchAll(/\b(eca_[A-Za-z0-9_-]{43})\b/g)].map((m) => m[1]);
    const [{ valid }] = await dataSource.query(
      `SELECT count(*)::int AS valid FROM api_key WHERE token_hash = ANY($1) AND revoked_at IS NULL`,
      [tokens.map(hashToken)],
    );
    if (tokens.length === 5 && valid === tokens.length) return text;
  }
  const [brand] = await dataSource.query(
    `SELECT b.id, b.name FROM brand b JOIN listing l ON l.brand_id = b.id GROUP BY b.id ORDER BY count(*) DESC, b.id LIMIT 1`,
  );
  const [agency] = await dataSource.query(`SELECT id, name FROM agency ORDER BY code = 'PSB-ZJ-YW' DESC, id LIMIT 1`);
  const ctx = systemContext(dataSource, config, 'demo-setup');
  const wanted = [
    { role: Role.ADMIN, name: 'Demo administrator' },
    { role: Role.INVESTIGATOR, name: 'Demo investigator' },
    { role: Role.ANALYST, name: 'Demo analyst' },
    { role: Role.BRAND_PARTNER, name: `Demo brand portal (${brand.name})`, brandId: toGlobalId('Brand', brand.id) },
    {
      role: Role.AGENCY_LIAISON,
      name: `Demo liaison tool (${agency.name})`,
      agencyId: toGlobalId('Agency', agency.id),
    },
  ];
  const lines = ['# Demo API keys, one per role. Use as: Authorization: Bearer <token>'];
  for (const principal of wanted) {
    const created = await createApiKey(ctx, { name: 'demo', principal });
    lines.push(`${principal.role.padEnd(15)} ${created.token}   # ${principal.name}`);
  }
  const text = `${lines.join('\n')}\n`;
  fs.writeFileSync(file, text, { mode: 0o600 });
  return text;
}
