import { Brand } from '../modules/brand/brand.entity.js';
import { ReportLeadInput } from '../modules/lead/lead.inputs.js';
import { reportLead } from '../modules/lead/lead.service.js';
import { LeadSource } from '../modules/lead/lead.states.js';
import { Seller } from '../modules/seller/seller.entity.js';
import type { RequestContext } from '../shared/context.js';
import { scopedQuery } from '../shared/data-access/scoped-query.js';
import { toGlobalId } from '../shared/relay/global-id.js';
import {
  checkInput,
  ColumnOf,
  list,
  oneOf,
  prepareRow,
  required,
  RowKind,
  RowRejected,
  snakeCase,
  wholeNumber,
  writeEachRow,
} from './import-rows.js';

/** A lead as read from the file: its brands by slug and sellers by `PLATFORM/external id`, not yet found. */
export interface LeadRow {
  brandSlugs: string[];
  sellers: { platform: string; externalId: string }[];
  input: ReportLeadInput;
}

const COLUMN: Record<string, string> = { brandIds: 'brands', sellerIds: 'sellers', listingIds: 'listings' };
const columnOf: ColumnOf = (property) => COLUMN[property] ?? snakeCase(property);

/**
 * Leads through reportLead, as the API takes them from the importing principal: a brand partner's leads name its
 * own brand (the default) and are BRAND_REPORT; a brand, seller or listing it may not see is rejected as not
 * found. `defaultBrand` (--brand) is the brand of rows that name none.
 */
export function leadRows(defaultBrand: string | undefined): RowKind<LeadRow> {
  return {
    columns: ['description', 'brands', 'sellers', 'listings', 'source', 'risk_score', 'reporter_priority'],
    required: ['description'],
    prepare: (line, fields) =>
      prepareRow(line, async () => {
        const input = Object.assign(new ReportLeadInput(), {
          description: required(fields, 'description'),
          source: oneOf(fields, 'source', Object.values(LeadSource)) ?? null,
          riskScore: wholeNumber(fields, 'risk_score') ?? null,
          reporterPriority: wholeNumber(fields, 'reporter_priority') ?? null,
          listingIds: list(fields, 'listings'),
        });
        await checkInput(input, columnOf);
        const named = list(fields, 'brands');
        const sellers = list(fields, 'sellers').map((item) => {
          const slash = item.indexOf('/');
          if (slash < 1 || slash === item.length - 1)
            throw new RowRejected('sellers', `"${item}" is not PLATFORM/external id (e.g. TAOBAO/shop-123)`);
          return { platform: item.slice(0, slash), externalId: item.slice(slash + 1) };
        });
        return { brandSlugs: named.length ? named : defaultBrand ? [defaultBrand] : [], sellers, input };
      }),
    write: (tx, rows, reject) =>
      writeEachRow(tx, rows, reject, columnOf, async (row) =>
        reportLead(tx, { ...row.input, ...(await references(tx, row)) } as ReportLeadInput),
      ),
  };
}

/** The row's brands and sellers as global ids, found through the caller's scope (not found: the row is rejected). */
async function references(tx: RequestContext, row: LeadRow): Promise<Pick<ReportLeadInput, 'brandIds' | 'sellerIds'>> {
  const brandIds: string[] = [];
  for (const slug of row.brandSlugs) {
    const brand = await scopedQuery(tx, Brand).andWhere('t.slug = :slug', { slug }).getOne();
    if (!brand) throw new RowRejected('brands', `No brand "${slug}" that you may see.`);
    brandIds.push(toGlobalId('Brand', brand.rowId));
  }
  const sellerIds: string[] = [];
  for (const { platform, externalId } of row.sellers) {
    const seller = await scopedQuery(tx, Seller)
      .andWhere('t.platform = :platform AND t.external_id = :externalId', { platform, externalId })
      .getOne();
    if (!seller) throw new RowRejected('sellers', `No seller ${platform}/${externalId} that you may see.`);
    sellerIds.push(toGlobalId('Seller', seller.rowId));
  }
  return { brandIds, sellerIds };
}
