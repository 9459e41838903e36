import fs from 'node:fs';
import { Command } from 'commander';
import { CliError, print, say } from './output.js';

/**
 * `export package --referral REF-...`: a referral's package (README, "Referral packages") on stdout or in a file;
 * `verify-package FILE --public-key KEY`: its offline check. Added to the `export` group (export-commands.ts).
 */
export function addReferralPackageCommands(program: Command): void {
  const exportCommand = program.commands.find((command) => command.name() === 'export');
  if (!exportCommand) throw new Error('the export command group is registered before the package commands');
  exportCommand
    .command('package')
    .description("a referral's package for its agency: manifest, signature, files and audit proofs, as a tar archive")
    .requiredOption('--referral <REF>', 'the referral, by its reference (REF-2026-000007)')
    .option('--out <FILE>', 'write the archive to this file (default: stdout)')
    .addHelpText(
      'after',
      `
The package holds what the referral's agency may read (whoever runs the command), and is recorded in the audit
log (referral.packageExported). Check it with: eca verify-package FILE --public-key KEY

Examples:
  npm run --silent cli -- export package --referral REF-2026-000007 --out REF-2026-000007.tar`,
    )
    .action((options: { referral: string; out?: string }) => exportPackage(options));

  program
    .command('verify-package')
    .description('check a referral package offline: signatures, audit proofs, file hashes, custody (no database)')
    .argument('<FILE>', 'the package (.tar)')
    .requiredOption(
      '--public-key <KEY>',
      'the audit log public key: a file holding the JSON of GET /audit/keys, a PEM key or a base64 raw key, or the base64 key itself',
    )
    .addHelpText('after', '\nExit status: 0 every check passed (warnings allowed), 1 a check failed.')
    .action(async (file: string, options: { publicKey: string }) => {
      const { verifyPackage, formatReport } = await import('../export/package/verify-package.js');
      if (!fs.existsSync(file)) throw new CliError(`no such file: ${file}`, 2);
      const key = fs.existsSync(options.publicKey) ? fs.readFileSync(options.publicKey, 'utf8') : options.publicKey;
      const report = verifyPackage(file, key);
      print(formatReport(report));
      if (!report.ok) process.exitCode = 1;
    });
}

async function exportPackage(options: { referral: string; out?: string }): Promise<void> {
  const [{ withDatabase }, writer, { contentOf }] = await Promise.all([
    import('./session.js'),
    import('../export/package/package-writer.js'),
    import('../export/package/evidence-content.js'),
  ]);
  await withDatabase(async ({ dataSource, config, ctx }) => {
    let prepared;
    try {
      prepared = await writer.prepareReferralPackage(dataSource, config, {
        referral: { reference: options.referral },
        ctx,
        contentSource: contentOf,
      });
    } catch (error) {
      if (error instanceof writer.PackageNotFoundError)
        throw new CliError(`no referral has the reference "${options.referral}"`);
      if (error instanceof writer.PackageNotReadyError) throw new CliError(error.message);
      throw error;
    }
    await writer.recordPackageExport(ctx, prepared);
    const out = options.out ? fs.createWriteStream(options.out) : process.stdout;
    const bytes = await writer.writeReferralPackage(prepared, out);
    if (options.out)
      await new Promise<void>((resolve, reject) => {
        out.once('error', reject);
        out.end(resolve);
      });
    say(
      `package of ${prepared.reference}: ${prepared.manifest.evidence.length} evidence items, ${prepared.files.length} files, ${prepared.manifest.audit.events.length} audit events, ${bytes} bytes${options.out ? ` in ${options.out}` : ''}`,
    );
  });
}
