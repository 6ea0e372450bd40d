import { createHash, timingSafeEqual } from 'node:crypto';
import type { AdminConfig } from '../../config/config.js';
import { verifyPasswordHash } from './password-hash.js';

/** Checks a login; null when the dashboard is disabled (no password configured). */
export interface AdminCredentials {
  verify(user: string, password: string): Promise<boolean>;
  /**
   * Changes whenever the user or password changes: stored in the session, so changing the
   * password logs every session out.
   */
  readonly generation: string;
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** ADMIN_PASSWORD_HASH wins over ADMIN_PASSWORD; with neither, the dashboard stays closed. */
export function adminCredentials(admin: AdminConfig): AdminCredentials | null {
  const secret = admin.passwordHash ?? admin.password;
  if (secret === null) return null;
  const expectedUser = digest(admin.user);
  const expectedPassword = admin.passwordHash === null ? digest(secret) : null;
  return {
    generation: digest(`admin-session\n${admin.user}\n${secret}`).toString('base64url').slice(0, 22),
    async verify(user, password) {
      // Both checks always run, so the time taken does not reveal which one failed.
      const userOk = timingSafeEqual(digest(user), expectedUser);
      const passwordOk = expectedPassword ? timingSafeEqual(digest(password), expectedPassword) : await verifyPasswordHash(password, secret);
      return userOk && passwordOk;
    },
  };
}
