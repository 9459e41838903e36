import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  GraphQLNamedType,
  GraphQLSchema,
  IntrospectionQuery,
  isAbstractType,
  isEnumType,
  isLeafType,
} from 'graphql';
import { asBypassLogin } from '../support/database';
import { useTestServer } from '../support/harness';
import { dataOf } from '../support/server';
import { buildDataset, Dataset } from './dataset';
import { CallerName, CALLERS, callerScope, CallerScope, forbiddenStrings, Inventory, readInventory } from './oracle';
import { checkSameFigures, checkSels, checkStrings, CheckContext, Finding, newStats } from './response-check';
import { CallerReport, escapeRegExp, guessType, pool, sender } from './walk-support';
import { MAX_DEPTH, walkGenerator } from './generated-isolation-walk';
import { collectPaths, countSelections, render } from './schema-walk';

/**
 * Tenant isolation proven by generation. The schema is read by introspection and
 * walked: for each scoped caller (two brands, two agencies) every root query field and every nested path
 * down to MAX_DEPTH records (connections with edges/node, nodes, totalCount and pageInfo; lists; single
 * objects; one level of id stubs below), `node(id:)` and `nodes(ids:)` with the global id of every row
 * of every table, every root field that takes a record id with each of them, root filters naming the
 * other tenant (every [ID!] filter field with the ids out of scope of its type, every enum filter with
 * all values, every [String!] filter with strings of the other tenant), nested filters naming the other
 * tenant and root fields twice under aliases. Mutations are not walked.
 *
 * The oracle (oracle.ts) says in plain SQL, independently of visibility.ts, which records each caller
 * may see. Every object with an id must be one of them; every global id anywhere in a response too;
 * every totalCount must match the complete list it counts, never exceed the records in scope, equal the
 * records in scope for root lists, and be 0 for filters naming the other tenant; no string of a record
 * out of scope may appear anywhere (data, JSON scalars, decoded cursors, error messages).
 *
 * A field added to the schema later is walked, checked and counted without editing this file.
 *
 * One layer at a time: the server logs in with eca_app's privileges and BYPASSRLS, so that
 * visibility.ts alone keeps each caller to its scope (the policies alone: policies-layer.test.ts).
 */

/** Documents of one caller in flight at most (the four callers run side by side; see MAX_IN_FLIGHT). */
const CONCURRENCY = 4;
/**
 * The walk is about scope, not about query limits: its documents are deep and wide on purpose, so the
 * server under test runs with the per-document limits and the cost budget off (the settings that exist
 * for test harnesses; unknown settings are ignored by older servers). Introspection is on explicitly.
 */
const SERVER_ENV: Record<string, string> = {
  GRAPHQL_INTROSPECTION: 'true',
  GRAPHQL_MAX_QUERY_CHARS: 'off',
  GRAPHQL_MAX_TOKENS: 'off',
  GRAPHQL_MAX_DEPTH: 'off',
  GRAPHQL_MAX_ALIASES: 'off',
  GRAPHQL_MAX_DIRECTIVES: 'off',
  GRAPHQL_MAX_COST: 'off',
  RATE_LIMIT_MAXIMUM_AVAILABLE: 'off',
};
/** Errors a scoped caller may get without it being a finding: a refused root field reveals nothing. */
const REFUSAL_CODES = new Set(['FORBIDDEN']);

/**
 * Leaks found by this test and not fixed yet. Each is still reported (console) and has an `it.failing`
 * below that fails as soon as it is fixed, so that the entry gets removed. Matching findings do not fail
 * the per-caller tests; every other finding does.
 */
interface KnownLeak {
  id: string;
  description: string;
  matches(f: Finding): boolean;
}
const KNOWN_LEAKS: KnownLeak[] = [
  // L1 (listing filters compared seller/brand ids without their scope) and L2 (audit chain position and
  // hashes shown to partners) were found by this test and fixed; add new findings here only while a fix is pending.
];

