import { toGlobalId } from '../../src/shared/relay/global-id';
import { hashToken } from '../../src/shared/auth/api-key-token';
import { TestHarness } from '../support/harness';
import { equal, MutationFaultFixtures, Spec } from './mutation-fault-fixtures';

// The cases of test/data-access/mutation-faults.test.ts for the other records: listings, sellers and their
// identifiers, premises, joint operations, repeat-offender matches, API keys.
/** A receiver URL per case (never called: no worker runs in that test). */
const hookUrl = (m: string) => `http://127.0.0.1:9/${m}`;

export function recordMutationSpecs({}: TestHarness, fixtures: MutationFaultFixtures): Spec[] {
  const { owner, rid, lit, call, newSeller, newListing, nextId, outcomes, jointOperation, raisedMatch, principal } =
    fixtures;
  return [
    {
      name: 'takeDownListings',
      token: 'investigator',
      selection: 'listings { id status version takenDownAt seller { id status strikeCount } }',
      setup: async (m) => {
        const s = await newSeller(m);
        const l = await newListing(s, m);
        return {
          input: { listingIds: [toGlobalId('Listing', l)], reason: m, idempotencyKey: m },
          fault: ['seller', s],
          armed: ['listing', `id = ${l} AND status = 'TAKEN_DOWN'`],
          facts: [
            [
              `SELECT l.status, s.strike_count FROM listing l JOIN seller s ON s.id = l.seller_id WHERE l.id = ${l}`,
              [{ status: 'TAKEN_DOWN', strike_count: 1 }],
            ],
          ],
        };
      },
    },
    {
      name: 'reinstateListing',
      token: 'investigator',
      selection: 'listing { id status version seller { id status strikeCount } }',
      setup: async (m) => {
        const s = await newSeller(m);
        const l = await newListing(s, m);
        await call(
          'investigator',
          'takeDownListings',
          { listingIds: [toGlobalId('Listing', l)], reason: 'setup' },
          'listings { id }',
        );
        return {
          input: { listingId: toGlobalId('Listing', l), reason: m, idempotencyKey: m },
          fault: ['seller', s],
          armed: ['listing', `id = ${l} AND status = 'REINSTATED'`],
          facts: [[`SELECT status FROM listing WHERE id = ${l}`, [{ status: 'REINSTATED' }]]],
        };
      },
    },
    {
      name: 'updateSellerStatus',
      token: 'investigator',
      selection: 'seller { id status version strikeCount listings(first: 5) { nodes { id status } } }',
      setup: async (m) => {
        const s = await newSeller(m);
        const l = await newListing(s, m);
        return {
          input: { sellerId: toGlobalId('Seller', s), status: 'WARNED', reason: m, idempotencyKey: m },
          fault: ['listing', l],
          armed: ['seller', `id = ${s} AND status = 'WARNED'`],
          facts: [[`SELECT status FROM seller WHERE id = ${s}`, [{ status: 'WARNED' }]]],
        };
      },
    },
    // The new seller's identifiers are read after the commit: the fault is on the identifier row the change is
    // about to create (the next id of its sequence).
    {
      name: 'createSeller',
      token: 'investigator',
      selection: 'seller { id externalId displayName status identifiers { id kind valueHash } }',
      setup: async (m) => ({
        input: {
          platform: 'TAOBAO',
          externalId: m,
          displayName: m,
          region: 'CN-ZJ',
          identifiers: [{ kind: 'EMAIL', value: `${m}@shop.example` }],
          idempotencyKey: m,
        },
        fault: ['seller_identifier', await nextId('seller_identifier')],
        armed: ['seller', `external_id = ${lit(m)}`],
        facts: [
          [
            `SELECT s.status, i.kind FROM seller s JOIN seller_identifier i ON i.seller_id = s.id WHERE s.external_id = ${lit(m)}`,
            [{ status: 'ACTIVE', kind: 'EMAIL' }],
          ],
        ],
      }),
    },
    // SellerIdentifier has no relation and the payload is the change's own read: no nested path reads the
    // database after the commit. The fault is on the new identifier's own row, armed after the change (read
    // by nothing later); only the later field (b) fails.
    {
      name: 'addSellerIdentifier',
      token: 'investigator',
      payloadReads: false,
      selection: 'identifier { id kind valueHash revealable }',
      setup: async (m) => {
        const s = await newSeller(m);
        return {
          input: { sellerId: toGlobalId('Seller', s), kind: 'EMAIL', value: `${m}@id.example`, idempotencyKey: m },
          fault: ['seller_identifier', await nextId('seller_identifier')],
          armed: ['seller_identifier', `seller_id = ${s}`],
          facts: [[`SELECT kind FROM seller_identifier WHERE seller_id = ${s}`, [{ kind: 'EMAIL' }]]],
        };
      },
    },
    // The disclosure is answered from what the change read (no node, no relation): no nested path reads the
    // database after the commit. The fault is on the seller's own row, armed by the audit event of the reveal
    // (read by nothing later); only the later field (b) fails. It takes no idempotencyKey: it reveals, it does
    // not create or move a record (its audit events are its only writes).
    {
      name: 'revealSellerIdentifiers',
      token: 'investigator',
      payloadReads: false,
      selection: 'disclosure { sellerId purpose identifiers { identifierId kind value } }',
      setup: async (m) => {
        const s = await newSeller(m);
        const { identifier } = await call(
          'investigator',
          'addSellerIdentifier',
          { sellerId: toGlobalId('Seller', s), kind: 'EMAIL', value: `${m}@reveal.example` },
          'identifier { id }',
        );
        const revealed = `action = 'sellerIdentifier.revealed' AND after->>'purpose' = ${lit(m)}`;
        return {
          input: { sellerId: toGlobalId('Seller', s), purpose: m },
          fault: ['seller', s],
          armed: ['audit_event', revealed],
          facts: [[`SELECT entity_id::text FROM audit_event WHERE ${revealed}`, [{ entity_id: rid(identifier.id) }]]],
          verify: (p, problems) => {
            const expected = {
              sellerId: toGlobalId('Seller', s),
              purpose: m,
              identifiers: [{ identifierId: identifier.id, kind: 'EMAIL', value: `${m}@reveal.example` }],
            };
            if (p.disclosure && !equal(p.disclosure, expected))
              problems.push(`a: disclosure ${JSON.stringify(p.disclosure)}, expected ${JSON.stringify(expected)}`);
          },
        };
      },
    },
    // New premises have no findings nor outcomes, and the premises are answered from the change's own read: no
    // nested path reads a row after the commit (a fault on another finding's row is not hit by the scan of the
    // finding table for them: PostgreSQL checks the leakproof premises_id condition before the policy). The
    // fault is on the new premises' own row (the next id of its sequence), armed after the change; only (b) fails.
    {
      name: 'registerPremises',
      token: 'investigator',
      payloadReads: false,
      selection: 'premises { id kind region address version raidCount findings { id } outcomes { id } }',
      setup: async (m) => ({
        input: { kind: 'FACTORY', region: 'CN-ZJ', address: m, idempotencyKey: m },
        fault: ['premises', await nextId('premises')],
        armed: ['premises', `address = ${lit(m)}`],
        facts: [[`SELECT kind FROM premises WHERE address = ${lit(m)}`, [{ kind: 'FACTORY' }]]],
      }),
    },
    {
      name: 'createJointOperation',
      token: 'investigator',
      selection: 'operation { id reference name version valuationMethod outcomes { id kind } }',
      setup: async (m) => {
        const ids = await outcomes(m);
        return {
          input: {
            name: m,
            outcomeIds: ids,
            seizedValue: { amount: 120_000, currency: 'CNY' },
            valuationMethod: 'MARKET_PRICE',
            idempotencyKey: m,
          },
          fault: ['enforcement_outcome', rid(ids[0])],
          armed: ['joint_operation', `name = ${lit(m)}`],
          facts: [
            [
              `SELECT count(*)::int AS n FROM enforcement_outcome o JOIN joint_operation j ON j.id = o.operation_id WHERE j.name = ${lit(m)}`,
              [{ n: 2 }],
            ],
          ],
        };
      },
    },
    {
      name: 'addOutcomesToJointOperation',
      token: 'investigator',
      selection: 'operation { id reference version outcomes { id kind } }',
      setup: async (m) => {
        const ids = await outcomes(m);
        const op = await jointOperation(m, [ids[0]]);
        return {
          input: { operationId: op, outcomeIds: [ids[1]], idempotencyKey: m },
          fault: ['enforcement_outcome', rid(ids[1])],
          armed: ['enforcement_outcome', `id = ${rid(ids[1])} AND operation_id IS NOT NULL`],
          facts: [
            [
              `SELECT operation_id::text FROM enforcement_outcome WHERE id = ${rid(ids[1])}`,
              [{ operation_id: rid(op) }],
            ],
          ],
        };
      },
    },
    {
      name: 'revalueJointOperation',
      token: 'investigator',
      selection:
        'operation { id version valuationMethod valuationNote seizedValue { amount currency } outcomes { id } }',
      setup: async (m) => {
        const ids = await outcomes(m);
        const op = await jointOperation(m, ids);
        return {
          input: {
            operationId: op,
            seizedValue: { amount: 99_000, currency: 'CNY' },
            valuationMethod: 'OTHER',
            valuationNote: m,
            idempotencyKey: m,
          },
          fault: ['enforcement_outcome', rid(ids[0])],
          armed: ['joint_operation', `valuation_note = ${lit(m)}`],
          facts: [
            [
              `SELECT valuation_method, seized_value_amount::int AS amount FROM joint_operation WHERE id = ${rid(op)}`,
              [{ valuation_method: 'OTHER', amount: 99_000 }],
            ],
          ],
        };
      },
    },
    {
      name: 'confirmRepeatOffenderMatch',
      token: 'investigator',
      selection: 'match { id status version decisionNote lead { id status } seller { id status } }',
      setup: async (m) => {
        const match = await raisedMatch(m);
        return {
          input: { matchId: match.gid, note: m, idempotencyKey: m },
          fault: ['lead', match.lead_id],
          armed: ['repeat_offender_match', `id = ${match.id} AND status = 'CONFIRMED'`],
          facts: [
            [
              `SELECT status, decision_note FROM repeat_offender_match WHERE id = ${match.id}`,
              [{ status: 'CONFIRMED', decision_note: m }],
            ],
          ],
        };
      },
    },
    {
      name: 'rejectRepeatOffenderMatch',
      token: 'investigator',
      selection: 'match { id status version decisionNote lead { id status closeReason } priorSeller { id status } }',
      setup: async (m) => {
        const match = await raisedMatch(m);
        return {
          input: { matchId: match.gid, note: m, idempotencyKey: m },
          fault: ['seller', match.prior_seller_id],
          armed: ['repeat_offender_match', `id = ${match.id} AND status = 'REJECTED'`],
          facts: [
            [
              `SELECT m.status, l.status AS lead_status FROM repeat_offender_match m JOIN lead l ON l.id = m.lead_id WHERE m.id = ${match.id}`,
              [{ status: 'REJECTED', lead_status: 'CLOSED' }],
            ],
          ],
        };
      },
    },
    // api_key and principal have no row-level security: the nested read that fails is the principal's brand.
    // createApiKey takes no idempotencyKey: it is not retried below.
    {
      name: 'createApiKey',
      token: 'admin',
      selection:
        'token apiKey { id name tokenPrefix revokedAt principal { id name role brand { id name } } } principal { id name role }',
      setup: async (m) => {
        const [p, brand] = await principal(m);
        return {
          input: { name: m, principalId: toGlobalId('Principal', p) },
          fault: ['brand', brand],
          armed: ['api_key', `name = ${lit(m)}`],
          facts: [[`SELECT principal_id::text FROM api_key WHERE name = ${lit(m)}`, [{ principal_id: p }]]],
          verify: async (payload, problems) => {
            const [row] = await owner(`SELECT token_hash FROM api_key WHERE name = $1`, [m]);
            if (payload.token && row?.token_hash !== hashToken(payload.token))
              problems.push('a: the token answered is not the key stored');
          },
        };
      },
    },
    {
      name: 'revokeApiKey',
      token: 'admin',
      selection: 'apiKey { id name revokedAt principal { id name brand { id name } } }',
      setup: async (m) => {
        const [p, brand] = await principal(m);
        const key = rid(
          (await call('admin', 'createApiKey', { name: m, principalId: toGlobalId('Principal', p) }, 'apiKey { id }'))
            .apiKey.id,
        );
        return {
          input: { apiKeyId: toGlobalId('ApiKey', key) },
          fault: ['brand', brand],
          armed: ['api_key', `id = ${key} AND revoked_at IS NOT NULL`],
          facts: [[`SELECT revoked_at IS NOT NULL AS revoked FROM api_key WHERE id = ${key}`, [{ revoked: true }]]],
        };
      },
    },
    // Webhooks (src/modules/webhook): each payload is answered from the change's own read, so no nested path reads
    // a row after the commit; the fault is on the change's own row, and in the `after` mode only (b) fails.
    {
      name: 'createWebhookSubscription',
      token: 'investigator',
      payloadReads: false,
      selection: 'webhookSubscription { id url events paused version }',
      setup: async (m) => ({
        input: {
          url: hookUrl(m),
          events: ['LEAD_STATUS_CHANGED'],
          secret: `secret-${m}-0123456789`,
          idempotencyKey: m,
        },
        fault: ['webhook_subscription', await nextId('webhook_subscription')],
        armed: ['webhook_subscription', `url = ${lit(hookUrl(m))}`],
        facts: [
          [
            `SELECT events, paused FROM webhook_subscription WHERE url = ${lit(hookUrl(m))}`,
            [{ events: ['LEAD_STATUS_CHANGED'], paused: false }],
          ],
        ],
      }),
    },
    ...(['updateWebhookSubscription', 'rotateWebhookSecret', 'deleteWebhookSubscription'] as const).map(
      (name): Spec => ({
        name,
        token: 'admin',
        payloadReads: false,
        selection:
          name === 'deleteWebhookSubscription'
            ? 'deletedWebhookSubscriptionId'
            : 'webhookSubscription { id url paused version }',
        setup: async (m) => {
          const { webhookSubscription: s } = await call(
            'admin',
            'createWebhookSubscription',
            { url: hookUrl(m), events: ['CASE_STATUS_CHANGED'], secret: `secret-${m}-0123456789` },
            'webhookSubscription { id version }',
          );
          const id = rid(s.id);
          const input =
            name === 'updateWebhookSubscription'
              ? { subscriptionId: s.id, expectedVersion: s.version, paused: true, idempotencyKey: m }
              : name === 'rotateWebhookSecret'
                ? {
                    subscriptionId: s.id,
                    expectedVersion: s.version,
                    secret: `rotated-${m}-0123456789`,
                    idempotencyKey: m,
                  }
                : { subscriptionId: s.id, expectedVersion: s.version };
          const done = name === 'deleteWebhookSubscription' ? [] : [{ version: 2 }];
          return {
            input,
            fault: ['webhook_subscription', id],
            armed:
              name === 'deleteWebhookSubscription'
                ? ['audit_event', `action = 'webhookSubscription.deleted' AND entity_id = ${id}`]
                : ['webhook_subscription', `id = ${id} AND version = 2`],
            facts: [[`SELECT version FROM webhook_subscription WHERE id = ${id}`, done]],
          };
        },
      }),
    ),
    {
      name: 'redeliverWebhookDelivery',
      token: 'admin',
      payloadReads: false,
      selection: 'webhookDelivery { id status attempts version }',
      setup: async (m) => {
        const { webhookSubscription: s } = await call(
          'admin',
          'createWebhookSubscription',
          { url: hookUrl(m), events: ['CASE_STATUS_CHANGED'], secret: `secret-${m}-0123456789` },
          'webhookSubscription { id }',
        );
        const [{ seq }] = await owner(
          `INSERT INTO webhook_event (seq, id, type, record_type, record_id, occurred_at)
           SELECT coalesce(max(seq), 0) + 1000000, gen_random_uuid(), 'CASE_STATUS_CHANGED', 'Investigation', 1, now() FROM webhook_event RETURNING seq::text`,
        );
        const [{ id }] = await owner(
          `INSERT INTO webhook_delivery (subscription_id, event_seq, event_id, event_type, status, attempts)
           SELECT $1, seq, id, type, 'DEAD', 3 FROM webhook_event WHERE seq = $2 RETURNING id::text`,
          [rid(s.id), seq],
        );
        return {
          input: { deliveryId: toGlobalId('WebhookDelivery', id), expectedVersion: 1, idempotencyKey: m },
          fault: ['webhook_delivery', id],
          armed: ['webhook_delivery', `id = ${id} AND status = 'PENDING'`],
          facts: [
            [`SELECT status, attempts FROM webhook_delivery WHERE id = ${id}`, [{ status: 'PENDING', attempts: 0 }]],
          ],
        };
      },
    },
  ];
}
