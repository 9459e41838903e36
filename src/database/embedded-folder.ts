import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * The embedded PostgreSQL's data folder (embedded.ts): its state file (the folder's port, and whether its
 * initialisation finished), PostgreSQL's own lock file, the repair of an interrupted initialisation, and
 * the choice of a free port.
 */
export const STATE_FILE = 'embedded-postgres.json';
/** Ports are picked from here up (not from the ephemeral range, where outgoing connections take theirs). */
const PORT_BASE = 54329;
const PORT_SPAN = 600;

export interface State {
  port: number;
  /** False from just before initdb until it has finished: a false one found later is an interrupted initdb. */
  initialised: boolean;
  /** The process running initdb, while `initialised` is false: another process waits for it. */
  initialisingPid?: number;
}

// ---------------------------------------------------------------------------------------------------
// The state file: the data folder's port, and whether its initialisation finished.

export function readState(root: string): State | null {
  const file = path.join(root, STATE_FILE);
  if (!fs.existsSync(file)) return null;
  try {
    const state = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (Number.isInteger(state.port) && state.port > 0 && state.port < 65536) {
      return {
        port: state.port,
        initialised: state.initialised !== false,
        initialisingPid: Number.isInteger(state.initialisingPid) ? state.initialisingPid : undefined,
      };
    }
  } catch {
    // Unreadable: treated as absent, and rewritten below.
  }
  return null;
}

/** Written whole and renamed into place: a reader never sees half a file. */
export function writeState(root: string, state: State): void {
  const file = path.join(root, STATE_FILE);
  const text = `${JSON.stringify({ ...state, note: 'port of the embedded PostgreSQL of this data folder (src/database/embedded.ts)' }, null, 2)}\n`;
  fs.writeFileSync(`${file}.${process.pid}`, text);
  fs.renameSync(`${file}.${process.pid}`, file);
}

/** PostgreSQL's lock file: line 1 the postmaster's PID, line 4 its port, line 8 its status. */
export function readPostmasterPid(databaseDir: string): { pid: number; port: number; status: string } | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(databaseDir, 'postmaster.pid'), 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port)) return null;
  return { pid, port, status: (lines[7] ?? '').trim() };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** On Linux, whether that PID is a postgres process at all (after a container restart, PIDs are reused). */
export function isPostgres(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    return !fs.existsSync('/proc/self'); // no /proc: cannot tell, trust the PID
  }
}

// ---------------------------------------------------------------------------------------------------
// Repairs.

/**
 * An initialisation that never finished (initdb killed, or a first start that failed before the state
 * file said "initialised") left a folder PostgreSQL cannot start from and holding no data: it is removed so
 * that initdb runs again. A folder from before the state file existed counts as initialised when it has
 * PostgreSQL's control file. Answers whether the cluster is initialised.
 */
export function repairInterruptedInit(
  databaseDir: string,
  kept: State | null,
  notice: (message: string) => void,
): boolean {
  const hasControlFile =
    fs.existsSync(path.join(databaseDir, 'global', 'pg_control')) &&
    fs.existsSync(path.join(databaseDir, 'PG_VERSION'));
  if (hasControlFile && (kept ? kept.initialised : true)) return true;
  if (fs.existsSync(databaseDir) && fs.readdirSync(databaseDir).length > 0) {
    notice(`${databaseDir} holds an initialisation that did not finish (no data in it): initialising it again`);
    fs.rmSync(databaseDir, { recursive: true, force: true });
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------
// Ports.

/** The data folder's port if it is free, otherwise a free one (written to the state file either way). */
export async function usablePort(
  root: string,
  kept: State | null,
  initialised: boolean,
  notice: (message: string) => void,
): Promise<number> {
  if (kept && (await isPortFree(kept.port))) {
    if (kept.initialised !== initialised) writeState(root, { port: kept.port, initialised });
    return kept.port;
  }
  const port = await freePort(root);
  if (kept)
    notice(
      `port ${kept.port} of the embedded PostgreSQL of ${root} is taken by another program: it moves to port ${port}`,
    );
  writeState(root, { port, initialised });
  return port;
}

export function isPortFree(port: number): Promise<boolean> {
  // A PostgreSQL of another data folder on that port also holds a Unix socket lock in /tmp.
  if (fs.existsSync(`/tmp/.s.PGSQL.${port}.lock`)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port from a start that depends on the folder (two checkouts start apart), or any free port. */
export async function freePort(root: string): Promise<number> {
  const offset = createHash('sha256').update(root).digest().readUInt32BE(0) % PORT_SPAN;
  for (let i = 0; i < PORT_SPAN; i += 1) {
    const port = PORT_BASE + ((offset + i) % PORT_SPAN);
    if (await isPortFree(port)) return port;
  }
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
