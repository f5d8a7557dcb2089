import type { Redis } from 'ioredis';

type ScriptFn = (...args: Array<string | number>) => Promise<unknown>;

/**
 * Registers a Lua script once per connection (ioredis then sends EVALSHA, falling back to EVAL
 * after a server restart) and returns a caller for it.
 */
/** `numberOfKeys: null` = the caller passes the key count as the first argument (a variable count). */
export function script(redis: Redis, name: string, numberOfKeys: number | null, lua: string): ScriptFn {
  const bag = redis as unknown as Record<string, ScriptFn | undefined>;
  if (!bag[name]) redis.defineCommand(name, numberOfKeys === null ? { lua } : { numberOfKeys, lua });
  const fn = bag[name];
  if (!fn) throw new Error(`could not register Redis script ${name}`);
  return fn.bind(redis);
}
