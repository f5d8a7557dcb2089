import type { Role } from './users.ts';

const READ_METHODS = new Set(['GET', 'HEAD']);

/**
 * What an admin may change, as paths under a board's `/api/queues/`: retry, promote and clean (one
 * job or a whole status), pause and resume (the pipeline pauses `submit` on a quota or auth refusal
 * until an operator resumes it). Everything else bull-board offers is refused even to admins: adding
 * a job, editing its data, delay or priority would bypass the generation record the stages rely on,
 * and empty/obliterate would drop generations without failing them.
 */
const ADMIN_ACTIONS = [
  /^(pause|resume)$/,
  /^[^/]+\/(pause|resume|promote)$/,
  /^[^/]+\/(retry|clean)\/[^/]+$/,
  /^[^/]+\/[^/]+\/(retry|clean|promote)$/,
];

export type Verdict = { allowed: true } | { allowed: false; status: 405; reason: string };

/**
 * The server-side policy for one request (bull-board's `readOnlyMode` is the second line: a
 * read-only operator is also served by a board whose queues are all read-only).
 * `apiPath` is the path after the board's `/api/queues/`, or undefined for any other route.
 */
export function authorize(role: Role, method: string, apiPath: string | undefined): Verdict {
  if (READ_METHODS.has(method)) return { allowed: true };
  if (role === 'readonly') {
    return { allowed: false, status: 405, reason: 'read-only operator: nothing may be changed' };
  }
  if (apiPath !== undefined && ADMIN_ACTIONS.some((re) => re.test(apiPath))) return { allowed: true };
  return {
    allowed: false,
    status: 405,
    reason: 'not allowed from the dashboard: only retry, promote, clean, pause and resume',
  };
}
