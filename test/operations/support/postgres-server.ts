import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

/** A dedicated PostgreSQL server (see postgres-process.mjs) that a test may stop and start. */
export interface PostgresServer {
  /** URL of its `postgres` database. */
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startPostgresServer(): Promise<PostgresServer> {
  const child = spawn(process.execPath, [path.join(__dirname, 'postgres-process.mjs')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const replies = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<any> => {
    const { value, done } = await replies.next();
    if (done) throw new Error('the PostgreSQL helper process ended');
    return JSON.parse(value);
  };
  const command = async (name: string) => {
    child.stdin!.write(`${name}\n`);
    const reply = await next();
    if (reply.done !== name) throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
  };
  const { url } = await next();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    url,
    stop: () => command('stop'),
    start: () => command('start'),
    async close() {
      child.stdin!.end();
      await exited;
    },
  };
}
