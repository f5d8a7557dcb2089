import { type IncomingHttpHeaders, createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

// A producer's callback endpoint for the worker tests: on 127.0.0.1 (allowed by the callback policy
// below, as an internal receiver would be), checking every delivery with the standardwebhooks library.

export const CALLBACK_SECRET = `whsec_${Buffer.from('worker-callbacks-test-secret-0123').toString('base64')}`;

/** Worker environment that signs callbacks with CALLBACK_SECRET and may deliver them to the receiver. */
export const CALLBACK_ENV = {
  REELAY_CALLBACK_SECRET: CALLBACK_SECRET,
  REELAY_CALLBACK_ALLOW: '127.0.0.1',
  REELAY_CALLBACK_ALLOW_HTTP: 'true',
};

export interface Delivery {
  headers: IncomingHttpHeaders;
  payload: { type: string; data: { id: string; status: string; error?: { code: string } } };
}

export interface CallbackReceiver {
  url: string;
  /** Deliveries whose signature verified, in arrival order. */
  deliveries: Delivery[];
  close(): Promise<void>;
}

export async function startCallbackReceiver(): Promise<CallbackReceiver> {
  const deliveries: Delivery[] = [];
  const verifier = new Webhook(CALLBACK_SECRET);
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      // A bad signature throws: the delivery is answered 400 and not counted.
      try {
        const payload = verifier.verify(body, req.headers as Record<string, string>) as Delivery['payload'];
        deliveries.push({ headers: req.headers, payload });
        res.end('ok');
      } catch {
        res.statusCode = 400;
        res.end('bad signature');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    deliveries,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