// With the policies out of the way (a login with BYPASSRLS): visibility.ts alone decides what a caller sees.
const { db, world, server } = useTestServer({ env: SERVER_ENV, loginUrl: (database) => asBypassLogin(database.url) });
const send = sender(() => server);
let dataset: Dataset;
let schema: GraphQLSchema;
let inventory: Inventory;
let filterTypes: Map<string, string[]>;
/** Root fields with a required id argument -> the record types it accepts. */
let rootIdTypes: Map<string, string[]>;
const reports = new Map<CallerName, CallerReport>();
const skippedRootFields = new Set<string>();
const skippedFields = new Set<string>();
const started = Date.now();
let probeRequests = 0;
/** The walk's state as the generator reads it: these variables, filled in beforeAll. */
const walk = walkGenerator({
  send,
  get inventory() {
    return inventory;
  },
  get schema() {
    return schema;
  },
  get dataset() {
    return dataset;
  },
  get filterTypes() {
    return filterTypes;
  },
  get rootIdTypes() {
    return rootIdTypes;
  },
  skippedRootFields,
  skippedFields,
  get probeRequests() {
    return probeRequests;
  },
  set probeRequests(count: number) {
    probeRequests = count;
  },
});
const {
  typeOfGid,
  requiredArgs,
  isIdArg,
  hasIdField,
  acceptedTypes,
  probeFilterTypes,
  idArgsOf,
  probeWalker,
  walkerFor,
  operations,
  documents,
} = walk;
const phases: string[] = [];
let phaseStart = Date.now();
function phase(name: string) {
  phases.push(`${name} ${((Date.now() - phaseStart) / 1000).toFixed(1)} s`);
  phaseStart = Date.now();
}

/** Root fields the caller may not call at all (FORBIDDEN): refused outright, which reveals nothing. */
async function refusedRootFields(
  scope: CallerScope,
  ctx: CheckContext,
): Promise<{ refused: Set<string>; requests: number }> {
  const walker = walkerFor(scope, 1, []);
  const refused = new Set<string>();
  const fields = Object.values(schema.getQueryType()!.getFields());
  await pool(fields, CONCURRENCY, async (q) => {
    const accepted = rootIdTypes.get(q.name);
    const gid = (
      accepted?.length ? inventory.records.find((r) => accepted.includes(r.typeName)) : inventory.records[0]
    )!.gid;
    const args = walker.defaultArgs(q, idArgsOf(q, gid));
    if (args === null) return;
    // One request per field: an error of a non-null root field would hide the others' errors.
    const response = await send(
      scope.token,
      `{ ${q.name}${args}${isLeafType(getNamedType(q.type)) ? '' : ' { __typename }'} }`,
    );
    checkStrings(ctx, response.body.errors ?? [], `errors(${q.name})`, new Set([gid]), true);
    for (const e of response.body.errors ?? []) {
      if (REFUSAL_CODES.has(String(e.extensions?.code))) refused.add(q.name);
      else
        ctx.findings.push({
          caller: scope.name,
          at: String(e.path?.join('.')),
          path: q.name,
          kind: 'error',
          detail: `${e.extensions?.code}: ${e.message}`,
        });
    }
  });
  return { refused, requests: fields.length };
}

