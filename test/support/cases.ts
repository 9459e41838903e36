import { World } from './fixtures';
import { dataOf, TestServer } from './server';

/** Runs a mutation that must succeed and returns its payload's single field (e.g. `lead`). */
export async function mutate(
  server: TestServer,
  token: string,
  name: string,
  input: Record<string, unknown>,
  selection: string,
): Promise<any> {
  const inputType = `${name[0].toUpperCase()}${name.slice(1)}Input`;
  const data = dataOf(
    await server.gql(
      token,
      `mutation($input: ${inputType}!) { ${name}(input: $input) { ${selection} userErrors { field message code } } }`,
      { input },
    ),
  );
  const result = data[name];
  if (result.userErrors.length) throw new Error(`${name} refused: ${JSON.stringify(result.userErrors)}`);
  return result;
}

/** Runs a mutation expected to be refused; returns its user errors. */
export async function refused(
  server: TestServer,
  token: string,
  name: string,
  input: Record<string, unknown>,
): Promise<{ field: string[] | null; message: string; code: string }[]> {
  const inputType = `${name[0].toUpperCase()}${name.slice(1)}Input`;
  const data = dataOf(
    await server.gql(
      token,
      `mutation($input: ${inputType}!) { ${name}(input: $input) { userErrors { field message code } } }`,
      { input },
    ),
  );
  return data[name].userErrors;
}

export const sha = (n: number) => n.toString(16).padStart(64, 'a');

export interface CaseIds {
  leadId: string;
  investigationId: string;
  evidenceId: string;
  referralId?: string;
}

/**
 * A case of brand A up to the stage asked for: a reported and triaged lead, an investigation with one
 * evidence item, ready for referral; with `referTo`, a referral to that agency, sent.
 */
export async function buildCase(
  server: TestServer,
  world: World,
  options: { referTo?: string; brand?: 'A' | 'B'; send?: boolean; tag?: string } = {},
): Promise<CaseIds> {
  const brandKey = options.brand === 'B' ? world.keys.brandB : world.keys.brandA;
  const sellerId = options.brand === 'B' ? world.gid.sellerB : world.gid.sellerA;
  const { lead } = await mutate(
    server,
    brandKey,
    'reportLead',
    { description: `case ${options.tag ?? ''}`, sellerIds: [sellerId] },
    'lead { id version }',
  );
  await mutate(
    server,
    world.keys.investigator,
    'triageLead',
    { leadId: lead.id, riskScore: 80, internalNotes: 'informant says factory in Yiwu' },
    'lead { id }',
  );
  const { investigation } = await mutate(
    server,
    world.keys.investigator,
    'openInvestigation',
    { leadIds: [lead.id], summary: 'test purchase planned', internalNotes: 'internal only' },
    'investigation { id }',
  );
  const { evidence } = await mutate(
    server,
    world.keys.investigator,
    'addEvidence',
    {
      investigationId: investigation.id,
      kind: 'TEST_PURCHASE',
      description: 'bag bought',
      sha256: sha(Math.floor(Math.random() * 1e12)),
      storageKey: `s3://evidence/${lead.id}`,
      collectedBy: 'Investigator Li',
      collectedAt: '2026-03-01T10:00:00Z',
    },
    'evidence { id }',
  );
  await mutate(
    server,
    world.keys.investigator,
    'markInvestigationReady',
    { investigationId: investigation.id },
    'investigation { id }',
  );
  const ids: CaseIds = { leadId: lead.id, investigationId: investigation.id, evidenceId: evidence.id };
  if (options.referTo) {
    const { referral } = await mutate(
      server,
      world.keys.investigator,
      'createReferral',
      {
        investigationId: investigation.id,
        agencyId: options.referTo,
        evidenceIds: [evidence.id],
        summary: 'factory suspected',
      },
      'referral { id }',
    );
    ids.referralId = referral.id;
    if (options.send !== false)
      await mutate(server, world.keys.investigator, 'sendReferral', { referralId: referral.id }, 'referral { id }');
  }
  return ids;
}
