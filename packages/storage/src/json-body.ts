import { Readable } from 'node:stream';

/** A JSON document as a put body: pretty-printed (manifests are read by people too), newline-terminated. */
export function jsonBody(value: unknown): Readable {
  return Readable.from([Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8')]);
}
