import { Command, Option } from 'commander';
import type { DataSource } from 'typeorm';
import type { Role } from '../shared/auth/role.js';
import { CliError, print, say } from './output.js';

/**
 * The roles, for --role's choices, written out so that `--help` need not load the schema's enums; the
 * compiler checks that they are exactly the Role enum's values.
 */
const ROLES = [
  'ADMIN',
  'INVESTIGATOR',
  'ANALYST',
  'BRAND_PARTNER',
  'AGENCY_LIAISON',
] as const satisfies readonly `${Role}`[];
type RolesMissing = Exclude<`${Role}`, (typeof ROLES)[number]>;
const everyRole: [RolesMissing] extends [never] ? true : RolesMissing = true;
void everyRole;
type RoleName = (typeof ROLES)[number];

/** `apikey create|revoke`. */
export function addApiKeyCommands(program: Command): void {
  const apikey = program.command('apikey').description('create or revoke API keys');

  apikey
    .command('create')
    .description(
      'create a principal and its API key; prints the token alone on stdout (it is shown once: only its hash is kept)',
    )
    .addOption(new Option('--role <ROLE>', 'what the key may see and do').choices(ROLES).makeOptionMandatory())
    .requiredOption('--name <NAME>', 'who uses the key, e.g. "Yiwu PSB sync tool"')
    .option('--brand <SLUG>', 'the brand of a BRAND_PARTNER (see: list brands)')
    .option('--agency <CODE>', 'the agency of an AGENCY_LIAISON (see: list agencies)')
    .addHelpText(
      'after',
      `
Examples:
  KEY=$(npm run --silent cli -- apikey create --role ANALYST --name "Weekly report")
  npx eca apikey create --role AGENCY_LIAISON --name "Yiwu sync" --agency PSB-ZJ-YW`,
    )
    .action(async (options: { role: RoleName; name: string; brand?: string; agency?: string }) => {
      if (options.role === 'BRAND_PARTNER' && !options.brand)
        throw new CliError('a BRAND_PARTNER key needs --brand SLUG (see: list brands)', 2);
      if (options.role === 'AGENCY_LIAISON' && !options.agency)
        throw new CliError('an AGENCY_LIAISON key needs --agency CODE (see: list agencies)', 2);
      if (options.brand && options.role !== 'BRAND_PARTNER')
        throw new CliError(`--brand is for a BRAND_PARTNER key, not ${options.role}`, 2);
      if (options.agency && options.role !== 'AGENCY_LIAISON')
        throw new CliError(`--agency is for an AGENCY_LIAISON key, not ${options.role}`, 2);
      const [{ withDatabase }, { createApiKey }] = await Promise.all([
        import('./session.js'),
        import('../modules/principal/principal.service.js'),
      ]);
      await withDatabase(async ({ dataSource, ctx }) => {
        const brandId = options.brand
          ? await idOf(dataSource, 'brand', 'slug', options.brand, 'Brand', 'list brands')
          : null;
        const agencyId = options.agency
          ? await idOf(dataSource, 'agency', 'code', options.agency, 'Agency', 'list agencies')
          : null;
        const created = await createApiKey(ctx, {
          name: options.name,
          principal: { name: options.name, role: options.role as Role, brandId, agencyId },
        });
        print(created.token);
        say(
          `created key ${created.apiKey.globalId} (${created.apiKey.tokenPrefix}...) for principal ${created.principal.globalId} (${options.role})`,
        );
      });
    });

  apikey
    .command('revoke')
    .description('revoke an API key at once (every server refuses it from its next request)')
    .requiredOption('--id <API_KEY_ID>', "the key's id (see: list keys)")
    .action(async (options: { id: string }) => {
      const [{ withDatabase }, { revokeApiKey }] = await Promise.all([
        import('./session.js'),
        import('../modules/principal/principal.service.js'),
      ]);
      await withDatabase(async ({ ctx }) => {
        await revokeApiKey(ctx, options.id);
        say(`revoked key ${options.id}`);
      });
    });
}

async function idOf(
  dataSource: DataSource,
  table: string,
  column: string,
  value: string,
  typeName: string,
  listCommand: string,
): Promise<string> {
  const { toGlobalId } = await import('../shared/relay/global-id.js');
  const [row] = await dataSource.query(`SELECT id FROM ${table} WHERE ${column} = $1`, [value]);
  if (!row) throw new CliError(`no ${table} with ${column} "${value}" (see: ${listCommand})`);
  return toGlobalId(typeName, row.id);
}
