import { SingleBar, Presets } from 'cli-progress';
import { DataSource, EntityManager } from 'typeorm';
import { encryptIdentifier, identifierAssociatedData } from '../modules/seller/identifier-cipher.js';
import { identifierHash } from '../modules/seller/identifier-hash.js';
import { featureSettings } from '../shared/settings.js';
import { IdentifierKind } from '../modules/seller/seller-identifier.entity.js';
import { BulkLoad } from './bulk-load.js';
import { CaseCounts, insertCases, Marketplace, planCases } from './cases.js';
import { copyRows, reserveIds } from './copy.js';
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
const REGIONS = [
  'CN-GD',
  'CN-GD',
  'CN-GD',
  'CN-ZJ',
  'CN-ZJ',
  'CN-ZJ',
  'CN-FJ',
  'CN-FJ',
  'CN-JS',
  'CN-SH',
  'CN-SD',
  'CN-HE',
  'CN-HA',
  'CN-SC',
  'CN-BJ',
  'CN-HB',
  'VN',
  'TH',
  'TR',
  'MY',
  'ID',
  'US',
  'IN',
];
const PLATFORMS = ['TAOBAO', 'TAOBAO', 'TMALL', '1688', 'ALIEXPRESS'];
const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ra',
  'ven',
  'tor',
  'sel',
  'dia',
  'nor',
  'pex',
  'lux',
  'ari',
  'zen',
  'oma',
  'qui',
  'bel',
];
const PRODUCTS = [
  'handbag',
  'sneakers',
  'watch',
  'sunglasses',
  'perfume',
  'belt',
  'wallet',
  'headphones',
  'phone case',
  'jacket',
  'scarf',
  'cosmetics set',
];
const SHOP_WORDS = ['Trading', 'Outlet', 'Boutique', 'Store', 'Factory Direct', 'Supply', 'Fashion', 'Select'];

export const AGENCIES = [
  { code: 'PSB-ZJ-YW', name: 'Yiwu Public Security Bureau', kind: 'PUBLIC_SECURITY', jurisdiction: 'CN-ZJ' },
  { code: 'PSB-GD-GZ', name: 'Guangzhou Public Security Bureau', kind: 'PUBLIC_SECURITY', jurisdiction: 'CN-GD' },
  { code: 'PSB-GD-SZ', name: 'Shenzhen Public Security Bureau', kind: 'PUBLIC_SECURITY', jurisdiction: 'CN-GD' },
  { code: 'PSB-FJ-PT', name: 'Putian Public Security Bureau', kind: 'PUBLIC_SECURITY', jurisdiction: 'CN-FJ' },
  {
    code: 'AMR-ZJ',
    name: 'Zhejiang Administration for Market Regulation',
    kind: 'MARKET_REGULATION',
    jurisdiction: 'CN-ZJ',
  },
  {
    code: 'AMR-GD',
    name: 'Guangdong Administration for Market Regulation',
    kind: 'MARKET_REGULATION',
    jurisdiction: 'CN-GD',
  },
  {
    code: 'AMR-JS',
    name: 'Jiangsu Administration for Market Regulation',
    kind: 'MARKET_REGULATION',
    jurisdiction: 'CN-JS',
  },
  { code: 'GACC-SH', name: 'Shanghai Customs District', kind: 'CUSTOMS', jurisdiction: 'CN-SH' },
  { code: 'GACC-GD', name: 'Guangzhou Customs District', kind: 'CUSTOMS', jurisdiction: 'CN-GD' },
  { code: 'CNIPA', name: 'China National Intellectual Property Administration', kind: 'IP_OFFICE', jurisdiction: 'CN' },
  { code: 'PROC-ZJ', name: "Zhejiang People's Procuratorate", kind: 'PROSECUTOR', jurisdiction: 'CN-ZJ' },
  { code: 'PROC-GD', name: "Guangdong People's Procuratorate", kind: 'PROSECUTOR', jurisdiction: 'CN-GD' },
  { code: 'HSI-US', name: 'Homeland Security Investigations (IPR Center)', kind: 'CUSTOMS', jurisdiction: 'US' },
  { code: 'VN-MS', name: 'Vietnam Directorate of Market Surveillance', kind: 'MARKET_REGULATION', jurisdiction: 'VN' },
] as const;

