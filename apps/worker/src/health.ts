import { type Server, createServer } from 'node:http';
import type { Redis } from 'ioredis';

/** The Prometheus exposition of this process (ReelayMetrics.render). */
export type MetricsRenderer = () => Promise<{ contentType: string; body: string }>;

/**
 * /healthz: the process is alive (event loop answers). /readyz: Redis answers PING and the workers
 * are running — what a load balancer or Kubernetes readiness probe should gate on. /metrics:
 * Prometheus text, unauthenticated like the probes (the port is cluster-internal).
 */
export function startHealthServer(
  port: number,
  redis: Redis,
  isRunning: () => boolean,
  metrics?: MetricsRenderer,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/healthz') return reply(200, { ok: true });
    if (req.url === '/readyz') {
      const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 1000).unref());
      void Promise.race([redis.ping().catch((e: Error) => e.message), timeout]).then((pong) => {
        const ready = pong === 'PONG' && isRunning();
        reply(ready ? 200 : 503, { ok: ready, redis: pong === 'PONG' ? 'ok' : pong, workers: isRunning() });
      });
      return;
    }
    if (req.url === '/metrics' && metrics) {
      void metrics().then(
        ({ contentType, body }) => {
          res.writeHead(200, { 'content-type': contentType });
          res.end(body);
        },
        (error: Error) => reply(500, { error: { code: 'metrics_failed', message: error.message } }),
      );
      return;
    }
    reply(404, { error: { code: 'not_found', message: 'try /healthz, /readyz or /metrics' } });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : port });
    });
  });
}
