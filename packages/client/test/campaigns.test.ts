import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregateStatus } from '../src/index.ts';
import { type ClientFixture, clientFixture } from './fixture.ts';

let fx: ClientFixture;
beforeAll(async () => {
  fx = await clientFixture();
});
afterAll(async () => {
  await fx.close();
});

describe('campaigns', () => {
  it('one parent with one generation per platform, shaped by its preset', async () => {
    const client = fx.client({ strict: true });
    const campaign = await client.campaigns.create(
      {
        prompt: 'a new sneaker on a rooftop',
        platforms: ['youtube', 'tiktok', 'instagram_feed'],
        duration: 15,
      },
      { tenant: 'acme', idempotencyKey: 'launch' },
    );
    expect(campaign.id).toMatch(/^cmp_[0-9a-f]{24}$/);
    expect(campaign.status).toBe('queued');
    const byPlatform = Object.fromEntries(campaign.children.map((c) => [c.platform, c.generation]));
    expect(byPlatform['youtube']?.request.size).toBe('1280x720');
    expect(byPlatform['tiktok']?.request.size).toBe('720x1280');
    // 1:1 has no provider size: mapped even on a strict client, and the mapping is on the record.
    expect(byPlatform['instagram_feed']?.request.size).toBe('1280x720');
    expect(byPlatform['instagram_feed']?.mapping?.[0]?.reason).toContain('no square size');
    // 15 s asked: the longest clip within it.
    expect(Object.values(byPlatform).every((g) => g?.request.seconds === '12')).toBe(true);
    expect(byPlatform['tiktok']?.request.prompt).toContain('vertical framing');
    expect(campaign.children.every((c) => c.generation.campaignId === campaign.id)).toBe(true);
    expect(byPlatform['tiktok']?.metadata).toEqual({ platform: 'tiktok' });

    const again = await client.campaigns.create(
      {
        prompt: 'a new sneaker on a rooftop',
        platforms: ['youtube', 'tiktok', 'instagram_feed'],
        duration: 15,
      },
      { tenant: 'acme', idempotencyKey: 'launch' },
    );
    expect(again.id).toBe(campaign.id);
    expect(again.children.map((c) => c.generation.id)).toEqual(campaign.children.map((c) => c.generation.id));
  });

  it('aggregates its children into its status as they move', async () => {
    const client = fx.client();
    const campaign = await client.campaigns.create({ prompt: 'a lake', platforms: ['youtube', 'x'] });
    const [a, b] = campaign.children.map((c) => c.generation.id) as [string, string];
    // The worker's own store API moves the children, as the pipeline stages would.
    const { GenerationStore } = await import('@reelay/core');
    const store = new GenerationStore(fx.connection, client.options.prefix);
    await store.update(a, {}, { status: 'generating' });
    expect((await client.campaigns.retrieve(campaign.id)).status).toBe('in_progress');
    await store.update(a, {}, { status: 'completed' });
    expect((await client.campaigns.retrieve(campaign.id)).status).toBe('in_progress');
    await client.generations.cancel(b);
    expect((await client.campaigns.retrieve(campaign.id)).status).toBe('partially_completed');
  });

  it('names an unknown platform and lists the allowed ones', async () => {
    const client = fx.client();
    await expect(
      client.campaigns.create({ prompt: 'x', platforms: ['myspace' as 'x'] }),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/platforms.0: must be one of youtube/),
    });
    await expect(client.campaigns.retrieve('cmp_nope')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('aggregate rules', () => {
    expect(aggregateStatus(['queued', 'queued'])).toBe('queued');
    expect(aggregateStatus(['completed', 'completed'])).toBe('completed');
    expect(aggregateStatus(['failed', 'cancelled'])).toBe('failed');
    expect(aggregateStatus(['cancelled', 'cancelled'])).toBe('cancelled');
    expect(aggregateStatus(['completed', 'downloading'])).toBe('in_progress');
  });
});