async function runCaller(name: CallerName): Promise<CallerReport> {
  const scope = await callerScope(db.dataSource, name, dataset.world.keys[name], dataset.world.ids);
  const enumValues = new Set(
    Object.values(schema.getTypeMap())
      .filter(isEnumType)
      .flatMap((e) => e.getValues().map((v) => v.name)),
  );
  const forbidden = forbiddenStrings(inventory, scope, enumValues);
  const possibleTypes = new Map<string, Set<string>>();
  for (const t of Object.values(schema.getTypeMap()) as GraphQLNamedType[]) {
    if (isAbstractType(t)) possibleTypes.set(t.name, new Set(schema.getPossibleTypes(t).map((p) => p.name)));
  }
  const ctx: CheckContext = {
    scope,
    forbidden: forbidden.length
      ? new RegExp(
          [...forbidden]
            .sort((a, b) => b.length - a.length)
            .map(escapeRegExp)
            .join('|'),
        )
      : null,
    gidType: new Map(inventory.records.map((r) => [r.gid, r.typeName])),
    gidTypeNames: new Set(inventory.records.map((r) => r.typeName)),
    possibleTypes,
    stats: newStats(),
    findings: [],
  };

  const { refused, requests: probes } = await refusedRootFields(scope, ctx);
  const docs = documents(operations(scope, forbidden, refused));
  const paths = new Set<string>();
  let selections = 0;
  for (const doc of docs) {
    collectPaths(doc, paths);
    selections += countSelections(doc);
  }

  await pool(docs, CONCURRENCY, async (sels) => {
    const query = `{ ${render(sels)} }`;
    const t0 = Date.now();
    const response = await send(scope.token, query).catch((error: Error) => {
      ctx.findings.push({
        caller: name,
        at: '(request)',
        path: sels.map((s) => s.key).join(','),
        kind: 'error',
        detail: `${error.message} (${(error.cause as Error)?.message}) after ${Date.now() - t0} ms, ${query.length} characters`,
      });
      return null;
    });
    if (!response) return;
    const requestIds = new Set(query.match(/"[A-Za-z0-9_-]{6,200}"/g)?.map((s) => s.slice(1, -1)) ?? []);
    if (response.status !== 200 && !response.body.errors) {
      ctx.findings.push({
        caller: name,
        at: '(request)',
        path: '(request)',
        kind: 'error',
        detail: `HTTP ${response.status}`,
      });
      return;
    }
    for (const e of response.body.errors ?? []) {
      const root = sels.find((s) => s.key === e.path?.[0]);
      const code = String(e.extensions?.code);
      if (root?.expect?.tolerate?.includes(code)) ctx.stats.toleratedErrors += 1;
      else
        ctx.findings.push({
          caller: name,
          at: String(e.path?.join('.') ?? '(document)'),
          path: root?.seg ?? '(document)',
          kind: 'error',
          detail: `${code}: ${e.message}`,
        });
    }
    checkStrings(ctx, response.body.errors ?? [], 'errors', requestIds, true);
    checkStrings(ctx, response.body.data ?? {}, '', requestIds);
    if (response.body.data) {
      const answered = sels.filter(
        (s) => !(response.body.errors ?? []).some((e) => e.path?.[0] === s.key && s.expect?.tolerate),
      );
      checkSels(ctx, answered, response.body.data, '');
      for (const sel of answered) {
        const twin = sel.expect?.sameFiguresAs;
        if (twin && answered.some((s) => s.key === twin))
          checkSameFigures(ctx, sel, response.body.data[sel.key], response.body.data[twin]);
      }
    }
  });

  return {
    caller: name,
    requests: docs.length + probes,
    paths: paths.size,
    selections,
    rootFields: Object.keys(schema.getQueryType()!.getFields()).length,
    refusedRootFields: [...refused],
    stats: ctx.stats,
    findings: ctx.findings,
    allowed: scope.allowed,
    inScope: scope.allowed.size,
    outOfScope: inventory.records.filter((r) => !scope.allowed.has(r.gid)).length,
    forbiddenStrings: forbidden.length,
  };
}

const isKnown = (f: Finding) => KNOWN_LEAKS.some((k) => k.matches(f));

beforeAll(async () => {
  dataset = await buildDataset(server, world, db.dataSource);
  phase('dataset');
  inventory = await readInventory(db.dataSource);
  const introspection = dataOf<IntrospectionQuery>(await server.gql(world.keys.admin, getIntrospectionQuery()));
  schema = buildClientSchema(introspection);
  phase('introspection');
  filterTypes = await probeFilterTypes();
  const walker = probeWalker();
  const idFields = Object.values(schema.getQueryType()!.getFields()).filter((q) => requiredArgs(q).some(isIdArg));
  rootIdTypes = new Map(
    await Promise.all(
      idFields.map(
        async (q) =>
          [
            q.name,
            await acceptedTypes(
              q,
              (gid) => walker.defaultArgs(q, idArgsOf(q, gid)),
              guessType(requiredArgs(q).find(isIdArg)!.name),
            ),
          ] as const,
      ),
    ),
  );
  phase('probes');
  // The callers run side by side: each request waits on the database much of the time.
  await Promise.all(CALLERS.map(async (name) => reports.set(name, await runCaller(name))));
  phase('callers');
}, 300_000); // generous: about 50 s of CPU, which a loaded CI machine stretches a lot

