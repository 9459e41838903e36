import { createTestDatabase, TestDatabase } from './database';
import { createWorld, World } from './fixtures';
import { startTestServer, TestServer } from './server';

export interface TestServerOptions {
  /** Configuration overrides for the server (environment variables, as loadConfig reads them). */
  env?: Record<string, string>;
  /** Whether to create the world of test/support/fixtures.ts (brands, agencies, sellers, keys). */
  world?: boolean;
  /** Whether to start the HTTP server; without one the file tests the database and services alone. */
  server?: boolean;
  /** Rows the server must find when it starts (history, rollups), written through `db` after the world. */
  beforeServer?: () => Promise<void>;
  /** Another login for the server's pool than the API's (asBypassLogin); the default is the API's login. */
  loginUrl?: (db: TestDatabase) => Promise<string>;
  /** The file's own teardown that needs the database or the server still there (clients, pools, files). */
  beforeClose?: () => Promise<void>;
  /** Time for the whole setup, where it is slower than a test's (a large dataset). */
  timeout?: number;
}

export interface TestHarness {
  /** The file's own migrated database; `db.dataSource` is the owner's pool, for checks of what was written. */
  db: TestDatabase;
  world: World;
  server: TestServer;
}

/**
 * A migrated database of the file's own, the world and a running server, made in a beforeAll and closed
 * and dropped in an afterAll. Call it at a file's (or a describe's) top level:
 *
 *   const { db, world, server } = useTestServer();
 *
 * The fields are views that forward to the real objects once the beforeAll has run, so that they can be
 * destructured at load time and used in tests and in later hooks as if they were the objects themselves.
 */
export function useTestServer(options: TestServerOptions = {}): TestHarness {
  const db = lateBound<TestDatabase>('db', 'the database');
  const world = lateBound<World>('world', 'the world (useTestServer({ world: false }) makes none)');
  const server = lateBound<TestServer>('server', 'the server (useTestServer({ server: false }) starts none)');

  beforeAll(async () => {
    const database = db.fill(await createTestDatabase());
    if (options.world !== false) world.fill(await createWorld(database.dataSource));
    await options.beforeServer?.();
    if (options.server !== false) {
      const loginUrl = await options.loginUrl?.(database);
      server.fill(await startTestServer(database, options.env, { loginUrl }));
    }
  }, options.timeout);

  afterAll(async () => {
    try {
      await options.beforeClose?.();
    } finally {
      await server.filled?.close();
      await db.filled?.drop();
    }
  });

  return { db: db.view, world: world.view, server: server.view };
}

/** A stand-in for an object made later (in a beforeAll): property reads and writes go to the object once filled. */
function lateBound<T extends object>(name: string, what: string) {
  let target: T | undefined;
  const real = (): T => {
    if (!target) throw new Error(`${what} is not there: \`${name}\` is filled in useTestServer's beforeAll`);
    return target;
  };
  const view = new Proxy({} as T, {
    get(_, property) {
      const value = Reflect.get(real(), property);
      // A method called through the view runs on the real object, as a class's methods expect.
      return typeof value === 'function' ? value.bind(real()) : value;
    },
    set: (_, property, value) => Reflect.set(real(), property, value),
    has: (_, property) => Reflect.has(real(), property),
    ownKeys: () => Reflect.ownKeys(real()),
    getOwnPropertyDescriptor(_, property) {
      const descriptor = Reflect.getOwnPropertyDescriptor(real(), property);
      return descriptor && { ...descriptor, configurable: true };
    },
  });
  return {
    view,
    get filled() {
      return target;
    },
    fill(value: T): T {
      target = value;
      return value;
    },
  };
}
