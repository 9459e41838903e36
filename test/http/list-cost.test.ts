import {
  getNamedType,
  GraphQLField,
  GraphQLNamedType,
  GraphQLObjectType,
  GraphQLSchema,
  isAbstractType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import { isConnectionType, listBound } from '../../src/http/list-field-bounds';
import { buildAppSchema } from '../../src/schema';
import { buildDataset, Dataset } from '../isolation/dataset';
import { Fill, fillLists } from './list-cost-fill';
import { render, SchemaWalker, Sel } from '../isolation/schema-walk';
import { useTestServer } from '../support/harness';

/**
 * The price of a query is an upper bound of the objects in its answer, proven by
 * generation: the schema is walked (test/isolation/schema-walk.ts) and, for every root query field, the
 * worst-case document is built: every field down to MAX_DEPTH levels of records (ids one level below),
 * every connection at `first: 100` with `edges { node }`, `nodes`, `pageInfo` and `totalCount`, every
 * plain list with its whole selection, `repeatOffenders(first: 100)`, `sellerNetwork(maxDepth: 4)` and the
 * analytics series by DAY over the longest period they accept. Each document runs for each role, over the
 * isolation dataset filled up to the lists' bounds where a bound is enforced (a lead with 100 sellers and
 * 100 brands, a referral disclosing 100 evidence items, a network of 210 sellers, 100 two-seller networks,
 * more than 100 repeat offenders, 1,001 daily buckets, 50 kinds of goods seized), and:
 *
 * - the objects in the answer never exceed `extensions.cost.requestedQueryCost`, counted as the cost model
 *   counts them: every object 1, except a connection's edges (their node counts) (query-limits.ts);
 * - every list in every answer holds at most its declared bound (LIST_BOUNDS; a connection: its `first`).
 *
 * The server runs with the cost limit at its highest (100,000,000), so that nearly every document is
 * answered and measured; one priced over it is split into parts with the same path, and a single path
 * still over it (100 brands x 100 leads x 100 sellers x ...) is refused, as it must be, and measured again
 * with `first: 10`. How many documents the default limit (5,000) would refuse is printed with the figures,
 * with the longest list seen of each field beside its bound. Roles: one caller of each.
 */

const MAX_DEPTH = 3;
const PAGE = 100;
const DEFAULT_MAX_COST = 5000;
/** Arguments that make a list longest, wherever a field takes one of that name. */
const WORST_CASE_ARGUMENTS: Record<string, string> = { maxDepth: '4', granularity: 'DAY' };
/** Errors that are answers, not findings: a role refused a root field. */
const REFUSED = new Set(['FORBIDDEN']);

const SERVER_ENV: Record<string, string> = {
  GRAPHQL_MAX_QUERY_CHARS: 'off',
  GRAPHQL_MAX_TOKENS: 'off',
  GRAPHQL_MAX_DEPTH: 'off',
  GRAPHQL_MAX_ALIASES: 'off',
  GRAPHQL_MAX_DIRECTIVES: 'off',
  GRAPHQL_MAX_COST: '100000000',
  GRAPHQL_MAX_BODY_BYTES: '10000000',
  // The rate limit on (extensions.cost is reported with it), with a budget no walk exhausts.
  RATE_LIMIT_MAXIMUM_AVAILABLE: '1000000000',
  RATE_LIMIT_RESTORE_RATE: '1000000000',
};

const { db, world, server } = useTestServer({ env: SERVER_ENV });
let schema: GraphQLSchema;
let dataset: Dataset;
let fill: Fill;

beforeAll(async () => {
  schema = await buildAppSchema();
  dataset = await buildDataset(server, world, db.dataSource);
  fill = await fillLists(db, dataset);
}, 600_000);

/** The isolation walk's generator, with the arguments that make lists longest. */
class WorstCaseWalker extends SchemaWalker {
  defaultArgs(field: GraphQLField<unknown, unknown>, extra: Record<string, string> = {}): string | null {
    const worst = Object.fromEntries(
      field.args
        .filter((a) => WORST_CASE_ARGUMENTS[a.name] !== undefined)
        .map((a) => [a.name, WORST_CASE_ARGUMENTS[a.name]]),
    );
    return super.defaultArgs(field, { ...worst, ...extra });
  }
}

const day = 86_400_000;
/** The longest period a DAY series takes: 1000 days, from noon (1,001 buckets). */
const longPeriod = () => {
  const to = new Date(Math.ceil(Date.now() / day) * day + day / 2);
  return { from: new Date(to.getTime() - 1000 * day).toISOString(), to: to.toISOString() };
};
/** Reporter accuracy takes at most 1,000 buckets: 1000 days from midnight. */
const accuracyPeriod = () => {
  const to = new Date(Math.ceil(Date.now() / day) * day);
  return { from: new Date(to.getTime() - 1000 * day).toISOString(), to: to.toISOString() };
};

interface Doc {
  name: string;
  query: string;
  sels: Sel[];
  /** Connections asked for SMALL_PAGE items instead of PAGE. */
  smallPages?: boolean;
}

/** The page size of a path priced over the highest limit even alone. */
const SMALL_PAGE = 10;
const smallPages = (sel: Sel): Sel => ({
  ...sel,
  text: sel.text.replace(`first: ${PAGE}`, `first: ${SMALL_PAGE}`),
  children: sel.children?.map(smallPages),
});

function documents(): Doc[] {
  const walker = new WorstCaseWalker(schema, {
    maxDepth: MAX_DEPTH,
    otherTenantIds: () => [],
    allIds: () => [],
    forbiddenStrings: () => [],
    nonexistentIds: () => [],
    fullNestedNodes: false,
  });
  const query = schema.getQueryType()!;
  const docs: Doc[] = [];
  const extraArgs: Record<string, Record<string, string>[]> = {
    node: fill.nodeIds.slice(0, 13).map((id) => ({ id: JSON.stringify(id) })),
    nodes: [{ ids: JSON.stringify(fill.nodeIds) }],
    auditTrail: [{ entityId: JSON.stringify(dataset.caseA.referralId) }],
    sellerNetwork: [
      { sellerId: JSON.stringify(fill.networkSeller) },
      { sellerId: JSON.stringify(dataset.world.gid.sellerA) },
    ],
    analytics: [
      { filter: `{ from: ${JSON.stringify(longPeriod().from)}, to: ${JSON.stringify(longPeriod().to)} }` },
      { filter: `{ from: ${JSON.stringify(accuracyPeriod().from)}, to: ${JSON.stringify(accuracyPeriod().to)} }` },
    ],
  };
  for (const field of Object.values(query.getFields()).sort((a, b) => a.name.localeCompare(b.name))) {
    // A root field of scalars (auditConsistencyProof's hashes) answers no object: nothing to count.
    if (isLeafType(getNamedType(field.type))) continue;
    for (const [i, extra] of (extraArgs[field.name] ?? [{}]).entries()) {
      const args = walker.defaultArgs(field, extra);
      if (args === null)
        throw new Error(`Query.${field.name} needs an argument this test does not give: add it to extraArgs`);
      const type = getNamedType(field.type);
      let children = walker.selection(type, 1);
      // A root connection's items once, through `edges { node }` (its `nodes` with their leaves): as nested ones.
      if (isConnectionType(type))
        children = children!.map((c) =>
          c.field === 'nodes' ? { ...c, children: c.children!.filter((n) => !n.children || n.atomic) } : c,
        );
      // The 1,001 daily buckets of the series: longer than reporterAccuracy takes (its 1,000 are in the next one).
      if (field.name === 'analytics' && i === 0) children = children!.filter((c) => c.field !== 'reporterAccuracy');
      const sel: Sel = {
        key: field.name,
        text: `${field.name}${args}`,
        field: field.name,
        typeName: type.name,
        seg: field.name,
        children,
      };
      docs.push({ name: `${field.name}${i ? `#${i}` : ''}`, query: `{ ${render([sel])} }`, sels: [sel] });
    }
  }
  expect([...walker.skipped]).toEqual([]);
  return docs;
}

interface Count {
  objects: number;
  /** Longest list seen per `Type.field` (connections: `Connection.nodes`/`edges`). */
  longest: Map<string, number>;
  violations: string[];
}

const isList = (field: GraphQLField<unknown, unknown>) =>
  isListType(isNonNullType(field.type) ? field.type.ofType : field.type);

/**
 * Counts the objects of an answer as the cost model does and checks each list against its bound. `first`
 * is the page size of the connection `parent` is, when it is one.
 */
function count(
  sels: Sel[],
  value: Record<string, unknown>,
  parent: GraphQLNamedType,
  into: Count,
  path: string,
  first?: number,
) {
  for (const sel of sels) {
    if (sel.on) {
      if (value.__typename === sel.on) count(sel.children ?? [], value, schema.getType(sel.on)!, into, path, first);
      continue;
    }
    if (!sel.children) continue;
    const field = (parent as GraphQLObjectType).getFields()[sel.field!];
    const v = value[sel.key];
    if (v === null || v === undefined) continue;
    const named = getNamedType(field.type);
    const here = `${path}.${sel.key}`;
    const pageOf = isConnectionType(named) ? Number(/first: (\d+)/.exec(sel.text)?.[1] ?? 20) : undefined;
    const visit = (item: Record<string, unknown>) => {
      const itemType = isAbstractType(named) ? schema.getType(item.__typename as string)! : named;
      // An edge costs what its node costs: not counted itself.
      if (!(isConnectionType(parent) && sel.field === 'edges')) into.objects += 1;
      count(sel.children!, item, itemType, into, here, pageOf);
    };
    if (isList(field)) {
      const items = v as Record<string, unknown>[];
      const key = `${parent.name}.${field.name}`;
      into.longest.set(key, Math.max(into.longest.get(key) ?? 0, items.length));
      let bound: number;
      if (isConnectionType(parent)) bound = first!;
      else {
        const declared = listBound(parent.name, field.name);
        bound = declared?.perArgumentOf ? PAGE : (declared?.max ?? 0);
      }
      if (items.length > bound) into.violations.push(`${here}: ${items.length} items, bound ${bound} (${key})`);
      for (const item of items) if (item !== null) visit(item);
    } else if (isObjectType(named) || isAbstractType(named)) {
      visit(v as Record<string, unknown>);
    }
  }
}

/** One caller of each role. */
const ROLES = ['admin', 'investigator', 'analyst', 'brandA', 'agencyX'] as const;

/**
 * A selection split in two or more with the same path, each part keeping the leaves and one share of the
 * composite children, at the first level that has more than one.
 */
function splitSelection(sel: Sel): Sel[] {
  const composite = (sel.children ?? []).filter((c) => c.children && !c.atomic);
  const leaves = (sel.children ?? []).filter((c) => !c.children || c.atomic);
  if (composite.length === 0) return [sel];
  if (composite.length === 1)
    return splitSelection(composite[0]).map((part) => ({ ...sel, children: [...leaves, part] }));
  const half = Math.ceil(composite.length / 2);
  return [composite.slice(0, half), composite.slice(half)].map((share) => ({
    ...sel,
    children: [...leaves, ...share],
  }));
}

interface RoleFigures {
  documents: number;
  /** Documents priced over the highest limit, run in parts instead. */
  split: number;
  /** Single paths priced over the highest limit (refused), run again with smaller pages. */
  refused: number;
  answered: number;
  objects: number;
  price: number;
  maxRatio: number;
  maxRatioDoc: string;
  overDefault: number;
  largest: { doc: string; objects: number; price: number };
}

const figures = new Map<string, RoleFigures>();
const longest = new Map<string, number>();

describe('the price of every worst-case document bounds the objects of its answer', () => {
  it.each(ROLES)(
    '%s',
    async (role) => {
      const token = dataset.world.keys[role];
      const docs = documents();
      const f: RoleFigures = {
        documents: 0,
        split: 0,
        refused: 0,
        answered: 0,
        objects: 0,
        price: 0,
        maxRatio: 0,
        maxRatioDoc: '',
        overDefault: 0,
        largest: { doc: '', objects: 0, price: 0 },
      };
      const problems: string[] = [];
      const queue = [...docs];
      while (queue.length) {
        const doc = queue.shift()!;
        const response = await server.gql(token, doc.query);
        if (response.body.errors?.[0]?.extensions?.limit === 'cost') {
          // Priced over even the highest limit the server takes: measured in parts.
          const parts = splitSelection(doc.sels[0]);
          if (parts.length < 2) {
            // One path priced over the highest limit (100 brands x 100 leads x 100 sellers x ...): refused for its
            // cost, as it must be; measured again with smaller pages.
            f.refused += 1;
            if (!doc.smallPages)
              queue.unshift({
                ...doc,
                name: `${doc.name}(first: ${SMALL_PAGE})`,
                query: `{ ${render(doc.sels.map(smallPages))} }`,
                sels: doc.sels.map(smallPages),
                smallPages: true,
              });
            continue;
          }
          queue.unshift(
            ...parts.map((sel, i) => ({
              ...doc,
              name: `${doc.name}/${i + 1}`,
              query: `{ ${render([sel])} }`,
              sels: [sel],
            })),
          );
          f.split += 1;
          continue;
        }
        if (response.status !== 200) {
          problems.push(`${doc.name}: HTTP ${response.status} ${JSON.stringify(response.body.errors)}`);
          continue;
        }
        f.documents += 1;
        const errors = (response.body.errors ?? []).filter((e) => {
          const code = e.extensions?.code;
          return !REFUSED.has(code);
        });
        if (errors.length)
          problems.push(
            `${doc.name}: ${errors.map((e) => `${e.extensions?.code} ${e.message} at ${(e.path ?? []).join('.')}`).join('; ')}`,
          );
        const price = response.body.extensions?.cost?.requestedQueryCost as number;
        expect(typeof price).toBe('number');
        const c: Count = { objects: 0, longest, violations: [] };
        count(doc.sels, (response.body.data ?? {}) as Record<string, unknown>, schema.getQueryType()!, c, '');
        problems.push(...c.violations.map((v) => `${doc.name}: ${v}`));
        if (c.objects > price) problems.push(`${doc.name}: ${c.objects} objects for a price of ${price}`);
        if (response.body.data && Object.values(response.body.data).some((v) => v !== null)) f.answered += 1;
        f.objects += c.objects;
        f.price += price;
        if (price > DEFAULT_MAX_COST) f.overDefault += 1;
        // The highest share of its price an answer fills, among answers of 100 objects or more.
        const ratio = price && c.objects >= 100 ? c.objects / price : 0;
        if (ratio > f.maxRatio)
          Object.assign(f, { maxRatio: ratio, maxRatioDoc: `${doc.name} (${c.objects}/${price})` });
        if (c.objects > f.largest.objects) f.largest = { doc: doc.name, objects: c.objects, price };
      }
      figures.set(role, f);
      expect(problems).toEqual([]);
    },
    600_000,
  );

  afterAll(() => {
    const lines = [...figures].map(
      ([role, f]) =>
        `${role.padEnd(13)} ${String(f.answered).padStart(3)}/${f.documents} answered (${f.split} split, ${f.refused} paths refused at any limit), ${String(f.objects).padStart(7)} objects for ${String(f.price).padStart(12)}; ` +
        `highest objects/price of an answer of 100+ objects ${f.maxRatio.toFixed(3)} (${f.maxRatioDoc}); largest answer ${f.largest.objects} objects (${f.largest.doc}, price ${f.largest.price}); ` +
        `${f.overDefault} over the default limit`,
    );
    const bounds = [...longest]
      .filter(([key]) => !key.includes('Connection.'))
      .sort()
      .map(([key, n]) => `${key} ${n}/${listBound(key.split('.')[0], key.split('.')[1])?.max ?? '-'}`);
    // eslint-disable-next-line no-console
    console.log(
      `list cost walk (depth ${MAX_DEPTH}, first: ${PAGE}):\n${lines.join('\n')}\nlongest plain list seen / bound:\n${bounds.join(', ')}`,
    );
  });
});

it('fills the lists whose bound is enforced up to it', () => {
  const seen = (key: string) => longest.get(key) ?? 0;
  expect(seen('Lead.sellers')).toBe(100);
  expect(seen('Lead.brands')).toBe(100);
  expect(seen('Referral.disclosedEvidence')).toBe(100);
  expect(seen('RepeatOffenders.sellers')).toBe(100);
  expect(seen('RepeatOffenders.networks')).toBe(100);
  expect(seen('OffendingNetwork.sellers')).toBe(20);
  expect(seen('SellerNetwork.members')).toBe(200);
  expect(seen('SellerNetwork.links')).toBe(1000);
  expect(seen('TakedownSeries.buckets')).toBe(1001);
  expect(seen('OutcomeSeries.buckets')).toBe(1001);
  expect(seen('BrandReporterAccuracy.series')).toBe(1000);
  expect(seen('EnforcementFunnel.stages')).toBe(6);
  expect(seen('EnforcementOutcome.seizedGoods')).toBe(50);
});
