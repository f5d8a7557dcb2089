import type { CampaignCreateParams, GenerationCreateOptions, ReelayClient } from '@reelay/client';
import type { CallbackPolicy } from '@reelay/pipeline';
import { apiError, fromError } from './errors.ts';
import type { ProducerHandler } from './request.ts';
import { campaignCreateBodySchema, resourceIdSchema } from './schemas.ts';
import { readIdempotencyKey, refuseCallbackUrl, validate } from './validate.ts';

const NOT_FOUND = 'no campaign with this id for this API key';

/** POST /v1/campaigns: one generation per platform, under the caller's tenant. */
export function createCampaignHandler(
  client: ReelayClient,
  callbackPolicy: CallbackPolicy = {},
): ProducerHandler {
  return async ({ caller, body, headers }) => {
    const options: GenerationCreateOptions = { tenant: caller.tenant };
    const key = readIdempotencyKey(headers);
    if (!key.ok) return key.result;
    if (key.key !== undefined) options.idempotencyKey = key.key;
    const checked = validate(campaignCreateBodySchema, body, 'body');
    if (!checked.ok) return checked.result;
    const { callback_url, ...params } = checked.data;
    const refused = refuseCallbackUrl(callback_url, callbackPolicy);
    if (refused) return refused;
    if (callback_url !== undefined) options.callbackUrl = callback_url;
    try {
      const campaign = await client.campaigns.create(params as CampaignCreateParams, options);
      return { status: 201, body: campaign };
    } catch (error) {
      return fromError(error);
    }
  };
}

/** GET /v1/campaigns/:id — another tenant's campaign is a 404, like a missing one. */
export function retrieveCampaignHandler(client: ReelayClient): ProducerHandler {
  return async ({ caller, params }) => {
    const id = params['id'];
    if (id === undefined || !resourceIdSchema.safeParse(id).success) {
      return apiError(404, 'not_found', NOT_FOUND, 'id');
    }
    try {
      const campaign = await client.campaigns.retrieve(id);
      if (campaign.tenant !== caller.tenant) return apiError(404, 'not_found', NOT_FOUND, 'id');
      return { status: 200, body: campaign };
    } catch (error) {
      return fromError(error, NOT_FOUND);
    }
  };
}
