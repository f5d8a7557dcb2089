import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import { ReelayError } from '@reelay/core';
import type { CheckedCallback } from './ssrf.ts';

export interface PostOptions {
  timeoutMs: number;
  maxResponseBytes: number;
  userAgent: string;
  /** Extra trusted CAs (PEM); Node's bundled roots stay trusted. */
  tlsCa: readonly string[];
}

/**
 * POSTs `body` to the checked callback, connecting to the checked address only: the socket's
 * `lookup` answers with it, so no second DNS query can swap in another address (DNS rebinding),
 * while the Host header and TLS SNI/certificate check keep the original name. Redirects are not
 * followed (node:http never does). Resolves with the status code; the response body is read up to
 * `maxResponseBytes` and discarded. `fetch`/undici was the alternative; its `lookup` hook needs a
 * custom dispatcher per request, node:http takes it as a plain option.
 */
export function postCallback(
  target: CheckedCallback,
  body: string,
  headers: Record<string, string>,
  options: PostOptions,
): Promise<number> {
  const { url, address, family } = target;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
  const secure = url.protocol === 'https:';
  const request = secure ? https.request : http.request;
  const signal = AbortSignal.timeout(options.timeoutMs);

  return new Promise<number>((resolve, reject) => {
    const req = request(
      {
        protocol: url.protocol,
        hostname: host,
        port: url.port || (secure ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': options.userAgent,
        },
        // A fresh socket per delivery: a pooled one could have been opened to an address checked
        // under an older policy or DNS answer.
        agent: false,
        lookup: pinned,

        ...(secure && isIP(host) === 0 ? { servername: host } : {}),
        // `ca` replaces the default roots, so they are passed along with the extra ones.
        ...(secure && options.tlsCa.length > 0 ? { ca: [...rootCertificates, ...options.tlsCa] } : {}),
        signal,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        let seen = 0;
        res.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen > options.maxResponseBytes) {
            res.destroy();
            resolve(status);
          }
        });
        res.on('end', () => resolve(status));
        res.on('error', () => resolve(status)); // the status is all we needed
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      const timedOut = signal.aborted;
      reject(
        new ReelayError(
          'transient',
          timedOut
            ? `callback to ${url.host} timed out after ${options.timeoutMs} ms`
            : `callback to ${url.host} failed: ${error.code ?? error.message}`,
          { retryable: true, cause: error },
        ),
      );
    });
    req.end(body);
  });
}