const DAY = 86_400_000;

/**
 * The tables the seed fills in bulk (by COPY, and seller_strike by seller_strike_carry_over): their foreign
 * keys and secondary indexes wait for the end of the load.
 */
export const LOADED_TABLES = [
  'brand',
  'trademark',
  'agency',
  'seller',
  'seller_identifier',
  'listing',
  'seller_strike',
  'investigation',
  'lead',
  'lead_brand',
  'lead_seller',
  'lead_listing',
  'finding',
  'evidence',
  'custody_transfer',
  'referral',
  'referral_evidence',
  'enforcement_outcome',
  'referral_change',
];

/**
 * Writes the dataset in one transaction: the marketplace and the planned cases by COPY, generated row by row
 * as PostgreSQL takes them (bounded memory: what stays in memory is a few numbers per listing, for the case
 * planner, and the case plan), then the strikes, the indexes and foreign keys, the case features and the
 * derived tables (bulk-load.ts, derived.ts).
 */
export async function seedDataset(dataSource: DataSource, options: SeedOptions): Promise<SeedCounts> {
  const random = new Random(options.seed ?? 20261123);
  const scale = options.scale;
  const counts = {
    brands: Math.max(3, Math.round(1000 * scale)),
    sellers: Math.max(20, Math.round(50_000 * scale)),
    listings: Math.max(60, Math.round(200_000 * scale)),
  };
  const now = options.now?.getTime() ?? Date.now();
  const bar = options.showProgress
    ? new SingleBar({ format: 'seed {bar} {percentage}% | {value}/{total} rows | {stage}' }, Presets.shades_classic)
    : null;
  // Marketplace rows, then roughly 9 case rows per lead; the exact total is known once the cases are planned.
  const marketRows = counts.brands * 3 + counts.sellers * 3 + counts.listings;
  const estimatedRows = marketRows + Math.round(9000 * scale) * 9;
  bar?.start(estimatedRows, 0, { stage: 'brands' });
  const tick = (stage: string) => (n: number) => bar?.increment(n, { stage });

  return dataSource.transaction(async (db) => {
    const load = await BulkLoad.begin(db, LOADED_TABLES);
    const market = await loadMarketplace(db, random, counts, now, options.identifierHashKey, tick);

    // The case lifecycle, from its own random stream so that the marketplace above stays as it was.
    const plan = planCases(new Random((options.seed ?? 20261123) ^ 0x5eed), market, scale, now);
    bar?.setTotal(market.rows + plan.rows);
    const cases = await insertCases(db, plan, market, tick);

    // Each seller's strikes as rows, as the enforcement policy keeps them: as many active strikes as its
    // strike count, on its latest takedowns (migration 1764001300000-EnforcementPolicy, seller_strike_carry_over).
    await db.query(`SELECT seller_strike_carry_over($1, make_interval(days => $2), 'seeded history')`, [
      new Date(now),
      featureSettings().strikes.expiryDays,
    ]);
    bar?.update({ stage: 'indexes and keys' });
    await load.restoreIndexesAndKeys();
    bar?.update({ stage: 'case features' });
    const features = await seedCaseFeatures(db, now);
    bar?.update({ stage: 'derived tables' });
    await load.rebuildDerived();
    bar?.stop();
    return {
      brands: market.brandIds.length,
      trademarks: market.trademarks,
      agencies: AGENCIES.length,
      sellers: market.sellerCount,
      identifiers: market.identifiers,
      listings: market.listingCount,
      ...cases,
      ...features,
      // The leads raised by repeat-offender matches, each naming two sellers.
      leads: cases.leads + features.repeatOffenderMatches,
      leadSellers: cases.leadSellers + 2 * features.repeatOffenderMatches,
    };
  });
}

interface MarketplaceCounts {
  brands: number;
  sellers: number;
  listings: number;
}

