import { createHash, randomBytes } from 'node:crypto';

// Tokens: "eca_" + 43 characters of base64url (256 random bits). Only their SHA-256 is stored.
export function newToken(): string {
  return `eca_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function tokenPrefix(token: string): string {
  return token.slice(0, 10);
}

export function bearerToken(authorization: string | undefined): string | null {
  const match = /^Bearer ([A-Za-z0-9_.~+/=-]{1,200})$/.exec(authorization?.trim() ?? '');
  return match ? match[1] : null;
}
