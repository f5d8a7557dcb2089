export { Reelay } from './client.ts';
export { resolveClientOptions, PROVIDER_PROMPT_MAX } from './client-options.ts';
export type { ResolvedClientOptions } from './client-options.ts';
export { Generations } from './generations.ts';
export { Campaigns, aggregateStatus, secondsFor } from './campaigns.ts';
export { PLATFORM_PRESETS } from './presets.ts';
export { CLIP_SECONDS, LONGEST_CLIP } from './params.ts';
export { ASPECT_RATIOS, CAMPAIGN_STATUSES, PLATFORMS, QUALITIES, RESOLUTIONS } from './types.ts';
export type {
  AspectRatio,
  Campaign,
  CampaignCreateParams,
  CampaignStatus,
  CampaignsResource,
  CreateManyProgress,
  CreatedGeneration,
  Generation,
  GenerationCreateManyItem,
  GenerationCreateManyOptions,
  GenerationCreateManyResponse,
  GenerationCreateManyResult,
  GenerationCreateOptions,
  GenerationCreateParams,
  GenerationCreateResponse,
  GenerationListParams,
  GenerationPage,
  GenerationStatus,
  GenerationsResource,
  Moderate,
  Platform,
  PlatformPreset,
  Quality,
  ReelayClient,
  ReelayOptions,
  RequestMapping,
  Resolution,
  WaitForCompletionOptions,
  WaitForManyOptions,
  WaitForManyResult,
} from './types.ts';
