import { Writable } from 'node:stream';
import { testConfig } from '../support/server';
import { exportRows, ExportOptions } from '../../src/export/export';
import { csvCell } from '../../src/export/export-format';
import { insertHistory } from './fixture';
import { useTestServer } from '../support/harness';

const { db, world, server } = useTestServer({ server: false });

beforeAll(async () => {
  await insertHistory(db.dataSource, world);
});

/** A sink that keeps what it is given, optionally slowly (so that the exporter must wait for it to drain). */
class Sink extends Writable {
  chunks: string[] = [];
  lines = 0;
  constructor(
    private readonly keep = true,
    private readonly delayEvery = 0,
  ) {
    super({ highWaterMark: 1024 });
  }
  _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.lines += 1;
    if (this.keep) this.chunks.push(chunk.toString());
    if (this.delayEvery && this.lines % this.delayEvery === 0) setTimeout(done, 1);
    else done();
  }
  get text() {
    return this.chunks.join('');
  }
}

async function run(options: ExportOptions): Promise<{ count: number; text: string }> {
  const sink = new Sink();
  const count = await exportRows(db.dataSource, testConfig(), options, sink);
  return { count, text: sink.text };
}

describe('export', () => {
  it("writes an agency's referrals as CSV: its sent referrals only, with their outcomes added up", async () => {
    const { count, text } = await run({ kind: 'referrals', format: 'csv', agencyCode: 'AG-X', batchSize: 1 });
    const lines = text.trimEnd().split('\r\n');
    expect(count).toBe(2);
    expect(lines[0]).toBe(
      'reference,status,agency,investigation,created_at,sent_at,acknowledged_at,first_action_at,concluded_at,closed_at,' +
        'agency_case_reference,decline_reason,raids,seizures,arrests,dens_destroyed,convictions,fines,seized_value,fined,summary,seized_goods,seized_value_attributed',
    );
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(
      /^REF-T-\d+,CONVICTED,AG-X,INV-T-\d+,2026-01-04T00:00:00.000Z,2026-01-05T00:00:00.000Z,2026-01-06T00:00:00.000Z,2026-01-08T00:00:00.000Z,2026-01-20T00:00:00.000Z,,,,1,1,3,1,2,0,1000 CNY; 500 USD,,L1,,1000 CNY; 500 USD$/,
    );
    expect(lines[2]).toMatch(/,ACTION_TAKEN,AG-X,.*,1,0,5,2,0,0,3000 CNY,,L3,,3000 CNY$/);
  });

  it('writes JSON lines, every referral for an administrator (drafts included)', async () => {
    const { count, text } = await run({ kind: 'referrals', format: 'jsonl' });
    expect(count).toBe(4);
    const rows = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(rows.map((r) => [r.agency, r.status])).toEqual([
      ['AG-X', 'CONVICTED'],
      ['AG-Y', 'ACTION_TAKEN'],
      ['AG-X', 'DRAFT'],
      ['AG-X', 'ACTION_TAKEN'],
    ]);
    expect(rows[0]).toMatchObject({
      raids: 1,
      arrests: 3,
      seized_value: [
        { amount: 1000, currency: 'CNY' },
        { amount: 500, currency: 'USD' },
      ],
      fined: [],
    });
    expect(rows[1]).toMatchObject({
      fines: 1,
      fined: [{ amount: 2000, currency: 'CNY' }],
      sent_at: '2026-01-20T00:00:00.000Z',
    });
  });

  it("writes a brand's leads with only its own brand on them", async () => {
    const { count, text } = await run({ kind: 'leads', format: 'jsonl', brandSlug: 'beta', batchSize: 2 });
    expect(count).toBe(3);
    const rows = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(rows.map((r) => [r.description, r.brands, r.sellers, r.referrals_sent])).toEqual([
      ['L3', ['beta'], ['TMALL/sb'], 1],
      ['L5', ['beta'], ['TAOBAO/sa', 'TMALL/sb'], 0],
      ['L6', ['beta'], ['TMALL/sb'], 0],
    ]);
    const all = await run({ kind: 'leads', format: 'csv' });
    expect(all.count).toBe(7);
    expect(all.text.split('\r\n')[5]).toMatch(
      /^LD-T-\d+,2026-02-10T00:00:00.000Z,BRAND_REPORT,NEW,50,,,,alpha; beta,TAOBAO\/sa; TMALL\/sb,,0,L5$/,
    );
  });

  it("attributes a joint operation's agreed value once: each agency's share on its first outcome, the reported figures kept", async () => {
    // AG-X's raids on L1 (01-08, 1000 CNY) and L3 (02-10, 3000 CNY) and AG-Y's fine on L2 (01-30), one operation worth 4001 CNY.
    const [{ id: operationId }] = await db.dataSource.query(
      `INSERT INTO joint_operation (reference, name, seized_value_amount, seized_value_currency, valuation_method) VALUES ('JO-T-1', 'Yiwu sweep', 4001, 'CNY', 'MARKET_PRICE') RETURNING id`,
    );
    await db.dataSource.query(
      `UPDATE enforcement_outcome SET operation_id = $1 WHERE (kind = 'RAID' AND seized_value_amount IN (1000, 3000)) OR kind = 'FINE'`,
      [operationId],
    );
    try {
      const all = (await run({ kind: 'referrals', format: 'jsonl' })).text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line));
      const byRef = all.map((r) => [r.agency, r.status, r.seized_value, r.seized_value_attributed]);
      expect(byRef).toEqual([
        // Two agencies: 2000 each, the minor unit left over to the agency whose first outcome came first (AG-X).
        [
          'AG-X',
          'CONVICTED',
          [
            { amount: 1000, currency: 'CNY' },
            { amount: 500, currency: 'USD' },
          ],
          [
            { amount: 2001, currency: 'CNY' },
            { amount: 500, currency: 'USD' },
          ],
        ],
        ['AG-Y', 'ACTION_TAKEN', [], [{ amount: 2000, currency: 'CNY' }]],
        ['AG-X', 'DRAFT', [], []],
        // AG-X's later outcome in the operation carries none of it: AG-X's share is on its first.
        ['AG-X', 'ACTION_TAKEN', [{ amount: 3000, currency: 'CNY' }], []],
      ]);
      // What the analytics count: the same attribution, from the database's own rule.
      const [{ total }] = await db.dataSource.transaction(async (owner) => {
        await owner.query(`SELECT set_config('eca.scope', 'ALL', true)`);
        return owner.query(
          `SELECT sum(amount)::int AS total FROM eca_joint_operation_shares(ARRAY(SELECT id FROM enforcement_outcome WHERE operation_id = $1))`,
          [operationId],
        );
      });
      expect(total).toBe(4001);
      // An agency's own export shows its share, never the other agency's.
      const x = (await run({ kind: 'referrals', format: 'jsonl', agencyCode: 'AG-X' })).text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(x.map((r) => r.seized_value_attributed)).toEqual([
        [
          { amount: 2001, currency: 'CNY' },
          { amount: 500, currency: 'USD' },
        ],
        [],
      ]);
    } finally {
      await db.dataSource.query(`UPDATE enforcement_outcome SET operation_id = NULL WHERE operation_id = $1`, [
        operationId,
      ]);
      await db.dataSource.query(`DELETE FROM joint_operation WHERE id = $1`, [operationId]);
    }
  });

  it('refuses an unknown agency or brand', async () => {
    await expect(run({ kind: 'referrals', format: 'csv', agencyCode: 'NOPE' })).rejects.toThrow(
      'no agency with code "NOPE"',
    );
    await expect(run({ kind: 'leads', format: 'csv', brandSlug: 'nope' })).rejects.toThrow('no brand with slug "nope"');
  });

  it('quotes CSV cells and defuses spreadsheet formulas', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"\nthen')).toBe('"say ""hi""\nthen"');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell(5)).toBe('5');
    expect(csvCell(null)).toBe('');
  });

  it('streams many rows in constant memory: one batch read at a time, each written before the next is read', async () => {
    const total = 30_000;
    await db.dataSource.query(
      `
      WITH new AS (
        INSERT INTO lead (reference, source, description, status, created_at)
        SELECT 'LD-BULK-' || n, 'PLATFORM_DETECTION', repeat('x', 200), 'NEW', '2026-03-02T00:00:00Z' FROM generate_series(1, $1) n RETURNING id)
      INSERT INTO lead_brand (lead_id, brand_id) SELECT id, $2 FROM new`,
      [total, world.ids.brandA],
    );
    const sink = new Sink(false, 50);
    let read = 0;
    let maxAhead = 0;
    const count = await exportRows(
      db.dataSource,
      testConfig(),
      {
        kind: 'leads',
        format: 'csv',
        batchSize: 1000,
        onBatch: (rows) => {
          read += rows;
          // Rows read but not yet handed to the sink: never more than one batch (the header is line 1).
          maxAhead = Math.max(maxAhead, read - (sink.lines - 1));
        },
      },
      sink,
    );
    expect(count).toBe(total + 7);
    expect(sink.lines).toBe(total + 7 + 1);
    // At most one batch read ahead of the sink (plus the one row the sink may be writing when it is counted).
    expect(maxAhead).toBeLessThanOrEqual(1000 + 1);
  });
});
