import type { Platform, PlatformPreset } from './types.ts';

/**
 * Platform presets: shape, the longest clip each platform takes (its own limit; the provider's
 * longest clip caps it further) and a prompt style suffix. Limits as the platforms publish them for
 * organic uploads; they change, so they live in one table.
 */
export const PLATFORM_PRESETS: Readonly<Record<Platform, PlatformPreset>> = {
  youtube: {
    platform: 'youtube',
    label: 'YouTube',
    aspect_ratio: '16:9',
    maxSeconds: 3600,
    promptStyle: 'cinematic widescreen framing, steady pacing',
  },
  youtube_shorts: {
    platform: 'youtube_shorts',
    label: 'YouTube Shorts',
    aspect_ratio: '9:16',
    maxSeconds: 60,
    promptStyle: 'vertical framing, strong hook in the first second',
  },
  tiktok: {
    platform: 'tiktok',
    label: 'TikTok',
    aspect_ratio: '9:16',
    maxSeconds: 60,
    promptStyle: 'vertical framing, fast cuts, energetic, hook in the first second',
  },
  instagram_reels: {
    platform: 'instagram_reels',
    label: 'Instagram Reels',
    aspect_ratio: '9:16',
    maxSeconds: 90,
    promptStyle: 'vertical framing, polished, vibrant colours',
  },
  instagram_feed: {
    platform: 'instagram_feed',
    label: 'Instagram feed',
    aspect_ratio: '1:1',
    maxSeconds: 60,
    promptStyle: 'centred subject, clean composition that survives a square crop',
  },
  x: {
    platform: 'x',
    label: 'X',
    aspect_ratio: '16:9',
    maxSeconds: 140,
    promptStyle: 'widescreen, punchy, readable without sound',
  },
  linkedin: {
    platform: 'linkedin',
    label: 'LinkedIn',
    aspect_ratio: '16:9',
    maxSeconds: 600,
    promptStyle: 'professional tone, clear subject, calm pacing',
  },
};
