import type { FastifyRequest } from 'fastify';
import { ApiError } from '../api-error.ts';

/** An uploaded file part, kept only as far as validation needs it. */
export interface UploadedFile {
  filename: string;
  mimetype: string;
  bytes: number;
}

/** `input_reference[image_url]` → ['input_reference', 'image_url']: the SDK's form encoding of nested objects. */
function keyPath(fieldname: string): string[] {
  const match = /^([^[]+)((?:\[[^\]]*\])*)$/.exec(fieldname);
  if (!match?.[1]) return [fieldname];
  const rest = [...(match[2] ?? '').matchAll(/\[([^\]]*)\]/g)].map((m) => m[1] ?? '');
  return [match[1], ...rest];
}

function assign(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const [i, key] of path.entries()) {
    if (i === path.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
}

/**
 * The request body as a plain object, whether it came as JSON or as multipart/form-data (what the SDK
 * sends for creates). File parts are read through, not kept: only their name, type and size matter here.
 */
export async function readBody(request: FastifyRequest): Promise<Record<string, unknown>> {
  if (request.isMultipart()) {
    const body: Record<string, unknown> = {};
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        let bytes = 0;
        for await (const chunk of part.file) bytes += (chunk as Buffer).length;
        const file: UploadedFile = { filename: part.filename, mimetype: part.mimetype, bytes };
        assign(body, keyPath(part.fieldname), file);
      } else {
        assign(body, keyPath(part.fieldname), part.value);
      }
    }
    return body;
  }
  const body = request.body;
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError(400, 'The request body must be a JSON object or multipart/form-data.');
  }
  return body as Record<string, unknown>;
}

const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'];

/** `input_reference`: an image file, or `{image_url}` / `{file_id}`. */
export function checkInputReference(value: unknown): void {
  if (value === undefined) return;
  if (typeof value === 'object' && value !== null && 'mimetype' in value) {
    const file = value as UploadedFile;
    // Files sent without a type (toFile(buffer, 'ref.png')) arrive as octet-stream: judge them by name.
    const byName =
      /\.(png|jpe?g|webp)$/i.test(file.filename) && /^(application\/octet-stream)?$/.test(file.mimetype);
    if (!IMAGE_TYPES.includes(file.mimetype) && !byName) {
      throw new ApiError(
        400,
        `Invalid file format for 'input_reference': '${file.mimetype}'. Supported formats are: 'image/jpeg', 'image/png', and 'image/webp'.`,
        { param: 'input_reference', code: 'invalid_value' },
      );
    }
    return;
  }
  if (typeof value === 'object' && value !== null) {
    const ref = value as Record<string, unknown>;
    if (typeof ref['image_url'] === 'string' || typeof ref['file_id'] === 'string') return;
  }
  throw new ApiError(400, "Invalid 'input_reference': expected an image file, {image_url} or {file_id}.", {
    param: 'input_reference',
    code: 'invalid_value',
  });
}
