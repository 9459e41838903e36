import { SingleBar, Presets } from 'cli-progress';
import { DataSource } from 'typeorm';
import { encryptIdentifier, identifierAssociatedData } from '../modules/seller/identifier-cipher.js';
import { identifierHash } from '../modules/seller/identifier-hash.js';
import { featureSettings } from '../shared/settings.js';
import { IdentifierKind } from '../modules/seller/seller-identifier.entity.js';
import { bulkInsert } from './bulk-insert.js';
import { CaseCounts, insertCases, planCases } from './cases.js';
import { FeatureCounts, seedCaseFeatures } from './features.js';
import { Random } from './random.js';

/**
 * A deterministic, realistic dataset. Scale 1: 1,000 brands, 50,000 sellers, 200,000 listings and
 * two years of cases (about 9,000 leads with their investigations, evidence, referrals and outcomes,
 * see cases.ts); every count grows linearly with the scale (the demo uses 0.01). The audit trail starts
 * empty: seeded history has no audit events.
 */
export interface SeedOptions {
  scale: number;
  identifierHashKey: string;
  showProgress?: boolean;
  seed?: number;
  /** The moment the generated history ends (default: the current time); fix it for identical timestamps. */
  now?: Date;
}

export interface SeedCounts extends CaseCounts, FeatureCounts {
  brands: number;
  trademarks: number;
  agencies: number;
  sellers: number;
  identifiers: number;
  listings: number;
}

// Where counterfeit sellers are registered: mostly Chinese manufacturing provinces, then elsewhere.
const REGIONS = ['CN-GD', 'CN-GD', 'CN-GD', 'CN-ZJ', 'CN-ZJ', 'CN-ZJ', 'CN-FJ', 'CN-FJ', 'CN-JS', 'CN-SH', 'CN-SD', 'CN-HE', 'CN-HA', 'CN-SC', 'CN-BJ', 'CN-HB', 'VN', 'TH', 'TR', 'MY', 'ID', 'US', 'IN'];
const PLATFORMS = ['TAOBAO', 'TAOBAO', 'TMALL', '1688', 'ALIEXPRESS'];
const SYLLABLES = ['ka', 'lo', 'mi', 'ra', 'ven', 'tor', 'sel', 'dia', 'nor', 'pex', 'lux', 'ari', 'zen', 'oma', 'qui', 'bel'];
const PRODUCTS = ['handbag', 'sneakers', 'watch', 'sunglasses', 'perfume', 'belt', 'wallet', 'headphones', 'phone case', 'jacket', 'scarf', 'cosmetics set'];
const SHOP_WORDS = ['Trading', 'Outlet', 'Boutique', 'Store', 'Factory Direct', 'Supply', 'Fashion', 'Select'];

export const AGENCIES = [
  { code: 'PSB-ZJ-YW', name: 'Yiwu Public Security Bureau', kind: 'PUBLIC_SECURITY', jurisdiction: 'CN-ZJ' },
  { code: 'PSB-GD-GZ', name: 'Guangzhou Public Security Bureau', kind: 'PUBLIC_SECURITY', jurisdiction: 'CN-GD' },
  { code: 'PSB-GD-SZ', name: 'Shenzhen Public Security Bureau', kind: 'PUBLIC_SECURITY', jurisdiction: 'CN-GD' },
  { code: 'PSB-FJ-PT', name: 'Putian Public Security Bureau', kind: 'PUBLIC_SECURITY', jurisdiction: 'CN-FJ' },
  { code: 'AMR-ZJ', name: 'Zhejiang Administration for Market Regulation', kind: 'MARKET_REGULATION', jurisdiction: 'CN-ZJ' },
  { code: 'AMR-GD', name: 'Guangdong Administration for Market Regulation', kind: 'MARKET_REGULATION', jurisdiction: 'CN-GD' },
  { code: 'AMR-JS', name: 'Jiangsu Administration for Market Regulation', kind: 'MARKET_REGULATION', jurisdiction: 'CN-JS' },
  { code: 'GACC-SH', name: 'Shanghai Customs District', kind: 'CUSTOMS', jurisdiction: 'CN-SH' },
  { code: 'GACC-GD', name: 'Guangzhou Customs District', kind: 'CUSTOMS', jurisdiction: 'CN-GD' },
  { code: 'CNIPA', name: 'China National Intellectual Property Administration', kind: 'IP_OFFICE', jurisdiction: 'CN' },
  { code: 'PROC-ZJ', name: "Zhejiang People's Procuratorate", kind: 'PROSECUTOR', jurisdiction: 'CN-ZJ' },
  { code: 'PROC-GD', name: "Guangdong People's Procuratorate", kind: 'PROSECUTOR', jurisdiction: 'CN-GD' },
  { code: 'HSI-US', name: 'Homeland Security Investigations (IPR Center)', kind: 'CUSTOMS', jurisdiction: 'US' },
  { code: 'VN-MS', name: 'Vietnam Directorate of Market Surveillance', kind: 'MARKET_REGULATION', jurisdiction: 'VN' },
] as const;

