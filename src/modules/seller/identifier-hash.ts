import { createHmac } from 'node:crypto';
import { IdentifierKind } from './seller-identifier.entity.js';

/**
 * Normalises an identifier so that trivially different spellings of the same value link: case and
 * spacing for everything; only digits (and a leading +) for phones and account numbers.
 */
export function normaliseIdentifier(kind: IdentifierKind, raw: string): string {
  const value = raw.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ');
  switch (kind) {
    case IdentifierKind.PHONE:
      return value.replace(/[^\d+]/g, '');
    case IdentifierKind.BANK_ACCOUNT:
    case IdentifierKind.PAYMENT_ACCOUNT:
    case IdentifierKind.BUSINESS_LICENSE:
      return value.replace(/[\s-]/g, '');
    default:
      return value;
  }
}

/** Keyed hash (HMAC-SHA256) of the normalised value: links sellers without storing personal data. */
export function identifierHash(key: string, kind: IdentifierKind, raw: string): string {
  return createHmac('sha256', key).update(`${kind}:${normaliseIdentifier(kind, raw)}`).digest('hex');
}
