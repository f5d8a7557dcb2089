export { buildApi } from './app.ts';
export type { ApiDeps } from './app.ts';
export { apiEnvSchema, loadApiEnv } from './env.ts';
export type { ApiEnv } from './env.ts';
export type { Handler, HandlerRequest, HandlerResult } from './routes/handler.ts';
export { healthzHandler, readyzHandler } from './routes/health.ts';
export { providerWebhookHandler } from './routes/webhook.ts';
export type { WebhookContext } from './routes/webhook.ts';
