import { recordAudit } from '../../shared/audit/audit.service.js';
import { inTransaction, RequestContext } from '../../shared/context.js';
import { requireVisible } from '../../shared/data-access/lookup.js';
import { scopedQuery } from '../../shared/data-access/scoped-query.js';
import { toGlobalId } from '../../shared/relay/global-id.js';
import { featureSettings } from '../../shared/settings.js';
import { refuse, UserErrorCode } from '../../shared/user-error.js';
import { Lead } from '../lead/lead.entity.js';
import { decryptIdentifier, identifierAssociatedData } from '../seller/identifier-cipher.js';
import { SellerIdentifierDisclosure } from '../seller/seller-identifier-disclosure.types.js';
import { IdentifierKind } from '../seller/seller-identifier.entity.js';
import { Seller } from '../seller/seller.entity.js';
import { RevealSellerIdentifiersInput } from '../seller/seller.inputs.js';
import { Referral } from './referral.entity.js';
import { ReferralChangeKind } from './referral.states.js';

// A seller's identifiers disclosed under a referral: here, in the module above both (README, "Architecture").

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

/**
 * Reveals raw identifier values of a seller for a stated purpose, recording each value revealed in the
 * audit trail (actor, purpose, legal basis, time) in the transaction that reads it. Investigators and
 * admins may state a purpose alone; an agency must also name a referral sent to it (not declined) whose
 * leads name the seller. Brand partners and analysts are refused by the resolver, and the database
 * function that reads the values applies the same rule again.
 */
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