afterAll(async () => {
  if (reports.size) {
    const lines = CALLERS.filter((c) => reports.has(c))
      .map((c) => reports.get(c)!)
      .map(
        (r) =>
          `${r.caller}: ${r.paths} paths, ${r.selections} field selections, ${r.requests} requests; ` +
          `${r.stats.records} records checked (${r.stats.distinctRecords.size} distinct; ${r.inScope} in scope, ${r.outOfScope} out of scope), ` +
          `${r.stats.totalCounts} totalCounts, ${r.stats.nullChecks} id lookups, ${r.stats.strings} strings against ${r.forbiddenStrings} foreign values; ` +
          `refused root fields: ${r.refusedRootFields.join(', ') || 'none'}; findings: ${r.findings.length} (${r.findings.filter(isKnown).length} known leaks)`,
      );
    const known = [...reports.values()].flatMap((r) => r.findings.filter(isKnown));
    console.log(
      [
        `Generated isolation walk (depth ${MAX_DEPTH}, ${inventory.records.length} records in the dataset, ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
          `${probeRequests} admin requests to learn which record types each id argument takes):`,
        ...lines,
        `Time: ${phases.join(', ')}`,
        `Root fields not walked (required arguments the walk cannot fill): ${[...skippedRootFields].join(', ') || 'none'}`,
        `Nested fields not walked (same reason): ${[...skippedFields].join(', ') || 'none'}`,
        ...(known.length
          ? [
              'KNOWN LEAKS still present:',
              ...KNOWN_LEAKS.map((k) => {
                const hits = known.filter((f) => k.matches(f));
                const callers = [...new Set(hits.map((f) => f.caller))].join(', ');
                const paths = [...new Set(hits.map((f) => f.path.replace(/_(\d+|again|f\d+)(?=\.|$)/, '')))];
                return `  ${k.id}: ${k.description}\n    ${hits.length} findings (${callers}) on ${paths.length} paths, e.g. ${paths.slice(0, 4).join(' | ')}\n    e.g. ${hits[0]?.at}: ${hits[0]?.detail}`;
              }),
            ]
          : []),
      ].join('\n'),
    );
  }
});

describe('tenant isolation on every generated path', () => {
  it('walks the whole schema: every root query field, nested paths to depth 4, and every record of the dataset', async () => {
    // With the policies out of the way: the server's login passes row-level security by.
    expect(
      await server.dataSource.query(`SELECT rolbypassrls AS bypass FROM pg_roles WHERE rolname = current_user`),
    ).toEqual([{ bypass: true }]);
    for (const r of reports.values()) {
      expect(r.rootFields).toBe(Object.keys(schema.getQueryType()!.getFields()).length);
      expect(r.paths).toBeGreaterThan(1000);
      expect(r.stats.records).toBeGreaterThan(0);
    }
    // Every table has rows, so that every type is looked up by id and reached. A new entity fails here
    // until test/isolation/dataset.ts creates some of it and oracle.ts says who may see it.
    const types = new Set(inventory.records.map((r) => r.typeName));
    const empty = [...inventory.tables.keys()].filter((t) => !types.has(t));
    expect({ entitiesWithoutRowsInTheIsolationDataset: empty }).toEqual({
      entitiesWithoutRowsInTheIsolationDataset: [],
    });
    // The walk reached every record each caller may see (of the types that show an id).
    for (const r of reports.values()) {
      const addressable = [...r.allowed].filter((gid) => hasIdField(typeOfGid(gid)));
      expect({ caller: r.caller, unreached: addressable.filter((gid) => !r.stats.distinctRecords.has(gid)) }).toEqual({
        caller: r.caller,
        unreached: [],
      });
    }
  });

  it.each(CALLERS)('%s reaches no record, count or string of the other tenant', (name) => {
    const report = reports.get(name)!;
    const unexpected = report.findings.filter((f) => !isKnown(f));
    expect(unexpected.slice(0, 40).map((f) => `[${f.kind}] ${f.path} @ ${f.at}: ${f.detail}`)).toEqual([]);
  });

  for (const leak of KNOWN_LEAKS) {
    // Fails (as expected) while the leak is there; once it is fixed this fails: remove the entry.
    it.failing(`KNOWN LEAK ${leak.id} (see KNOWN_LEAKS) is fixed`, () => {
      const hits = [...reports.values()].flatMap((r) => r.findings.filter((f) => leak.matches(f)));
      expect(hits).toEqual([]);
    });
  }
});
