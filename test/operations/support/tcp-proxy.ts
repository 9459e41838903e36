import net from 'node:net';

/**
 * A TCP proxy in front of PostgreSQL that injects network faults at exact points of the wire protocol:
 * it reads the client's messages (a startup packet, then type byte + length + body), so it can act on the
 * simple query that contains a given text (a change's `;\nCOMMIT`, which follows the
 * change's last statements in the same query).
 *
 * - `dropAfter(text)`: forward that query, wait for PostgreSQL's reply, and close the client's socket
 *   without relaying it (the commit happened; the client cannot know).
 * - `dropBefore(text)`: close both sockets instead of forwarding it (the commit never reached PostgreSQL).
 * - `freeze()` / `thaw()`: hold every byte in both directions, like a database process stopped by SIGSTOP.
 * - `pauseAfterErrors(ms)`: relay what follows each ErrorResponse of PostgreSQL `ms` later, as a busy network
 *   may (PostgreSQL flushes an error on its own, so its ReadyForQuery can reach the client in a later read).
 */
export interface TcpProxy {
  url: string;
  dropAfter(queryPrefix: string): Promise<void>;
  dropBefore(queryPrefix: string): Promise<void>;
  freeze(): void;
  thaw(): void;
  pauseAfterErrors(ms: number): void;
  close(): Promise<void>;
}

type Trap = { mode: 'after' | 'before'; prefix: string; sprung: () => void };

export async function startTcpProxy(target: URL): Promise<TcpProxy> {
  let trap: Trap | null = null;
  let frozen = false;
  let errorPauseMs = 0;
  const held: (() => void)[] = [];
  const sockets = new Set<net.Socket>();
  const whenThawed = (work: () => void) => (frozen ? held.push(work) : work());

  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    // Each message is relayed as it is read: without this, Nagle's algorithm and delayed ACKs cost ~40 ms a round trip.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    let dropReply = false;
    // PostgreSQL's messages after the client's startup: type byte + length. (No SSL: pg is not asked for it here.)
    let reply = Buffer.alloc(0);
    let relayed = Promise.resolve();
    const relay = (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]);
      while (reply.length >= 5 && reply.length >= reply.readInt32BE(1) + 1) {
        const message = reply.subarray(0, reply.readInt32BE(1) + 1);
        reply = reply.subarray(message.length);
        relayed = relayed.then(() => {
          client.write(message);
          if (message[0] === 0x45 && errorPauseMs) return new Promise((resolve) => setTimeout(resolve, errorPauseMs));
        });
      }
    };
    upstream.on('data', (chunk) =>
      whenThawed(() => {
        if (dropReply) return end();
        relay(chunk);
      }),
    );

    let buffer = Buffer.alloc(0);
    let started = false;
    client.on('data', (chunk) =>
      whenThawed(() => {
        buffer = Buffer.concat([buffer, chunk]);
        for (;;) {
          // The startup packet (and an SSL request before it) has no type byte.
          const header = started ? 5 : 4;
          if (buffer.length < header) return;
          const length = started ? buffer.readInt32BE(1) + 1 : buffer.readInt32BE(0);
          if (buffer.length < length) return;
          const message = buffer.subarray(0, length);
          buffer = buffer.subarray(length);
          if (!started) {
            started = message.readInt32BE(4) !== 80877103; // not an SSLRequest: the startup packet
          } else if (trap && message[0] === 0x51 && message.subarray(5).toString('utf8').includes(trap.prefix)) {
            const sprung = trap;
            trap = null;
            sprung.sprung();
            if (sprung.mode === 'before') return end();
            dropReply = true;
          }
          upstream.write(message);
        }
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const url = new URL(target.toString());
  url.hostname = '127.0.0.1';
  url.port = String(port);

  const arm = (mode: Trap['mode'], prefix: string) =>
    new Promise<void>((sprung) => {
      trap = { mode, prefix, sprung };
    });
  return {
    url: url.toString(),
    dropAfter: (prefix) => arm('after', prefix),
    dropBefore: (prefix) => arm('before', prefix),
    freeze() {
      frozen = true;
    },
    thaw() {
      frozen = false;
      held.splice(0).forEach((work) => work());
    },
    pauseAfterErrors(ms) {
      errorPauseMs = ms;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
