import { z } from 'zod';
import {
  campaignCreateBodySchema,
  generationCreateBodySchema,
  generationListQuerySchema,
  responseSchemas,
} from './schemas.ts';

/** One documented route: the app registers exactly these, so the document lists what exists. */
export interface RouteDoc {
  method: 'get' | 'post' | 'delete';
  /** OpenAPI path template, e.g. `/v1/generations/{id}`. */
  path: string;
  summary: string;
}

export const PRODUCER_ROUTES = {
  createGeneration: { method: 'post', path: '/v1/generations', summary: 'Create generation(s)' },
  listGenerations: { method: 'get', path: '/v1/generations', summary: "List your tenant's generations" },
  retrieveGeneration: { method: 'get', path: '/v1/generations/{id}', summary: 'Retrieve a generation' },
  cancelGeneration: { method: 'delete', path: '/v1/generations/{id}', summary: 'Cancel a generation' },
  generationContent: {
    method: 'get',
    path: '/v1/generations/{id}/content',
    summary: 'Download the video (stream, or 302 to a presigned URL)',
  },
  createCampaign: { method: 'post', path: '/v1/campaigns', summary: 'Create a campaign' },
  retrieveCampaign: { method: 'get', path: '/v1/campaigns/{id}', summary: 'Retrieve a campaign' },
} as const satisfies Record<string, RouteDoc>;

type Json = Record<string, unknown>;

function schema(value: z.ZodType, io: 'input' | 'output' = 'output'): Json {
  const out = z.toJSONSchema(value, { io, unrepresentable: 'any' }) as Json;
  // The document's dialect is OpenAPI 3.1's; a per-schema $schema would be redundant there.
  delete out['$schema'];
  return out;
}

const json = (s: Json) => ({ 'application/json': { schema: s } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errorResponse = (description: string) => ({ description, content: json(ref('Error')) });

const COMMON_ERRORS = {
  '401': errorResponse('Missing or unknown API key (`unauthorized`).'),
  '429': errorResponse('Per-key request limit (`rate_limited`); see the `retry-after` header.'),
};
const moderationUnavailable = errorResponse(
  'Moderation is on and could not be checked (`moderation_unavailable`): nothing was enqueued; retry later.',
);
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const notFound = errorResponse('No such id for this key (another tenant’s ids are 404 too).');
const bodyErrors = {
  '400': errorResponse('Invalid JSON or field (`invalid_json`, `invalid_request`; `param` names it).'),
  '413': errorResponse('Body over the size limit (`body_too_large`).'),
  '415': errorResponse('Content-Type is not application/json (`unsupported_media_type`).'),
};

/** Query parameters from the list schema, one per field. */
function queryParameters(): Json[] {
  const object = schema(generationListQuerySchema, 'input') as { properties?: Record<string, Json> };
  return Object.entries(object.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: false,
    schema: s,
  }));
}

/** The OpenAPI 3.1 document of the producer API, generated from the schemas the routes validate with. */
export function buildOpenApiDocument(serverUrl?: string): Json {
  const R = PRODUCER_ROUTES;
  const operations: Record<keyof typeof PRODUCER_ROUTES, Json> = {
    createGeneration: {
      parameters: [
        {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description: 'Same key (per tenant) → the same generation(s), however often sent.',
          schema: { type: 'string', minLength: 1, maxLength: 255 },
        },
      ],
      requestBody: { required: true, content: json(ref('GenerationCreateBody')) },
      responses: {
        '201': { description: 'Created.', content: json(ref('GenerationCreated')) },
        '200': {
          description: 'Already created by an earlier request with this key.',
          content: json(ref('GenerationCreated')),
        },
        ...bodyErrors,
        '409': errorResponse('Idempotency key reused with other parameters (`conflict`).'),
        '422': errorResponse('Refused by moderation (`content_policy`, with its `categories`).'),
        '503': moderationUnavailable,
        ...COMMON_ERRORS,
      },
    },
    listGenerations: {
      parameters: queryParameters(),
      responses: {
        '200': { description: 'Newest first.', content: json(ref('GenerationPage')) },
        '400': errorResponse('Bad filter or cursor (`invalid_request`).'),
        ...COMMON_ERRORS,
      },
    },
    retrieveGeneration: {
      parameters: [idParam],
      responses: {
        '200': { description: 'The record.', content: json(ref('Generation')) },
        '404': notFound,
        ...COMMON_ERRORS,
      },
    },
    cancelGeneration: {
      parameters: [idParam],
      responses: {
        '200': { description: 'Cancelled.', content: json(ref('Generation')) },
        '404': notFound,
        '409': errorResponse('Already ended (`conflict`).'),
        ...COMMON_ERRORS,
      },
    },
    generationContent: {
      parameters: [idParam],
      responses: {
        '200': {
          description: 'The video (local storage).',
          content: { 'video/mp4': { schema: { type: 'string', contentMediaType: 'video/mp4' } } },
        },
        '302': { description: 'Redirect to a presigned URL (S3 storage).' },
        '404': notFound,
        '409': errorResponse('Not stored yet, failed or cancelled (`not_ready`).'),
        ...COMMON_ERRORS,
      },
    },
    createCampaign: {
      requestBody: { required: true, content: json(ref('CampaignCreateBody')) },
      responses: {
        '201': { description: 'Created.', content: json(ref('Campaign')) },
        ...bodyErrors,
        '422': errorResponse('Refused by moderation (`content_policy`, with its `categories`).'),
        '503': moderationUnavailable,
        ...COMMON_ERRORS,
      },
    },
    retrieveCampaign: {
      parameters: [idParam],
      responses: {
        '200': { description: 'The campaign.', content: json(ref('Campaign')) },
        '404': notFound,
        ...COMMON_ERRORS,
      },
    },
  };
  const paths: Record<string, Record<string, Json>> = {};
  for (const [name, route] of Object.entries(R) as Array<[keyof typeof R, RouteDoc]>) {
    paths[route.path] ??= {};
    paths[route.path]![route.method] = { operationId: name, summary: route.summary, ...operations[name] };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Reelay producer API',
      version: '1.0.0',
      description:
        'Create, watch, cancel and download AI video generations. Errors: {error: {code, message, param}}.',
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key bound to a tenant.' },
      },
      schemas: {
        GenerationCreateBody: schema(generationCreateBodySchema, 'input'),
        CampaignCreateBody: schema(campaignCreateBodySchema, 'input'),
        GenerationCreated: schema(responseSchemas.created),
        Generation: schema(responseSchemas.generation),
        GenerationPage: schema(responseSchemas.page),
        Campaign: schema(responseSchemas.campaign),
        Error: schema(responseSchemas.error),
      },
    },
  };
}
