import type { Logger } from './logger.ts';

/** A long-running HTTP app's start and stop, as `runHttpService` drives them. */
export interface HttpServiceOptions {
  /** The app's short name: `reelay-<name>:` prefixes start errors, `<name> stopped` ends the log. */
  name: string;
  logger: Logger;
  /** Where it listens, and the variables that say so (named when the port cannot be taken). */
  bind: { host: string; port: number; hostVariable: string; portVariable: string };
  /** Starts listening; resolves with the bound address (Fastify's `listen`). */
  listen(): Promise<string>;
  /**
   * Stops accepting, lets in-flight requests finish, then closes what the app opened, in order.
   * Also called after a failed listen, to release connections before exiting.
   */
  close(): Promise<void>;
  /** After SIGTERM/SIGINT, how long `close` may take before the process exits anyway (code 1), ms. */
  shutdownTimeoutMs: number;
}

/**
 * Listens, prints the one `{"event":"listening","url":…}` line scripts and tests wait for, and stops
 * gracefully on SIGTERM or SIGINT: `close()` within `shutdownTimeoutMs`, then exit 0 (1 if it did not
 * finish in time). A port it cannot take is a start error: one line naming the variables, exit 1.
 * Resolves with the URL to reach it on (a wildcard bind is reached on loopback locally).
 */
export async function runHttpService(options: HttpServiceOptions): Promise<URL> {
  const { logger, bind } = options;
  let address: string;
  try {
    address = await options.listen();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the port is in use' : (error as Error).message;
    console.error(
      `reelay-${options.name}: cannot listen on ${bind.host}:${bind.port} (${bind.hostVariable}, ${bind.portVariable}): ${why}`,
    );
    await options.close().catch(() => {});
    process.exit(1);
  }
  const url = new URL(address);
  if (url.hostname === '0.0.0.0' || url.hostname === '[::]') url.hostname = '127.0.0.1';
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: url.origin })}\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(
      { signal, timeoutMs: options.shutdownTimeoutMs },
      'shutting down: finishing in-flight requests',
    );
    const timer = setTimeout(() => {
      logger.warn('in-flight requests did not finish in time; exiting anyway');
      logger.flush();
      process.exit(1);
    }, options.shutdownTimeoutMs);
    timer.unref();
    await options.close();
    logger.info(`${options.name} stopped`);
    logger.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  return url;
}
