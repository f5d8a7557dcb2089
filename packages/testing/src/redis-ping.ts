import { connect } from 'node:net';

/**
 * One PING over a raw socket: true only on `+PONG`. A server still replaying its AOF answers
 * `-LOADING`, which is false here, so "PING answers" means "ready for commands". A raw socket rather
 * than ioredis because a client that queues and reconnects would hide exactly what this asks.
 */
export function pingRedis(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let reply = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}
