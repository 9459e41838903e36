// Custody you can trust: a hand-over may name the agency that receives the item, which then acknowledges it,
// once; hand-overs are recorded in time order; a recorded hand-over cannot be edited by the API's role.
import { Client } from 'pg';
import { buildCase, CaseIds, mutate, refused } from '../support/cases';
import { dataOf } from '../support/server';
import { useTestServer } from '../support/harness';

const { db, world, server } = useTestServer();
let disclosedToX: CaseIds; // its evidence disclosed to agency X by a sent referral
let undisclosed: CaseIds; // no referral: agencies do not see its evidence

const TRANSFER_FIELDS = 'id fromCustodian toCustodian transferredAt acknowledgement acknowledgedAt toAgency { code }';
const ACKNOWLEDGE = `mutation($input: AcknowledgeCustodyTransferInput!) { acknowledgeCustodyTransfer(input: $input) {
  custodyTransfer { ${TRANSFER_FIELDS} } userErrors { field message code } } }`;

beforeAll(async () => {
  disclosedToX = await buildCase(server, world, { referTo: world.gid.agencyX, tag: 'custody X' });
  undisclosed = await buildCase(server, world, { tag: 'custody none' });
});

/** Records a hand-over as the investigator; answers the transfer the API returned (the item's last). */
async function handOver(evidenceId: string, input: Record<string, unknown>) {
  const { evidence } = await mutate(
    server,
    world.keys.investigator,
    'recordCustodyTransfer',
    { evidenceId, purpose: 'hand-over', ...input },
    `evidence { custodian custodyTransfers { ${TRANSFER_FIELDS} } }`,
  );
  return evidence.custodyTransfers.at(-1);
}

const rowOf = async (globalId: string) => {
  const rowId = Buffer.from(globalId, 'base64url').toString().split(':')[1];
  const [row] = await db.dataSource.query(
    `SELECT to_agency_id::text, acknowledged_at, acknowledged_by_id::text, transferred_at, purpose
     FROM custody_transfer WHERE id = $1`,
    [rowId],
  );
  return row;
};
const acknowledgementEvents = async () =>
  (
    await db.dataSource.query(
      `SELECT entity_id::text, after FROM audit_event WHERE action = 'evidence.custodyAcknowledged'`,
    )
  ).length;
const acknowledge = async (token: string, custodyTransferId: string, idempotencyKey?: string) =>
  dataOf(await server.gql(token, ACKNOWLEDGE, { input: { custodyTransferId, idempotencyKey } }))
    .acknowledgeCustodyTransfer;

