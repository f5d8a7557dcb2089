import { type Server, type Socket, createConnection, createServer } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a server (Redis), whose `cut()` drops every open connection at
 * once — both sides destroyed, in-flight commands lost — as a network partition or a load balancer
 * restart would. New connections are accepted again right away.
 */
export interface TcpProxy {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` when the upstream is Redis. */
  readonly url: string;
  /** Connections open now. */
  open(): number;
  /** Connections accepted so far. */
  accepted(): number;
  /** Destroys every open connection; resolves with how many were cut. */
  cut(): number;
  /**
   * Arms a trap: the first client→server chunk for which `match` (over that chunk's text) is true
   * is not forwarded, nor is anything after them on that connection. Resolves
   * then, so the test can kill the client while that command is lost in transit.
   */
  trap(match: (chunkText: string) => boolean): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(upstreamHost: string, upstreamPort: number): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let accepted = 0;
  let armed: { match: (text: string) => boolean; sprung: () => void } | undefined;
  const server: Server = createServer((client) => {
    accepted++;
    const upstream = createConnection({ host: upstreamHost, port: upstreamPort });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    let held = false;
    client.on('data', (chunk: Buffer) => {
      if (held) return;
      if (armed) {
        // One command is one write from the client (ioredis writes each command whole).
        if (armed.match(chunk.toString('latin1'))) {
          held = true;
          const { sprung } = armed;
          armed = undefined;
          sprung();
          return;
        }
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('tcp proxy: no port');
  const port = address.port;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    open: () => pairs.size,
    accepted: () => accepted,
    cut() {
      const n = pairs.size;
      for (const [client, upstream] of [...pairs]) {
        // resetAndDestroy sends RST where it can: the peer sees a dead connection, not a clean FIN.
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      }
      pairs.clear();
      return n;
    },
    trap(match) {
      return new Promise<void>((resolve) => {
        armed = { match, sprung: resolve };
      });
    },
    async close() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
