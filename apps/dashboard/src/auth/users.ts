import { type PasswordHash, parsePasswordHash } from './passwords.ts';

/** `admin` may retry, promote, clean, pause and resume; `readonly` may only look. */
export type Role = 'admin' | 'readonly';
export const ROLES: readonly Role[] = ['admin', 'readonly'];

export interface Operator {
  name: string;
  role: Role;
  hash: PasswordHash;
}

/**
 * Parses `REELAY_DASHBOARD_USERS`: comma-separated `name:role:hash` entries. The hash holds `$` but
 * never `:` or `,`, so the split is unambiguous. Throws a message naming the entry by user name and
 * position, never echoing a hash.
 */
export function parseOperators(text: string): Map<string, Operator> {
  const operators = new Map<string, Operator>();
  const entries = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  entries.forEach((entry, i) => {
    const [name, role, hash, ...rest] = entry.split(':');
    const where = `entry ${i + 1}${name ? ` (${name})` : ''}`;
    if (!name || !role || !hash || rest.length > 0) {
      throw new Error(`${where}: expected name:role:hash`);
    }
    if (!(ROLES as readonly string[]).includes(role)) {
      throw new Error(`${where}: role must be one of ${ROLES.join(', ')}`);
    }
    if (operators.has(name)) throw new Error(`${where}: user listed twice`);
    try {
      operators.set(name, { name, role: role as Role, hash: parsePasswordHash(hash) });
    } catch (error) {
      throw new Error(`${where}: ${(error as Error).message}`);
    }
  });
  return operators;
}
