import { EntityManager } from 'typeorm';
import { AgencyKind } from '../modules/agency/agency.entity.js';
import { encryptIdentifier, identifierAssociatedData } from '../modules/seller/identifier-cipher.js';
import { identifierHash } from '../modules/seller/identifier-hash.js';
import { IdentifierKind } from '../modules/seller/seller-identifier.entity.js';
import { statusAfterStrikes } from '../modules/enforcement-policy/enforcement-policy.js';
import { SellerStatus } from '../modules/seller/seller.entity.js';
import { featureSettings } from '../shared/settings.js';
import { Marketplace } from './case-plan.js';
import { copyRows, reserveIds } from './copy.js';
import { Random } from './random.js';
import { SellerSanctions } from './seller-sanctions.js';

/**
 * The marketplace of the generated dataset: brands and their trademarks, the agencies, sellers (with their
 * identifiers and sanctions) and listings.
 */

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
  { code: 'PSB-ZJ-YW', name: 'Yiwu Public Security Bureau', kind: AgencyKind.PUBLIC_SECURITY, jurisdiction: 'CN-ZJ' },
  {
    code: 'PSB-GD-GZ',
    name: 'Guangzhou Public Security Bureau',
    kind: AgencyKind.PUBLIC_SECURITY,
    jurisdiction: 'CN-GD',
  },
  {
    code: 'PSB-GD-SZ',
    name: 'Shenzhen Public Security Bureau',
    kind: AgencyKind.PUBLIC_SECURITY,
    jurisdiction: 'CN-GD',
  },
  { code: 'PSB-FJ-PT', name: 'Putian Public Security Bureau', kind: AgencyKind.PUBLIC_SECURITY, jurisdiction: 'CN-FJ' },
  {
    code: 'AMR-ZJ',
    name: 'Zhejiang Administration for Market Regulation',
    kind: AgencyKind.MARKET_REGULATION,
    jurisdiction: 'CN-ZJ',
  },
  {
    code: 'AMR-GD',
    name: 'Guangdong Administration for Market Regulation',
    kind: AgencyKind.MARKET_REGULATION,
    jurisdiction: 'CN-GD',
  },
  {
    code: 'AMR-JS',
    name: 'Jiangsu Administration for Market Regulation',
    kind: AgencyKind.MARKET_REGULATION,
    jurisdiction: 'CN-JS',
  },
  { code: 'GACC-SH', name: 'Shanghai Customs District', kind: AgencyKind.CUSTOMS, jurisdiction: 'CN-SH' },
  { code: 'GACC-GD', name: 'Guangzhou Customs District', kind: AgencyKind.CUSTOMS, jurisdiction: 'CN-GD' },
  {
    code: 'CNIPA',
    name: 'China National Intellectual Property Administration',
    kind: AgencyKind.IP_OFFICE,
    jurisdiction: 'CN',
  },
  { code: 'PROC-ZJ', name: "Zhejiang People's Procuratorate", kind: AgencyKind.PROSECUTOR, jurisdiction: 'CN-ZJ' },
  { code: 'PROC-GD', name: "Guangdong People's Procuratorate", kind: AgencyKind.PROSECUTOR, jurisdiction: 'CN-GD' },
  {
    code: 'HSI-US',
    name: 'Homeland Security Investigations (IPR Center)',
    kind: AgencyKind.CUSTOMS,
    jurisdiction: 'US',
  },
  {
    code: 'VN-MS',
    name: 'Vietnam Directorate of Market Surveillance',
    kind: AgencyKind.MARKET_REGULATION,
    jurisdiction: 'VN',
  },
] as const;

const DAY = 86_400_000;

export interface MarketplaceCounts {
  brands: number;
  sellers: number;
  listings: number;
}

/**
 * Brands, trademarks, agencies, sellers with their identifiers, and listings, each table generated row by
 * row into its COPY, from one random stream in this order (so that a seed gives the same marketplace as
 * before). Ids are taken from each table's sequence beforehand. Keeps what the case planner needs.
 */
export async function loadMarketplace(
  db: EntityManager,
  random: Random,
  counts: MarketplaceCounts,
  now: number,
  identifierHashKey: string,
  tick: (stage: string) => (n: number) => void,
): Promise<Marketplace & { sanctions: SellerSanctions; trademarks: number; identifiers: number; rows: number }> {
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

  // Each seller's platform (an index into PLATFORMS), for its listings' addresses; its strikes and whether an
  // investigator closed it after its suspension, from which its status, version and audit events follow.
  const firstSellerId = await reserveIds(db, 'seller', counts.sellers);
  const sellerPlatform = new Uint8Array(counts.sellers);
  const sanctions = new SellerSanctions(counts.sellers, firstSellerId);
  await copyRows(
    db,
    'seller',
    ['id', 'created_at', 'platform', 'external_id', 'display_name', 'region', 'status', 'strike_count', 'version'],
    (function* () {
      for (let i = 0; i < counts.sellers; i += 1) {
        const strikes = random.chance(0.7) ? 0 : random.int(1, 6);
        sanctions.strikes[i] = strikes;
        if (statusAfterStrikes(SellerStatus.ACTIVE, strikes).status === SellerStatus.SUSPENDED)
          sanctions.closed[i] = random.pick([0, 1]);
        const createdAt = now - random.int(30, 1200) * DAY;
        sanctions.createdAt[i] = createdAt;
        sellerPlatform[i] = Math.floor(random.next() * PLATFORMS.length);
        yield [
          firstSellerId + i,
          new Date(createdAt),
          PLATFORMS[sellerPlatform[i]],
          `shop-${i + 1}`,
          `${cap(random.pick(SYLLABLES))}${random.pick(SYLLABLES)} ${random.pick(SHOP_WORDS)}`,
          random.pick(REGIONS),
          sanctions.statusOf(i),
          strikes,
          sanctions.versionOf(i),
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
    sanctions,
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
