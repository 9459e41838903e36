import { auditChange, recordAudit } from '../../shared/audit/audit.service.js';
import { inTransaction, RequestContext } from '../../shared/context.js';
import { requireVisible } from '../../shared/data-access/lookup.js';
import { lockForChange, scopedQuery } from '../../shared/data-access/scoped-query.js';
import { onceForKey } from '../../shared/idempotency.js';
import { decodeIdOf, toGlobalId } from '../../shared/relay/global-id.js';
import { featureSettings } from '../../shared/settings.js';
import { refuse, UserErrorCode } from '../../shared/user-error.js';
import { Lead } from '../lead/lead.entity.js';
import { Referral } from '../referral/referral.entity.js';
import { raiseRepeatOffenderMatches } from '../repeat-offender/repeat-offender-match.service.js';
import { ReferralChangeKind } from '../referral/referral.states.js';
import { decryptIdentifier, encryptIdentifier, identifierAssociatedData } from './identifier-cipher.js';
import { IDENTIFIER_HASH_VERSION, identifierHash, normaliseIdentifier } from './identifier-hash.js';
import { SellerIdentifierDisclosure } from './seller-identifier-disclosure.types.js';
import { IdentifierKind, SellerIdentifier } from './seller-identifier.entity.js';
import { Seller, SellerStatus } from './seller.entity.js';
import {
  AddSellerIdentifierInput,
  CreateSellerInput,
  RevealSellerIdentifiersInput,
  SellerIdentifierValueInput,
} from './seller.inputs.js';
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
      await raiseRepeatOffenderMatches(tx, seller, [identifier]);
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
      await raiseRepeatOffenderMatches(
        tx,
        seller,
        await writeIdentifiers(tx, seller, input.identifiers ?? [], ['input', 'identifiers']),
      );
      return seller.rowId;
    });
    return tx.db.findOneByOrFail(Seller, { rowId: id });
  });
}

/**
 * Reveals raw identifier values of a seller for a stated purpose, recording each value revealed in the
 * audit trail (actor, purpose, legal basis, time) in the transaction that reads it. Investigators and
 * admins may state a purpose alone; an agency must also name a referral sent to it (not declined) whose
 * leads name the seller. Brand partners and analysts are refused by the resolver, and the database
 * function that reads the values applies the same rule again.
 */
/**
 * Whether a referral is a legal basis for disclosing to its agency, read from its history (the append-only
 * `referral_change` feed), not its current status: sent to the agency, and never declined, whatever came
 * after. The same rule as the database function `eca_disclosable_identifiers` (migration
 * DisclosureBasisFromHistory), which applies it again; a test walks every status path through both.
 */
async function isDisclosureBasis(ctx: RequestContext, referral: Referral): Promise<boolean> {
  const [history] = await ctx.db.query(
    `SELECT bool_or(kind = $2 AND agency_id = $4) AS sent, bool_or(kind = $3) AS declined FROM referral_change WHERE referral_id = $1`,
    [referral.rowId, ReferralChangeKind.SENT, ReferralChangeKind.DECLINED, referral.agencyId],
  );
  return history.sent === true && history.declined !== true;
}

export async function revealSellerIdentifiers(
  ctx: RequestContext,
  input: RevealSellerIdentifiersInput,
): Promise<SellerIdentifierDisclosure> {
  const agency = ctx.scope.kind === 'AGENCY';
  if (agency && !input.referralId) {
    refuse(
      UserErrorCode.INVALID,
      'State the legal basis: the referral sent to your agency that names this seller (referralId).',
      ['input', 'referralId'],
    );
  }
  return inTransaction(ctx, async (tx) => {
    const seller = await requireVisible(tx, Seller, input.sellerId, ['input', 'sellerId']);
    const referral = input.referralId
      ? await requireVisible(tx, Referral, input.referralId, ['input', 'referralId'])
      : null;
    if (referral) {
      if (agency && !(await isDisclosureBasis(tx, referral))) {
        refuse(
          UserErrorCode.INVALID,
          `Referral ${referral.reference} was declined: it is no longer a basis for disclosure.`,
          ['input', 'referralId'],
        );
      }
      const names = await scopedQuery(tx, Lead)
        .innerJoin('lead_seller', 'ls', 'ls.lead_id = t.id')
        .andWhere('t.investigation_id = :investigationId AND ls.seller_id = :sellerId', {
          investigationId: referral.investigationId,
          sellerId: seller.rowId,
        })
        .getExists();
      if (!names)
        refuse(
          UserErrorCode.INVALID,
          `Referral ${referral.reference} does not name this seller: it is no basis for disclosing its identifiers.`,
          ['input', 'referralId'],
        );
    }
    const rows: {
      id: string;
      kind: IdentifierKind;
      value_hash: string;
      value_encrypted: string | null;
      encryption_key_id: string | null;
    }[] = await tx.db.query(
      `SELECT id::text, kind, value_hash, value_encrypted, encryption_key_id FROM eca_disclosable_identifiers($1, $2)`,
      [seller.rowId, referral?.rowId ?? null],
    );
    const chosen = rows.filter((row) => !input.kinds || input.kinds.includes(row.kind));
    const encryption = featureSettings().identifierEncryption;
    const revealedAt = new Date();
    const identifiers = chosen.map((row) => ({
      identifierId: agency ? null : toGlobalId('SellerIdentifier', row.id),
      kind: row.kind,
      value:
        row.value_encrypted === null
          ? null
          : decryptIdentifier(encryption, identifierAssociatedData(seller.rowId, row.kind, row.value_hash), {
              valueEncrypted: row.value_encrypted,
              keyId: row.encryption_key_id!,
            }),
    }));
    // One event per value disclosed (identifiers kept as a hash only disclose nothing).
    const disclosed = chosen.filter((_, i) => identifiers[i].value !== null);
    if (disclosed.length) {
      await recordAudit(
        tx,
        ...disclosed.map((row) => ({
          action: 'sellerIdentifier.revealed',
          entityType: 'SellerIdentifier',
          entityId: row.id,
          before: null,
          after: {
            sellerId: seller.rowId,
            kind: row.kind,
            purpose: input.purpose,
            referralId: referral?.rowId ?? null,
            legalBasis: referral ? 'REFERRAL' : 'INTERNAL',
          },
        })),
      );
    }
    return {
      sellerId: seller.globalId,
      referralId: referral?.globalId ?? null,
      purpose: input.purpose,
      revealedAt,
      identifiers,
    };
  });
}