describe('a hand-over to an agency', () => {
  let transferId: string;

  beforeAll(async () => {
    const transfer = await handOver(disclosedToX.evidenceId, {
      toCustodian: 'PSB evidence room',
      toAgencyId: world.gid.agencyX,
    });
    transferId = transfer.id;
  });

  it('is recorded as awaiting the agency, which the database holds', async () => {
    const { custodyTransfers } = dataOf(
      await server.gql(
        world.keys.investigator,
        `query($id: ID!) { node(id: $id) { ... on Evidence { custodyTransfers { ${TRANSFER_FIELDS} } } } }`,
        { id: disclosedToX.evidenceId },
      ),
    ).node;
    expect(custodyTransfers).toHaveLength(1);
    expect(custodyTransfers[0]).toMatchObject({
      id: transferId,
      fromCustodian: 'Investigator Li',
      toCustodian: 'PSB evidence room',
      acknowledgement: 'AWAITED',
      acknowledgedAt: null,
      toAgency: { code: expect.any(String) },
    });
    const row = await rowOf(transferId);
    expect(row).toMatchObject({ to_agency_id: world.ids.agencyX, acknowledged_at: null, acknowledged_by_id: null });
  });

  it('may not be acknowledged by another agency (as a missing id), a brand or the investigator', async () => {
    const missing = Buffer.from('CustodyTransfer:999999999').toString('base64url');
    const byY = await acknowledge(world.keys.agencyY, transferId);
    const missingByY = await acknowledge(world.keys.agencyY, missing);
    expect(byY.custodyTransfer).toBeNull();
    expect(byY.userErrors).toEqual([
      {
        code: 'NOT_FOUND',
        field: ['input', 'custodyTransferId'],
        message: `No custody transfer has the id "${transferId}".`,
      },
    ]);
    expect(missingByY.userErrors.map((e: { code: string }) => e.code)).toEqual(['NOT_FOUND']);
    for (const token of [world.keys.brandA, world.keys.investigator]) {
      const response = await server.gql(token, ACKNOWLEDGE, { input: { custodyTransferId: transferId } });
      expect(response.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    expect(await rowOf(transferId)).toMatchObject({ acknowledged_at: null, acknowledged_by_id: null });
    expect(await acknowledgementEvents()).toBe(0);
  });

  it('is acknowledged once by the receiving agency: the answer is what the database keeps, audited', async () => {
    const first = await acknowledge(world.keys.agencyX, transferId, 'ack-1');
    expect(first.userErrors).toEqual([]);
    expect(first.custodyTransfer).toMatchObject({ id: transferId, acknowledgement: 'ACKNOWLEDGED' });
    const row = await rowOf(transferId);
    expect(new Date(first.custodyTransfer.acknowledgedAt).getTime()).toBe(row.acknowledged_at.getTime());
    const [liaison] = await db.dataSource.query(
      `SELECT id::text FROM principal WHERE agency_id = $1 AND role = 'AGENCY_LIAISON' ORDER BY id LIMIT 1`,
      [world.ids.agencyX],
    );
    expect(row.acknowledged_by_id).toBe(liaison.id);
    expect(await acknowledgementEvents()).toBe(1);

    // A retry with the same key answers the first result; without it, a second acknowledgement is refused.
    const retry = await acknowledge(world.keys.agencyX, transferId, 'ack-1');
    expect(retry).toEqual(first);
    const again = await acknowledge(world.keys.agencyX, transferId);
    expect(again.userErrors).toEqual([
      {
        code: 'INVALID_TRANSITION',
        field: ['input', 'custodyTransferId'],
        message: `This hand-over was acknowledged on ${row.acknowledged_at.toISOString()}.`,
      },
    ]);
    expect((await rowOf(transferId)).acknowledged_at.getTime()).toBe(row.acknowledged_at.getTime());
    expect(await acknowledgementEvents()).toBe(1);
  });

  it('the agency reads it acknowledged through its referral', async () => {
    const { referral } = dataOf(
      await server.gql(
        world.keys.agencyX,
        `query($id: ID!) { referral: node(id: $id) { ... on Referral { disclosedEvidence { custodyTransfers { id acknowledgement } } } } }`,
        { id: disclosedToX.referralId },
      ),
    );
    expect(referral.disclosedEvidence[0].custodyTransfers).toEqual([
      { id: transferId, acknowledgement: 'ACKNOWLEDGED' },
    ]);
  });
});

describe('a hand-over to a receiver outside the system', () => {
  it('asks no acknowledgement: the receiving agency of another hand-over cannot give one', async () => {
    const transfer = await handOver(disclosedToX.evidenceId, { toCustodian: 'Forensic lab' });
    expect(transfer).toMatchObject({ acknowledgement: 'NOT_REQUESTED', toAgency: null, acknowledgedAt: null });
    const refusal = await acknowledge(world.keys.agencyX, transfer.id);
    expect(refusal.userErrors).toEqual([
      {
        code: 'INVALID',
        field: ['input', 'custodyTransferId'],
        message: 'This hand-over names no receiving agency: there is nothing to acknowledge.',
      },
    ]);
    expect(await rowOf(transfer.id)).toMatchObject({ to_agency_id: null, acknowledged_at: null });
  });
});

describe('the order of hand-overs', () => {
  const countTransfers = async (evidenceId: string) => {
    const rowId = Buffer.from(evidenceId, 'base64url').toString().split(':')[1];
    return (
      await db.dataSource.query(`SELECT count(*)::int AS n FROM custody_transfer WHERE evidence_id = $1`, [rowId])
    )[0].n;
  };

  it('refuses a time before the collection, before the last hand-over, or in the future, and keeps nothing', async () => {
    const evidenceId = undisclosed.evidenceId;
    const first = await handOver(evidenceId, { toCustodian: 'Store A', transferredAt: '2026-03-05T10:00:00Z' });
    expect(first.transferredAt).toBe('2026-03-05T10:00:00.000Z');
    const cases: [string, string][] = [
      ['2026-02-01T00:00:00Z', 'transferredAt is before the item was collected (2026-03-01T10:00:00.000Z).'],
      [
        '2026-03-04T00:00:00Z',
        "transferredAt is before the item's last hand-over (2026-03-05T10:00:00.000Z): hand-overs are recorded in order.",
      ],
      [new Date(Date.now() + 3_600_000).toISOString(), 'transferredAt is in the future.'],
    ];
    for (const [transferredAt, message] of cases) {
      const errors = await refused(server, world.keys.investigator, 'recordCustodyTransfer', {
        evidenceId,
        toCustodian: 'Store B',
        purpose: 'move',
        transferredAt,
      });
      expect(errors).toEqual([{ code: 'INVALID', field: ['input', 'transferredAt'], message }]);
    }
    expect(await countTransfers(evidenceId)).toBe(1);
    // The same time as the last hand-over is in order.
    await handOver(evidenceId, { toCustodian: 'Store B', transferredAt: '2026-03-05T10:00:00Z' });
    expect(await countTransfers(evidenceId)).toBe(2);
  });

  it('refuses an agency that does not exist, naming the field, and keeps nothing', async () => {
    const before = await countTransfers(undisclosed.evidenceId);
    const errors = await refused(server, world.keys.investigator, 'recordCustodyTransfer', {
      evidenceId: undisclosed.evidenceId,
      toCustodian: 'Nobody',
      purpose: 'move',
      toAgencyId: Buffer.from('Agency:999999').toString('base64url'),
    });
    expect(errors.map((e) => [e.code, e.field])).toEqual([['NOT_FOUND', ['input', 'toAgencyId']]]);
    expect(await countTransfers(undisclosed.evidenceId)).toBe(before);
  });
});

describe('a recorded hand-over in the database', () => {
  it("the API's role may change only the acknowledgement, and nobody an acknowledged one", async () => {
    const [row] = await db.dataSource.query(
      `SELECT id::text FROM custody_transfer WHERE acknowledged_at IS NOT NULL ORDER BY id LIMIT 1`,
    );
    const api = new Client({ connectionString: db.apiUrl });
    await api.connect();
    try {
      await api.query('BEGIN');
      await api.query(`SELECT set_config('eca.scope', 'ALL', true)`);
      await expect(api.query(`UPDATE custody_transfer SET purpose = 'edited' WHERE id = $1`, [row.id])).rejects.toThrow(
        /permission denied/,
      );
      await api.query('ROLLBACK');
    } finally {
      await api.end();
    }
    // Not even the owner changes an acknowledged hand-over (the trigger), nor takes the acknowledgement back.
    await expect(
      db.dataSource.query(
        `UPDATE custody_transfer SET acknowledged_at = NULL, acknowledged_by_id = NULL WHERE id = $1`,
        [row.id],
      ),
    ).rejects.toThrow(/was acknowledged on .*: it cannot change/);
    expect(
      (await rowOf(Buffer.from(`CustodyTransfer:${row.id}`).toString('base64url'))).acknowledged_at,
    ).not.toBeNull();
  });
});
