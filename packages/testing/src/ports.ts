import { createServer } from 'node:net';

/**
 * A TCP port that was free a moment ago on 127.0.0.1, found by letting the OS pick one (listen on 0).
 * Another process can still take it before the caller binds it; fixtures that can listen on 0
 * themselves (s3rver, the simulator) do that instead, and only servers that need a known port up front
 * (redis-server, which must come back on the same port after a restart) use this.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`freePort: unexpected listen address ${String(address)}`));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}
