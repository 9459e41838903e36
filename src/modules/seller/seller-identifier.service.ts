import { auditChange } from '../../shared/audit/audit.service.js';
import { inTransaction, RequestContext } from '../../shared/context.js';
import { lockForChange } from '../../shared/data-access/scoped-query.js';
import { onceForKey } from '../../shared/idempotency.js';
import { decodeIdOf } from '../../shared/relay/global-id.js';
import { featureSettings } from '../../shared/settings.js';
import { refuse, UserErrorCode } from '../../shared/user-error.js';
import { encryptIdentifier, identifierAssociatedData } from './identifier-cipher.js';
import { IDENTIFIER_HASH_VERSION, identifierHash, normaliseIdentifier } from './identifier-hash.js';
import { sellerFollowUps } from './seller-follow-ups.js';
import { SellerIdentifier } from './seller-identifier.entity.js';
import { Seller, SellerStatus } from './seller.entity.js';
import { AddSellerIdentifierInput, CreateSellerInput, SellerIdentifierValueInput } from './seller.inputs.js';
import { countChildren, MAX_IDENTIFIERS_PER_SELLER, refuseBeyondBound } from '../../shared/list-bounds.js';

const REGION = /^[A-Z]{2}(-[A-Z0-9]{1,3})?$/;

/**
 * Writes identifiers of a seller: the keyed hash of the normalised value and the raw value encrypted,
 * skipping any (kind, hash) the seller already has. Returns the identifiers written now.
 */
export async function writeIdentifiers(
  ctx: RequestContext,
  seller: Seller,
  values: SellerIdentifierValueInput[],
  field: string[],
): Promise<SellerIdentifier[]> {
  const encryption = featureSettings().identifierEncryption;
  const written: SellerIdentifier[] = [];
  const seen = new Set<string>();
  // A phone number written without its country code is read in the seller's country (identifier-hash.ts).
  const context = { region: seller.region };
  for (const [index, { kind, value }] of values.entries()) {
    if (!normaliseIdentifier(kind, value, context))
      refuse(UserErrorCode.INVALID, `The ${kind} value is empty once normalised.`, [...field, String(index), 'value']);
    const valueHash = identifierHash(ctx.config.identifierHashKey, kind, value, context);
    if (seen.has(`${kind}:${valueHash}`)) continue;
    seen.add(`${kind}:${valueHash}`);
    const raw = value.normalize('NFKC').trim();
    const { valueEncrypted, keyId } = encryptIdentifier(
      encryption,
      identifierAssociatedData(seller.rowId, kind, valueHash),
      raw,
    );
    const [row] = await ctx.db.query(
      `INSERT INTO seller_identifier (seller_id, kind, value_hash, value_encrypted, encryption_key_id, hash_version) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (seller_id, kind, value_hash) DO NOTHING RETURNING id::text`,
      [seller.rowId, kind, valueHash, valueEncrypted, keyId, IDENTIFIER_HASH_VERSION],
    );
    if (!row) continue;
    const identifier = Object.assign(new SellerIdentifier(), {
      rowId: row.id,
      sellerId: seller.rowId,
      kind,
      valueHash,
      valueEncrypted,
      encryptionKeyId: keyId,
    });
    // The hash (masked for analysts in the audit trail), never the raw value.
    await auditChange(ctx, 'sellerIdentifier.added', identifier, null, {
      sellerId: seller.rowId,
      kind,
      valueHash,
      encryptionKeyId: keyId,
    });
    written.push(identifier);
  }
  return written;
}

export async function addSellerIdentifier(
  ctx: RequestContext,
  input: AddSellerIdentifierInput,
): Promise<SellerIdentifier> {
  return inTransaction(ctx, async (tx) => {
    const { id } = await onceForKey(tx, 'addSellerIdentifier', input.idempotencyKey, input, async () => {
      // Locked: identifiers of one seller are added one after the other.
      const seller = await lockForChange(tx, Seller, decodeIdOf('Seller', input.sellerId, 'sellerId'), null, [
        'input',
        'sellerId',
      ]);
      const identifiers = await countChildren(tx.db, 'seller_identifier', 'seller_id', seller.rowId);
      refuseBeyondBound(`Seller ${seller.globalId}`, 'identifiers', identifiers, 1, MAX_IDENTIFIERS_PER_SELLER, [
        'input',
        'sellerId',
      ]);
      const [identifier] = await writeIdentifiers(tx, seller, [input], ['input']);
      if (!identifier)
        refuse(UserErrorCode.DUPLICATE, `This seller already has this ${input.kind}.`, ['input', 'value']);
      await sellerFollowUps().identifiersAdded(tx, seller, [identifier]);
      return identifier.rowId;
    });
    return tx.db.findOneByOrFail(SellerIdentifier, { rowId: id });
  });
}

export async function createSeller(ctx: RequestContext, input: CreateSellerInput): Promise<Seller> {
  if (!REGION.test(input.region))
    refuse(UserErrorCode.INVALID, `"${input.region}" is not an ISO 3166-2 region such as CN-ZJ.`, ['input', 'region']);
  return inTransaction(ctx, async (tx) => {
    const { id } = await onceForKey(tx, 'createSeller', input.idempotencyKey, input, async () => {
      const [row] = await tx.db.query(
        `INSERT INTO seller (platform, external_id, display_name, region, status, strike_count) VALUES ($1, $2, $3, $4, $5, 0)
         ON CONFLICT (platform, external_id) DO NOTHING RETURNING id::text`,
        [input.platform, input.externalId, input.displayName, input.region, SellerStatus.ACTIVE],
      );
      if (!row)
        refuse(UserErrorCode.DUPLICATE, `A seller ${input.platform}/${input.externalId} already exists.`, [
          'input',
          'externalId',
        ]);
      const seller = await tx.db.findOneByOrFail(Seller, { rowId: row.id });
      await auditChange(tx, 'seller.created', seller, null, {
        platform: seller.platform,
        externalId: seller.externalId,
        displayName: seller.displayName,
        region: seller.region,
        status: seller.status,
      });
      const identifiers = await writeIdentifiers(tx, seller, input.identifiers ?? [], ['input', 'identifiers']);
      await sellerFollowUps().identifiersAdded(tx, seller, identifiers);
      return seller.rowId;
    });
    return tx.db.findOneByOrFail(Seller, { rowId: id });
  });
}
