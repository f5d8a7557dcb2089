import { hashPassword } from './auth/passwords.ts';

/**
 * Prints the scrypt hash of a password read from stdin, for REELAY_DASHBOARD_USERS:
 *   printf '%s' 'the password' | pnpm --silent --filter @reelay/dashboard hash-password
 * Stdin rather than an argument keeps the password out of shell history and `ps`.
 */
const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const password = Buffer.concat(chunks)
  .toString('utf8')
  .replace(/\r?\n$/, '');
if (password.length < 12) {
  console.error('hash-password: give a password of at least 12 characters on stdin');
  process.exit(2);
}
process.stdout.write(`${await hashPassword(password)}\n`);
