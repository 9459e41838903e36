import { IdentifierKind } from '../modules/seller/seller-identifier.entity.js';
import { createSeller } from '../modules/seller/seller-identifier.service.js';
import { CreateSellerInput, SellerIdentifierValueInput } from '../modules/seller/seller.inputs.js';
import { checkInput, prepareRow, required, RowKind, RowRejected, snakeCase, writeEachRow } from './import-rows.js';

const KINDS = Object.values(IdentifierKind);

/**
 * Sellers through createSeller, as the API records them: identifiers hashed and encrypted, repeat-offender
 * matching in the same change, `seller.created` and `sellerIdentifier.added` audited. A seller already recorded
 * (platform and external id) is rejected as the API refuses it (DUPLICATE).
 */
export const sellerRows: RowKind<CreateSellerInput> = {
  columns: ['platform', 'external_id', 'display_name', 'region', 'identifiers'],
  required: ['platform', 'external_id', 'display_name', 'region'],
  prepare: (line, fields) =>
    prepareRow(line, async () => {
      const input = Object.assign(new CreateSellerInput(), {
        platform: required(fields, 'platform'),
        externalId: required(fields, 'external_id'),
        displayName: required(fields, 'display_name'),
        region: required(fields, 'region'),
        identifiers: identifiersOf(fields.identifiers),
      });
      await checkInput(input, snakeCase);
      return input;
    }),
  write: (tx, rows, reject) => writeEachRow(tx, rows, reject, snakeCase, (input) => createSeller(tx, input)),
};

/** `KIND:value` items separated by `;` (CSV), or a JSON array of those or of `{ kind, value }`. */
function identifiersOf(value: unknown): SellerIdentifierValueInput[] {
  if (value === undefined || value === null || value === '') return [];
  const items: unknown[] = Array.isArray(value)
    ? value
    : typeof value === 'string'
      ? value.split(';').filter((item) => item.trim())
      : [value];
  return items.map((item) => {
    let kind: unknown;
    let raw: unknown;
    if (typeof item === 'string') {
      const colon = item.indexOf(':');
      [kind, raw] = colon < 0 ? [item, ''] : [item.slice(0, colon).trim(), item.slice(colon + 1).trim()];
    } else if (item && typeof item === 'object') ({ kind, value: raw } = item as { kind?: unknown; value?: unknown });
    if (typeof kind !== 'string' || !KINDS.includes(kind as IdentifierKind))
      throw new RowRejected('identifiers', `each identifier is KIND:value, KIND one of ${KINDS.join(', ')}`);
    if (typeof raw !== 'string' || !raw) throw new RowRejected('identifiers', `the ${kind} identifier has no value`);
    return Object.assign(new SellerIdentifierValueInput(), { kind: kind as IdentifierKind, value: raw });
  });
}
