import type { AdminConfig } from '../../config/config.js';
import { verifyPasswordHash } from './password-hash.js';
import { matchesDigest, secretDigest } from '../secret-compare.js';

/** Checks a login; null when the dashboard is disabled (no password configured). */
export interface AdminCredentials {
  verify(user: string, password: string): Promise<boolean>;
  /**
   * Changes whenever the user or password changes: stored in the session, so changing the
   * password logs every session out.
   */
  readonly generation: string;
}

/** ADMIN_PASSWORD_HASH wins over ADMIN_PASSWORD; with neither, the dashboard stays closed. */
export function adminCredentials(admin: AdminConfig): AdminCredentials | null {
  const secret = admin.passwordHash ?? admin.password;
  if (secret === null) return null;
  const expectedUser = secretDigest(admin.user);
  const expectedPassword = admin.passwordHash === null ? secretDigest(secret) : null;
  return {
    generation: secretDigest(`admin-session\n${admin.user}\n${secret}`).toString('base64url').slice(0, 22),
    async verify(user, password) {
      // Both checks always run, so the time taken does not reveal which one failed.
      const userOk = matchesDigest(user, expectedUser);
      const passwordOk = expectedPassword ? matchesDigest(password, expectedPassword) : await verifyPasswordHash(password, secret);
      return userOk && passwordOk;
    },
  };
}
