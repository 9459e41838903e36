import { DataSource } from 'typeorm';
import { Role } from '../../src/shared/auth/role';
import { systemContext } from '../../src/shared/context';
import { toGlobalId } from '../../src/shared/relay/global-id';
import { createApiKey } from '../../src/modules/principal/principal.service';
import { identifierHash } from '../../src/modules/seller/identifier-hash';
import { IdentifierKind } from '../../src/modules/seller/seller-identifier.entity';
import { testConfig } from './server';

/**
 * A small hand-made world with two tenants of each kind, so that every test can check that one tenant
 * learns nothing of the other: brands Alpha and Beta, agencies X and Y, sellers of each brand and one
 * seller selling both.
 */
export interface World {
  ids: Record<string, string>;
  gid: Record<string, string>;
  keys: Record<'admin' | 'investigator' | 'analyst' | 'brandA' | 'brandB' | 'agencyX' | 'agencyY', string>;
}

async function insert(db: DataSource, table: string, values: Record<string, unknown>): Promise<string> {
  const columns = Object.keys(values);
  const [row] = await db.query(
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`,
    Object.values(values),
  );
  return String(row.id);
}

export async function createWorld(db: DataSource): Promise<World> {
  const config = testConfig();
  const ids: Record<string, string> = {};
  ids.brandA = await insert(db, 'brand', { name: 'Alpha', slug: 'alpha', status: 'ACTIVE' });
  ids.brandB = await insert(db, 'brand', { name: 'Beta', slug: 'beta', status: 'ACTIVE' });
  ids.trademarkA = await insert(db, 'trademark', {
    brand_id: ids.brandA,
    mark: 'ALPHA',
    registration_number: 'CN-1',
    jurisdiction: 'CN',
    nice_classes: [18, 25],
  });
  ids.trademarkB = await insert(db, 'trademark', {
    brand_id: ids.brandB,
    mark: 'BETA',
    registration_number: 'CN-2',
    jurisdiction: 'CN',
    nice_classes: [14],
  });
  ids.agencyX = await insert(db, 'agency', {
    name: 'Agency X',
    code: 'AG-X',
    kind: 'PUBLIC_SECURITY',
    jurisdiction: 'CN-ZJ',
  });
  ids.agencyY = await insert(db, 'agency', {
    name: 'Agency Y',
    code: 'AG-Y',
    kind: 'MARKET_REGULATION',
    jurisdiction: 'CN-GD',
  });
  ids.sellerA = await insert(db, 'seller', {
    platform: 'TAOBAO',
    external_id: 'sa',
    display_name: 'Seller of Alpha',
    region: 'CN-ZJ',
    status: 'ACTIVE',
    strike_count: 0,
  });
  ids.sellerB = await insert(db, 'seller', {
    platform: 'TMALL',
    external_id: 'sb',
    display_name: 'Seller of Beta',
    region: 'CN-GD',
    status: 'WARNED',
    strike_count: 1,
  });
  ids.sellerAB = await insert(db, 'seller', {
    platform: 'TAOBAO',
    external_id: 'sab',
    display_name: 'Seller of both',
    region: 'CN-FJ',
    status: 'ACTIVE',
    strike_count: 0,
  });
  const shared = identifierHash(config.identifierHashKey, IdentifierKind.PHONE, '+86 138 0000 0001');
  ids.identifierA = await insert(db, 'seller_identifier', {
    seller_id: ids.sellerA,
    kind: 'PHONE',
    value_hash: shared,
  });
  ids.identifierB = await insert(db, 'seller_identifier', {
    seller_id: ids.sellerB,
    kind: 'PHONE',
    value_hash: shared,
  });
  ids.listingA1 = await insert(db, 'listing', {
    seller_id: ids.sellerA,
    brand_id: ids.brandA,
    title: 'Alpha bag',
    url: 'https://x/1',
    price_amount: 1000,
    price_currency: 'CNY',
    status: 'LIVE',
    created_at: '2026-01-01T00:00:00Z',
  });
  ids.listingA2 = await insert(db, 'listing', {
    seller_id: ids.sellerAB,
    brand_id: ids.brandA,
    title: 'Alpha shoe',
    url: 'https://x/2',
    price_amount: 2000,
    price_currency: 'CNY',
    status: 'TAKEN_DOWN',
    created_at: '2026-01-02T00:00:00Z',
  });
  ids.listingB1 = await insert(db, 'listing', {
    seller_id: ids.sellerB,
    brand_id: ids.brandB,
    title: 'Beta watch',
    url: 'https://x/3',
    price_amount: 3000,
    price_currency: 'USD',
    status: 'LIVE',
    created_at: '2026-01-03T00:00:00Z',
  });
  ids.listingB2 = await insert(db, 'listing', {
    seller_id: ids.sellerAB,
    brand_id: ids.brandB,
    title: 'Beta belt',
    url: 'https://x/4',
    price_amount: 4000,
    price_currency: 'CNY',
    status: 'LIVE',
    created_at: '2026-01-04T00:00:00Z',
  });

  const gid = Object.fromEntries(
    Object.entries(ids).map(([name, id]) => {
      const type = name.replace(/[A-Z0-9]+$/, '').replace(/^./, (c) => c.toUpperCase());
      const typeName = type === 'Identifier' ? 'SellerIdentifier' : type;
      return [name, toGlobalId(typeName, id)];
    }),
  );
  const ctx = systemContext(db, config, 'test-fixtures');
  const key = async (name: string, role: Role, extra: { brandId?: string; agencyId?: string } = {}) =>
    (await createApiKey(ctx, { name, principal: { name, role, ...extra } })).token;
  const keys = {
    admin: await key('admin', Role.ADMIN),
    investigator: await key('investigator', Role.INVESTIGATOR),
    analyst: await key('analyst', Role.ANALYST),
    brandA: await key('brand A portal', Role.BRAND_PARTNER, { brandId: gid.brandA }),
    brandB: await key('brand B portal', Role.BRAND_PARTNER, { brandId: gid.brandB }),
    agencyX: await key('agency X tool', Role.AGENCY_LIAISON, { agencyId: gid.agencyX }),
    agencyY: await key('agency Y tool', Role.AGENCY_LIAISON, { agencyId: gid.agencyY }),
  };
  return { ids, gid, keys };
}
