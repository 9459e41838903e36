import { Command } from 'commander';
import { print } from './output.js';

/** `audit verify`. */
export function addAuditCommands(program: Command): void {
  const audit = program.command('audit').description('check the audit trail');

  audit
    .command('verify')
    .description('check the whole audit hash chain; exits 1 and names the first broken event if a row was altered or removed')
    .action(async () => {
      const [{ withDatabase }, { verifyAuditChain }] = await Promise.all([import('./session.js'), import('../shared/audit/audit.service.js')]);
      await withDatabase(async ({ dataSource }) => {
        const result = await verifyAuditChain(dataSource.manager);
        if (result.ok) {
          print(`audit chain intact: ${result.eventsChecked} events`);
          return;
        }
        print(`audit chain BROKEN at event seq ${result.firstBrokenSeq}: ${result.problem} (${result.eventsChecked} events before it are intact)`);
        process.exitCode = 1;
      });
    });
}
