import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { EMBEDDED_DATABASE, EmbeddedDatabase, EmbeddedPostgresError, messageOf, withClient } from './embedded.js';

/** The API login's password, generated at the first start of the server (mode 0600). */
export const API_LOGIN_FILE = 'api-login.json';

/**
 * The URL of the API's login on this cluster: `login` (eca_api, which the migrations create: call this after
 * migrating) with a password of its own. The password is generated at the first start and kept in
 * `<DATA_DIR>/api-login.json` (mode 0600); the role gets it as the superuser sets it. Later starts reuse it,
 * and set it again only when the cluster refuses it (a cluster initialised again, a file restored from
 * elsewhere). Two servers starting at once on one data folder agree on the first file written.
 */
export async function embeddedApiUrl(
  embedded: Pick<EmbeddedDatabase, 'port' | 'dataDir'>,
  login: string,
): Promise<string> {
  const file = path.join(embedded.dataDir, API_LOGIN_FILE);
  const password = readApiPassword(file) ?? writeApiPassword(file, login);
  const url = `postgres://${encodeURIComponent(login)}:${encodeURIComponent(password)}@127.0.0.1:${embedded.port}/${EMBEDDED_DATABASE}`;
  const refused = await new Promise<unknown>((resolve) => {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    client.on('error', () => undefined);
    client.connect().then(
      () =>
        client.end().then(
          () => resolve(null),
          () => resolve(null),
        ),
      resolve,
    );
  });
  if (!refused) return url;
  await withClient(embedded.port, EMBEDDED_DATABASE, async (client) => {
    const [role] = (await client.query('SELECT rolcanlogin FROM pg_roles WHERE rolname = $1', [login])).rows;
    if (!role) {
      throw new EmbeddedPostgresError(
        `the embedded PostgreSQL of ${embedded.dataDir} has no role ${login}, the API's login, which the migrations create: ` +
          'run `npm run --silent cli -- migrate`, then start again.',
      );
    }
    for (let attempt = 0; ; attempt += 1) {
      try {
        await client.query(
          `ALTER ROLE ${client.escapeIdentifier(login)} WITH LOGIN PASSWORD ${client.escapeLiteral(password)}`,
        );
        return;
      } catch (error) {
        // Another server of this data folder setting the same password at the same moment.
        if (attempt >= 3 || !/tuple concurrently updated/.test(messageOf(error))) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  });
  return url;
}

function readApiPassword(file: string): string | null {
  try {
    const { password } = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (typeof password === 'string' && password.length >= 16) {
      if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
      return password;
    }
  } catch {
    // Missing or unreadable: a new password is made.
  }
  return null;
}

function writeApiPassword(file: string, login: string): string {
  const password = randomBytes(24).toString('base64url');
  const text = `${JSON.stringify({ login, password, note: "password of the API's login on the embedded PostgreSQL of this data folder (src/database/embedded.ts); the owner is postgres" }, null, 2)}\n`;
  try {
    // Created, never overwritten: a server starting at the same moment may have written its own first.
    fs.writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
    return password;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new EmbeddedPostgresError(
        `cannot write ${file}, the API login's password: ${messageOf(error)}. Check that DATA_DIR is writable.`,
      );
    }
    const theirs = readApiPassword(file);
    if (theirs) return theirs;
    // A file that holds no password (damaged): replaced.
    fs.writeFileSync(file, text, { mode: 0o600 });
    fs.chmodSync(file, 0o600);
    return password;
  }
}