/**
 * Brands, trademarks, agencies, sellers with their identifiers, and listings, each table generated row by
 * row into its COPY, from one random stream in this order (so that a seed gives the same marketplace as
 * before). Ids are taken from each table's sequence beforehand. Keeps what the case planner needs.
 */
async function loadMarketplace(
  db: EntityManager,
  random: Random,
  counts: MarketplaceCounts,
  now: number,
  identifierHashKey: string,
  tick: (stage: string) => (n: number) => void,
): Promise<Marketplace & { trademarks: number; identifiers: number; rows: number }> {
  const firstBrandId = await reserveIds(db, 'brand', counts.brands);
  const brandIds = Array.from({ length: counts.brands }, (_, i) => firstBrandId + i);
  const brandNames: string[] = [];
  await copyRows(
    db,
    'brand',
    ['id', 'created_at', 'name', 'slug', 'status'],
    (function* () {
      for (let i = 0; i < counts.brands; i += 1) {
        const name = `${cap(random.pick(SYLLABLES))}${random.pick(SYLLABLES)}${i < SYLLABLES.length ? '' : ` ${i}`}`;
        brandNames.push(name);
        yield [
          brandIds[i],
          new Date(now - random.int(400, 1500) * DAY),
          name,
          `${slug(name)}-${i + 1}`,
          random.chance(0.97) ? 'ACTIVE' : 'SUSPENDED',
        ];
      }
    })(),
    tick('brands'),
  );

  const trademarks = await copyRows(
    db,
    'trademark',
    ['brand_id', 'mark', 'registration_number', 'jurisdiction', 'nice_classes'],
    (function* () {
      for (let i = 0; i < counts.brands; i += 1) {
        const marks = random.int(1, 3);
        for (let k = 0; k < marks; k += 1) {
          yield [
            brandIds[i],
            `${brandNames[i]}${k ? ` ${['Sport', 'Kids', 'Luxe'][k - 1]}` : ''}`,
            `TM-${i + 1}-${k + 1}`,
            random.pick(['CN', 'EU', 'US', 'WIPO']),
            [random.int(1, 45), random.int(1, 45)].sort((a, b) => a - b),
          ];
        }
      }
    })(),
    tick('trademarks'),
  );

  const firstAgencyId = await reserveIds(db, 'agency', AGENCIES.length);
  const agencyIds = AGENCIES.map((_, i) => firstAgencyId + i);
  await copyRows(
    db,
    'agency',
    ['id', 'code', 'name', 'kind', 'jurisdiction'],
    AGENCIES.map((a, i) => [agencyIds[i], a.code, a.name, a.kind, a.jurisdiction]),
  );

  // Each seller's platform (an index into PLATFORMS), for its listings' addresses.
  const firstSellerId = await reserveIds(db, 'seller', counts.sellers);
  const sellerPlatform = new Uint8Array(counts.sellers);
  await copyRows(
    db,
    'seller',
    ['id', 'created_at', 'platform', 'external_id', 'display_name', 'region', 'status', 'strike_count'],
    (function* () {
      for (let i = 0; i < counts.sellers; i += 1) {
        const strikes = random.chance(0.7) ? 0 : random.int(1, 6);
        const status =
          strikes >= 5
            ? random.pick(['SUSPENDED', 'CLOSED'])
            : strikes >= 3
              ? 'RESTRICTED'
              : strikes >= 1
                ? 'WARNED'
                : 'ACTIVE';
        const createdAt = new Date(now - random.int(30, 1200) * DAY);
        sellerPlatform[i] = Math.floor(random.next() * PLATFORMS.length);
        yield [
          firstSellerId + i,
          createdAt,
          PLATFORMS[sellerPlatform[i]],
          `shop-${i + 1}`,
          `${cap(random.pick(SYLLABLES))}${random.pick(SYLLABLES)} ${random.pick(SHOP_WORDS)}`,
          random.pick(REGIONS),
          status,
          strikes,
        ];
      }
    })(),
    tick('sellers'),
  );

  // Networks: about a fifth of the sellers are run in groups of 2-8 that share a payment account,
  // a phone or a business licence, as counterfeit operations spread over many shops do.
  // Each identifier as its keyed hash and its raw value encrypted (revealable for a stated purpose).
  const encryption = featureSettings().identifierEncryption;
  const identifierRow = (seller: number, kind: IdentifierKind, raw: string) => {
    const sellerId = String(firstSellerId + seller);
    const valueHash = identifierHash(identifierHashKey, kind, raw);
    const { valueEncrypted, keyId } = encryptIdentifier(
      encryption,
      identifierAssociatedData(sellerId, kind, valueHash),
      raw,
    );
    return [sellerId, kind, valueHash, valueEncrypted, keyId];
  };
  const identifiers = await copyRows(
    db,
    'seller_identifier',
    ['seller_id', 'kind', 'value_hash', 'value_encrypted', 'encryption_key_id'],
    (function* () {
      let networkNumber = 0;
      for (let i = 0; i < counts.sellers;) {
        if (random.chance(0.2 / 4)) {
          const size = random.int(2, 8);
          const shared = random.pick([
            IdentifierKind.PAYMENT_ACCOUNT,
            IdentifierKind.PHONE,
            IdentifierKind.BUSINESS_LICENSE,
            IdentifierKind.DEVICE,
          ]);
          networkNumber += 1;
          for (let k = 0; k < size && i < counts.sellers; k += 1, i += 1) {
            yield identifierRow(i, shared, `network-${networkNumber}-${shared}`);
            yield identifierRow(i, IdentifierKind.EMAIL, `shop${i}@example.com`);
          }
        } else {
          yield identifierRow(i, IdentifierKind.PAYMENT_ACCOUNT, `acct-${i}`);
          if (random.chance(0.6)) yield identifierRow(i, IdentifierKind.PHONE, `+86 13${String(i).padStart(9, '0')}`);
          i += 1;
        }
      }
    })(),
    tick('identifiers'),
  );

  // For the case planner: each listing's brand, seller and creation time (16 bytes a listing).
  const firstListingId = await reserveIds(db, 'listing', counts.listings);
  const listingBrand = new Int32Array(counts.listings);
  const listingSeller = new Int32Array(counts.listings);
  const listingCreatedAt = new Float64Array(counts.listings);
  await copyRows(
    db,
    'listing',
    [
      'id',
      'created_at',
      'seller_id',
      'brand_id',
      'title',
      'url',
      'price_amount',
      'price_currency',
      'status',
      'taken_down_at',
    ],
    (function* () {
      for (let i = 0; i < counts.listings; i += 1) {
        const brand = random.skewed(counts.brands);
        const seller = random.int(0, counts.sellers - 1);
        const createdAt = now - random.int(1, 730) * DAY - random.int(0, DAY - 1);
        const roll = random.next();
        const status = roll < 0.3 ? 'TAKEN_DOWN' : roll < 0.32 ? 'REINSTATED' : 'LIVE';
        const product = random.pick(PRODUCTS);
        listingBrand[i] = brand;
        listingSeller[i] = seller;
        listingCreatedAt[i] = createdAt;
        yield [
          firstListingId + i,
          new Date(createdAt),
          firstSellerId + seller,
          brandIds[brand],
          `${brandNames[brand]} ${product} ${random.pick(['2026 new', 'original', 'top quality', 'factory price', 'AAA'])}`,
          `https://${PLATFORMS[sellerPlatform[seller]].toLowerCase()}.example/item/${i + 1}`,
          random.int(500, 250_000),
          random.chance(0.85) ? 'CNY' : 'USD',
          status,
          status === 'LIVE' ? null : new Date(createdAt + random.int(1, 60) * DAY),
        ];
      }
    })(),
    tick('listings'),
  );

  return {
    brandIds,
    brandNames,
    sellerCount: counts.sellers,
    firstSellerId,
    listingCount: counts.listings,
    firstListingId,
    listingBrand,
    listingSeller,
    listingCreatedAt,
    agencies: AGENCIES,
    agencyIds,
    products: PRODUCTS,
    trademarks,
    identifiers,
    rows: counts.brands + trademarks + AGENCIES.length + counts.sellers + identifiers + counts.listings,
  };
}

function cap(word: string): string {
  return word[0].toUpperCase() + word.slice(1);
}

function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}
