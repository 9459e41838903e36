// The brand portal: what became of every report? Pages through the brand's cases.
//   node examples/brand-portal.mjs
import { gql, keyFor } from './client.mjs';

const brand = keyFor('BRAND_PARTNER');
let after = null;
let shown = 0;
do {
  const { leads } = await gql(
    brand,
    `query($after: String) {
    leads(first: 50, after: $after) { totalCount pageInfo { hasNextPage endCursor }
      nodes { reference status closeReason createdAt
        sellers { displayName region status }
        investigation { status referrals { reference status agency { name } outcomes { kind arrests densDestroyed convictions seizedValue { amount currency } } } } } } }`,
    { after },
  );
  if (!after) console.log(`${leads.totalCount} case(s)`);
  for (const lead of leads.nodes) {
    const referrals = lead.investigation?.referrals ?? [];
    const outcome = referrals.flatMap((r) => r.outcomes.map((o) => o.kind)).join(', ') || 'no outcome yet';
    console.log(
      `${lead.reference} ${lead.status.padEnd(13)} ${lead.sellers.map((s) => s.displayName).join('; ')} | ${referrals.map((r) => `${r.reference} ${r.status} (${r.agency.name})`).join('; ') || '-'} | ${outcome}`,
    );
  }
  shown += leads.nodes.length;
  after = leads.pageInfo.hasNextPage ? leads.pageInfo.endCursor : null;
} while (after && shown < 200);
