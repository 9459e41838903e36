import fs from 'node:fs';
import { Command } from 'commander';
import type { SignedCheckpoint } from '../shared/audit/audit-signing.js';
import type { ChainVerification } from '../shared/audit/audit-verify.js';
import { CliError, print, say } from './output.js';

/** `audit verify [--checkpoint FILE]`, `audit checkpoint`. */
export function addAuditCommands(program: Command): void {
  const audit = program
    .command('audit')
    .description('check and anchor the audit log (README, "Verifying the audit log")');

  audit
    .command('verify')
    .description(
      'check the whole audit log: its hash chain, its Merkle tree against the latest signed checkpoint (and --checkpoint FILE), the signatures of the events no checkpoint covers; exits 1 and names what is wrong (truncated, removed, altered, reordered, unsigned events, bad checkpoint signatures)',
    )
    .option(
      '--checkpoint <file>',
      "a checkpoint kept earlier, as JSON (printed by `audit checkpoint`, or the auditCheckpoint query's answer): the log must still hold it",
    )
    .addHelpText(
      'after',
      '\nPrints the verdict on stdout, one problem a line. Exit status: 0 intact, 1 not (or the file is unreadable).',
    )
    .action(async (options: { checkpoint?: string }) => {
      const [{ withDatabase }, { verifyAuditChain }] = await Promise.all([
        import('./session.js'),
        import('../shared/audit/audit.service.js'),
      ]);
      const checkpoint = options.checkpoint ? readCheckpointFile(options.checkpoint) : undefined;
      await withDatabase(async ({ config, dataSource }) => {
        const result = await verifyAuditChain(dataSource.manager, { audit: config.audit, checkpoint });
        print(verificationReport(result, checkpoint));
        if (!result.ok) process.exitCode = 1;
      });
    });

  audit
    .command('checkpoint')
    .description(
      'sign a checkpoint of the audit log as it stands (unless the latest one covers it already) and print it as JSON: a partner keeps this file and later runs `audit verify --checkpoint FILE` or examples/verify-checkpoint.mjs',
    )
    .action(async () => {
      const [{ withDatabase }, { checkpointJson, makeCheckpoint }] = await Promise.all([
        import('./session.js'),
        import('../shared/audit/audit-checkpoint.js'),
      ]);
      await withDatabase(async ({ config, dataSource }) => {
        const outcome = await makeCheckpoint(dataSource, config.audit, { wait: true });
        if (outcome.problem) {
          say(`audit log: ${outcome.problem}`);
          process.exitCode = 1;
        }
        if (!outcome.checkpoint) {
          if (!outcome.problem) say('the audit log is empty: nothing to sign yet');
          process.exitCode = 1;
          return;
        }
        print(JSON.stringify(checkpointJson(outcome.checkpoint), null, 2));
        say(
          outcome.made
            ? `signed a checkpoint of ${outcome.checkpoint.treeSize} events (key ${outcome.checkpoint.keyId})`
            : `the log has not grown since the checkpoint of ${outcome.checkpoint.treeSize} events (${outcome.checkpoint.timestamp}): that one is printed`,
        );
      });
    });
}

/** A kept checkpoint: the JSON of `audit checkpoint`, or an auditCheckpoint answer (with or without `data`). */
function readCheckpointFile(file: string): SignedCheckpoint {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read the checkpoint file ${file}: ${(error as Error).message}`);
  }
  type Json = { [key: string]: unknown } | null | undefined;
  let value: Json;
  try {
    value = JSON.parse(text) as Json;
  } catch {
    throw new CliError(`${file} is not JSON: it should hold a checkpoint as \`audit checkpoint\` prints it`);
  }
  // The file `audit checkpoint` writes, or an API answer holding one (`{ data: { auditCheckpoint } }`).
  const inner = (json: Json, key: string): Json =>
    json && typeof json[key] === 'object' ? (json[key] as Json) : undefined;
  const checkpoint = inner(inner(value, 'data'), 'auditCheckpoint') ?? inner(value, 'auditCheckpoint') ?? value;
  const fields = ['origin', 'treeSize', 'rootHash', 'timestamp', 'keyId', 'signature', 'note'];
  const missing = fields.filter((f) => checkpoint?.[f] === undefined || checkpoint?.[f] === null);
  if (!checkpoint || missing.length || typeof checkpoint.treeSize !== 'number') {
    throw new CliError(
      `${file} is not a checkpoint: ${missing.length ? `${missing.join(', ')} missing` : 'treeSize is not a number'} (expected the JSON \`audit checkpoint\` prints)`,
    );
  }
  // The fields' types are not checked here: one of a wrong type fails the verification of the checkpoint.
  return {
    ...checkpoint,
    timestamp: new Date(String(checkpoint.timestamp)).toISOString(),
  } as unknown as SignedCheckpoint;
}

/** The verdict for a person or a script: the first line says intact or not, then one problem a line. */
function verificationReport(result: ChainVerification, checkpoint: SignedCheckpoint | undefined): string {
  const head = `${result.treeSize} events, root ${result.rootHash ?? '(cannot be computed: events are missing)'}`;
  const anchored = result.checkpointTreeSize
    ? `the first ${result.checkpointTreeSize} covered by a signed checkpoint${checkpoint ? ` (the given one: ${checkpoint.treeSize} events, ${checkpoint.timestamp})` : ''}`
    : 'no signed checkpoint yet';
  if (result.ok) {
    const pending = result.unsignedUncovered
      ? `\n${result.unsignedUncovered} events from before signing began are not covered by a checkpoint yet: they are trusted on first use by the first one (\`audit checkpoint\`)`
      : '';
    return `audit log intact: ${head}; ${anchored}; the events after it are signed${pending}`;
  }
  return [
    `audit log NOT intact (${result.problems.length}${result.problems.length === 20 ? '+' : ''} problem(s)): ${head}; ${anchored}`,
    ...result.problems.map((p) => `${p.kind}: ${p.message}`),
  ].join('\n');
}
