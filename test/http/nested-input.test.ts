// Rules of input objects nested in an input (a geo point, a money amount, a list of identifiers) are
// checked like the input's own: a clear BAD_USER_INPUT naming the path, and nothing changed.
import { buildCase, mutate } from '../support/cases';
import { useTestServer } from '../support/harness';

const { db, world, server } = useTestServer();

const count = async (table: string) => (await db.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n;

describe('nested input objects', () => {
  it('a latitude out of range is BAD_USER_INPUT naming location.latitude, and no premises is stored', async () => {
    const before = await count('premises');
    const response = await server.gql(
      world.keys.investigator,
      `mutation($input: RegisterPremisesInput!) { registerPremises(input: $input) { premises { id } userErrors { code } } }`,
      {
        input: {
          kind: 'WAREHOUSE',
          region: 'CN-ZJ',
          address: 'No. 1 Road',
          location: { latitude: 91, longitude: 120 },
        },
      },
    );
    expect(response.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(response.body.errors?.[0].message).toContain('location.latitude');
    expect(await count('premises')).toBe(before);
  });

  it('a currency that is not ISO 4217 is BAD_USER_INPUT naming seizedValue.currency, and no outcome is stored', async () => {
    const c = await buildCase(server, world, { referTo: world.gid.agencyX, tag: 'nested money' });
    await mutate(server, world.keys.agencyX, 'acknowledgeReferral', { referralId: c.referralId }, 'referral { id }');
    const before = await count('enforcement_outcome');
    const response = await server.gql(
      world.keys.agencyX,
      `mutation($input: RecordEnforcementOutcomeInput!) { recordEnforcementOutcome(input: $input) { outcome { id } userErrors { code } } }`,
      {
        input: {
          referralId: c.referralId,
          kind: 'SEIZURE',
          occurredAt: new Date().toISOString(),
          seizedValue: { amount: 1000, currency: 'yuan' },
        },
      },
    );
    expect(response.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(response.body.errors?.[0].message).toContain('seizedValue.currency');
    expect(await count('enforcement_outcome')).toBe(before);
  });
});