const DAY = 86_400_000;

export async function seedDataset(dataSource: DataSource, options: SeedOptions): Promise<SeedCounts> {
  const random = new Random(options.seed ?? 20261123);
  const scale = options.scale;
  const counts = {
    brands: Math.max(3, Math.round(1000 * scale)),
    sellers: Math.max(20, Math.round(50_000 * scale)),
    listings: Math.max(60, Math.round(200_000 * scale)),
  };
  const now = options.now?.getTime() ?? Date.now();
  const bar = options.showProgress ? new SingleBar({ format: 'seed {bar} {percentage}% | {value}/{total} rows | {stage}' }, Presets.shades_classic) : null;
  // Marketplace rows, then roughly 9 case rows per lead; the exact total is known once the cases are planned.
  const marketRows = counts.brands * 3 + counts.sellers * 3 + counts.listings;
  const estimatedRows = marketRows + Math.round(9000 * scale) * 9;
  bar?.start(estimatedRows, 0, { stage: 'brands' });
  const tick = (stage: string) => (n: number) => bar?.increment(n, { stage });

  return dataSource.transaction(async (db) => {
    const brandRows = Array.from({ length: counts.brands }, (_, i) => {
      const name = `${cap(random.pick(SYLLABLES))}${random.pick(SYLLABLES)}${i < SYLLABLES.length ? '' : ` ${i}`}`;
      return [new Date(now - random.int(400, 1500) * DAY), name, `${slug(name)}-${i + 1}`, random.chance(0.97) ? 'ACTIVE' : 'SUSPENDED'];
    });
    const brandIds = await bulkInsert(db, 'brand', { created_at: 'timestamptz', name: 'text', slug: 'text', status: 'text' }, brandRows, 5000, tick('brands'));

    const trademarkRows = brandIds.flatMap((brandId, i) =>
      Array.from({ length: random.int(1, 3) }, (_, k) => [
        brandId, `${brandRows[i][1]}${k ? ` ${['Sport', 'Kids', 'Luxe'][k - 1]}` : ''}`, `TM-${i + 1}-${k + 1}`,
        random.pick(['CN', 'EU', 'US', 'WIPO']), [random.int(1, 45), random.int(1, 45)].sort((a, b) => a - b),
      ]),
    );
    await bulkInsert(db, 'trademark', { brand_id: 'bigint', mark: 'text', registration_number: 'text', jurisdiction: 'text', nice_classes: 'int[]' }, trademarkRows, 5000, tick('trademarks'));

    const agencyIds = await bulkInsert(db, 'agency', { code: 'text', name: 'text', kind: 'text', jurisdiction: 'text' }, AGENCIES.map((a) => [a.code, a.name, a.kind, a.jurisdiction]));

    const sellerRows = Array.from({ length: counts.sellers }, (_, i) => {
      const strikes = random.chance(0.7) ? 0 : random.int(1, 6);
      const status = strikes >= 5 ? random.pick(['SUSPENDED', 'CLOSED']) : strikes >= 3 ? 'RESTRICTED' : strikes >= 1 ? 'WARNED' : 'ACTIVE';
      return [new Date(now - random.int(30, 1200) * DAY), random.pick(PLATFORMS), `shop-${i + 1}`,
        `${cap(random.pick(SYLLABLES))}${random.pick(SYLLABLES)} ${random.pick(SHOP_WORDS)}`, random.pick(REGIONS), status, strikes];
    });
    const sellerIds = await bulkInsert(db, 'seller',
      { created_at: 'timestamptz', platform: 'text', external_id: 'text', display_name: 'text', region: 'text', status: 'text', strike_count: 'int' },
      sellerRows, 5000, tick('sellers'));

    // Networks: about a fifth of the sellers are run in groups of 2-8 that share a payment account,
    // a phone or a business licence, as counterfeit operations spread over many shops do.
    // Each identifier as its keyed hash and its raw value encrypted (revealable for a stated purpose).
    const encryption = featureSettings().identifierEncryption;
    const identifierRow = (sellerId: string, kind: IdentifierKind, raw: string) => {
      const valueHash = identifierHash(options.identifierHashKey, kind, raw);
      const { valueEncrypted, keyId } = encryptIdentifier(encryption, identifierAssociatedData(sellerId, kind, valueHash), raw);
      return [sellerId, kind, valueHash, valueEncrypted, keyId];
    };
    const identifierRows: unknown[][] = [];
    let networkNumber = 0;
    for (let i = 0; i < sellerIds.length; ) {
      if (random.chance(0.2 / 4)) {
        const size = random.int(2, 8);
        const shared = random.pick([IdentifierKind.PAYMENT_ACCOUNT, IdentifierKind.PHONE, IdentifierKind.BUSINESS_LICENSE, IdentifierKind.DEVICE]);
        networkNumber += 1;
        for (let k = 0; k < size && i < sellerIds.length; k += 1, i += 1) {
          identifierRows.push(identifierRow(sellerIds[i], shared, `network-${networkNumber}-${shared}`));
          identifierRows.push(identifierRow(sellerIds[i], IdentifierKind.EMAIL, `shop${i}@example.com`));
        }
      } else {
        identifierRows.push(identifierRow(sellerIds[i], IdentifierKind.PAYMENT_ACCOUNT, `acct-${i}`));
        if (random.chance(0.6)) identifierRows.push(identifierRow(sellerIds[i], IdentifierKind.PHONE, `+86 13${String(i).padStart(9, '0')}`));
        i += 1;
      }
    }
    await bulkInsert(db, 'seller_identifier',
      { seller_id: 'bigint', kind: 'text', value_hash: 'text', value_encrypted: 'text', encryption_key_id: 'text' }, identifierRows, 10_000, tick('identifiers'));

    const listingRows = Array.from({ length: counts.listings }, (_, i) => {
      const brand = random.skewed(brandIds.length);
      const seller = random.int(0, sellerIds.length - 1);
      const createdAt = now - random.int(1, 730) * DAY - random.int(0, DAY - 1);
      const roll = random.next();
      const status = roll < 0.3 ? 'TAKEN_DOWN' : roll < 0.32 ? 'REINSTATED' : 'LIVE';
      const product = random.pick(PRODUCTS);
      return [new Date(createdAt), sellerIds[seller], brandIds[brand], `${brandRows[brand][1]} ${product} ${random.pick(['2026 new', 'original', 'top quality', 'factory price', 'AAA'])}`,
        `https://${String(sellerRows[seller][1]).toLowerCase()}.example/item/${i + 1}`, random.int(500, 250_000), random.chance(0.85) ? 'CNY' : 'USD', status,
        status === 'LIVE' ? null : new Date(createdAt + random.int(1, 60) * DAY)];
    });
    const listingIds = await bulkInsert(db, 'listing',
      { created_at: 'timestamptz', seller_id: 'bigint', brand_id: 'bigint', title: 'text', url: 'text', price_amount: 'bigint', price_currency: 'text', status: 'text', taken_down_at: 'timestamptz' },
      listingRows, 5000, tick('listings'));
    // Each seller's strikes as rows, as the enforcement policy keeps them: as many active strikes as its
    // strike count, on its latest takedowns (migration 1764001300000-EnforcementPolicy, seller_strike_carry_over).
    await db.query(`SELECT seller_strike_carry_over($1, make_interval(days => $2), 'seeded history')`, [new Date(now), featureSettings().strikes.expiryDays]);

    // The case lifecycle, from its own random stream so that the marketplace above stays as it was.
    const sellerIndex = new Map(sellerIds.map((id, i) => [id, i]));
    const brandIndex = new Map(brandIds.map((id, i) => [id, i]));
    const market = {
      brandIds, brandNames: brandRows.map((row) => String(row[1])), sellerIds, listingIds,
      listingBrand: listingRows.map((row) => brandIndex.get(row[2] as string)!),
      listingSeller: listingRows.map((row) => sellerIndex.get(row[1] as string)!),
      listingCreatedAt: listingRows.map((row) => (row[0] as Date).getTime()),
      agencies: AGENCIES, agencyIds, products: PRODUCTS,
    };
    const plan = planCases(new Random((options.seed ?? 20261123) ^ 0x5eed), market, scale, now);
    bar?.setTotal(brandIds.length + trademarkRows.length + sellerIds.length + identifierRows.length + listingRows.length + plan.rows);
    const cases = await insertCases(db, plan, market, tick);
    const features = await seedCaseFeatures(db, now);
    bar?.stop();
    return {
      brands: brandIds.length, trademarks: trademarkRows.length, agencies: AGENCIES.length,
      sellers: sellerIds.length, identifiers: identifierRows.length, listings: listingRows.length,
      ...cases,
      ...features,
      // The leads raised by repeat-offender matches, each naming two sellers.
      leads: cases.leads + features.repeatOffenderMatches,
      leadSellers: cases.leadSellers + 2 * features.repeatOffenderMatches,
    };
  });
}

function cap(word: string): string {
  return word[0].toUpperCase() + word.slice(1);
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}
