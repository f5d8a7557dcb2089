import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Script = (req: IncomingMessage, res: ServerResponse, body: string) => void;

export interface ScriptedServer {
  /** `baseURL` for the SDK under which `script` answers every request. */
  baseURL(script: string): string;
  /** Requests seen, per script name, in order. */
  seen(
    script: string,
  ): Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }>;
  close(): Promise<void>;
}

/**
 * A real HTTP server that answers each request by a named script (the first path segment), so one
 * server can play every status/body/header combination the classification table distinguishes.
 */
export async function startScriptedServer(scripts: Record<string, Script>): Promise<ScriptedServer> {
  const seen = new Map<
    string,
    Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }>
  >();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const name = (req.url ?? '/').split('/')[1] ?? '';
      const list = seen.get(name) ?? [];
      list.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body });
      seen.set(name, list);
      const script = scripts[name];
      if (script === undefined) {
        res.writeHead(599).end();
        return;
      }
      script(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: (script) => `http://127.0.0.1:${port}/${script}/v1`,
    seen: (script) => seen.get(script) ?? [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An OpenAI-shaped JSON error answer. */
export function jsonError(
  status: number,
  error: { message: string; type?: string; code?: string | null; param?: string | null },
  headers: Record<string, string> = {},
): Script {
  return (_req, res) => {
    res.writeHead(status, {
      'content-type': 'application/json',
      'x-request-id': `req_${status}`,
      ...headers,
    });
    res.end(JSON.stringify({ error: { type: 'invalid_request_error', code: null, param: null, ...error } }));
  };
}
