import { createHmac } from 'node:crypto';
import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { IdentifierKind } from './seller-identifier.entity.js';

/**
 * The rules that turn a raw identifier into the value its keyed hash is made of, so that different
 * spellings of one phone or one mailbox link sellers (docs/identifiers.md). Versioned: every stored hash
 * records the version of the rules it was made with (`seller_identifier.hash_version`), and a change of the
 * rules is a new version with a migration that re-keys the stored values (migration IdentifierNormalisation,
 * identifier-rekey.ts). Version 1 is kept, frozen, for that re-keying and for the rows it cannot re-key.
 *
 * - Version 1: NFKC, trimmed, lower-case, runs of spaces as one; phones: digits and `+` only; bank and
 *   payment accounts and business licences: spaces and hyphens removed.
 * - Version 2 (current): the same, except
 *   - PHONE: E.164 (`+8613854170203`) read by libphonenumber-js, a number without its country code read in
 *     the seller's country (the country part of its ISO 3166-2 region: CN-ZJ -> CN), so that
 *     `13854170203`, `0086 138 54170203` and `+86 138 5417 0203` are one number; an extension is dropped.
 *     A value that is not a possible phone number is kept as its digits (and `+`), as in version 1.
 *   - EMAIL: canonical mailbox per provider (EMAIL_PROVIDERS below): Gmail ignores dots and a `+tag` in
 *     the local part and googlemail.com is gmail.com; providers that document subaddressing drop the
 *     `+tag`; any other domain only lower-case.
 */
export const IDENTIFIER_HASH_VERSION = 2;
export type IdentifierHashVersion = 1 | 2;

/** What the rules need to know of the seller an identifier belongs to. */
export interface IdentifierContext {
  /** The seller's ISO 3166-2 region (CN-ZJ): its country is where a national phone number is read. */
  region?: string | null;
}

/**
 * Email providers whose mailboxes have more than one spelling, as each documents it. A domain not listed
 * is only lower-cased: where a provider does not document subaddressing, `name+x` may be another person's
 * mailbox, and linking two sellers wrongly costs more than missing a link. Not listed on purpose: Yahoo
 * (`name-keyword` addresses are separate disposable addresses, not subaddresses), QQ, 163.com, 126.com,
 * sina.com (no subaddressing), iCloud (not documented by Apple for every account).
 */
export const EMAIL_PROVIDERS: readonly {
  name: string;
  domains: readonly string[];
  canonicalDomain?: string;
  ignoresDots: boolean;
  plusTags: boolean;
}[] = [
  // Google: "dots don't matter in Gmail addresses", "name+anything@gmail.com"; googlemail.com is the same mailbox.
  {
    name: 'Gmail',
    domains: ['gmail.com', 'googlemail.com'],
    canonicalDomain: 'gmail.com',
    ignoresDots: true,
    plusTags: true,
  },
  // Microsoft: plus addressing on Outlook.com (Hotmail, Live) and Exchange Online.
  { name: 'Outlook.com', domains: ['outlook.com', 'hotmail.com', 'live.com'], ignoresDots: false, plusTags: true },
  // Fastmail: "plus addressing" on its own domains.
  { name: 'Fastmail', domains: ['fastmail.com', 'fastmail.fm'], ignoresDots: false, plusTags: true },
  // Proton: "+aliases" (plus addressing); each Proton domain stays a mailbox of its own.
  { name: 'Proton Mail', domains: ['proton.me', 'protonmail.com', 'pm.me'], ignoresDots: false, plusTags: true },
];
const PROVIDER_BY_DOMAIN = new Map(
  EMAIL_PROVIDERS.flatMap((provider) => provider.domains.map((domain) => [domain, provider] as const)),
);

const basic = (raw: string) => raw.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ');
const digitsOnly = (value: string) => value.replace(/[^\d+]/g, '');

/** The country whose numbering plan reads a national phone number of a seller in `region` (CN-ZJ -> CN). */
export function phoneCountryOf(region: string | null | undefined): CountryCode | undefined {
  const country = region?.slice(0, 2).toUpperCase();
  return country && isSupportedCountry(country) ? (country as CountryCode) : undefined;
}

/** E.164 of a phone number, or null when the text is not a possible phone number. */
export function phoneE164(raw: string, defaultCountry?: CountryCode): string | null {
  const phone = parsePhoneNumberFromString(
    raw.normalize('NFKC').trim(),
    defaultCountry ? { defaultCountry } : undefined,
  );
  return phone && phone.isPossible() ? phone.number : null;
}

/** The canonical spelling of a mailbox (already lower-cased): per EMAIL_PROVIDERS. */
export function canonicalEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return address;
  const domain = address.slice(at + 1).replace(/\.$/, '');
  const provider = PROVIDER_BY_DOMAIN.get(domain);
  if (!provider) return `${address.slice(0, at)}@${domain}`;
  let local = address.slice(0, at);
  if (provider.plusTags) local = local.split('+')[0];
  if (provider.ignoresDots) local = local.replace(/\./g, '');
  // "+tag@gmail.com" or "...@gmail.com" is no mailbox: kept as written rather than made into another one.
  if (!local) return address;
  return `${local}@${provider.canonicalDomain ?? domain}`;
}

/** The value an identifier's hash is made of, under the rules of `version` (default: the current ones). */
export function normaliseIdentifier(
  kind: IdentifierKind,
  raw: string,
  context: IdentifierContext = {},
  version: IdentifierHashVersion = IDENTIFIER_HASH_VERSION,
): string {
  const value = basic(raw);
  switch (kind) {
    case IdentifierKind.PHONE:
      return (version >= 2 ? phoneE164(raw, phoneCountryOf(context.region)) : null) ?? digitsOnly(value);
    case IdentifierKind.EMAIL:
      return version >= 2 ? canonicalEmail(value) : value;
    case IdentifierKind.BANK_ACCOUNT:
    case IdentifierKind.PAYMENT_ACCOUNT:
    case IdentifierKind.BUSINESS_LICENSE:
      return value.replace(/[\s-]/g, '');
    default:
      return value;
  }
}

/** Keyed hash (HMAC-SHA256) of the normalised value: links sellers without storing personal data. */
export function identifierHash(
  key: string,
  kind: IdentifierKind,
  raw: string,
  context: IdentifierContext = {},
  version: IdentifierHashVersion = IDENTIFIER_HASH_VERSION,
): string {
  return createHmac('sha256', key)
    .update(`${kind}:${normaliseIdentifier(kind, raw, context, version)}`)
    .digest('hex');
}
