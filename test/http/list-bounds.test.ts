import {
  buildSchema,
  getNamedType,
  GraphQLField,
  GraphQLNamedType,
  GraphQLSchema,
  isInterfaceType,
  isLeafType,
  isObjectType,
  parse,
} from 'graphql';
import { LIST_BOUNDS, listBound, needsListBound } from '../../src/http/list-field-bounds';
import { operationCost } from '../../src/http/query-limits';
import { buildAppSchema } from '../../src/schema';

/**
 * Every list of the schema is priced by a declared bound: a list field of objects
 * that is not a connection has its entry in LIST_BOUNDS (src/http/query-limits.ts), and the cost
 * multiplies its items by it. A list field added without one fails here; so does an entry left behind.
 * The bounds themselves are checked on data by list-cost.test.ts.
 */

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildAppSchema();
});

type Field = { parent: GraphQLNamedType; field: GraphQLField<unknown, unknown> };
function fields(): Field[] {
  return Object.values(schema.getTypeMap())
    .filter((t) => !t.name.startsWith('__') && (isObjectType(t) || isInterfaceType(t)))
    .flatMap((t) =>
      Object.values((t as { getFields(): Record<string, GraphQLField<unknown, unknown>> }).getFields()).map(
        (field) => ({ parent: t, field }),
      ),
    );
}
const cost = (query: string, variables: Record<string, unknown> = {}) =>
  operationCost(schema, parse(query), undefined, variables);

describe('every list field has a bound', () => {
  it('declares one in LIST_BOUNDS for each list of objects that is not a connection', () => {
    const missing = fields()
      .filter(({ parent, field }) => needsListBound(parent, field) && !listBound(parent.name, field.name))
      .map(({ parent, field }) => `${parent.name}.${field.name}: ${String(field.type)}`);
    expect(missing).toEqual([]);
  });

  it('names only list fields of the schema that need it, each bound a positive integer with its reason', () => {
    const bounded = fields().filter(({ parent, field }) => needsListBound(parent, field));
    for (const [key, bound] of Object.entries(LIST_BOUNDS)) {
      const [typeName, fieldName] = key.split('.');
      const matching = bounded.filter(
        ({ parent, field }) => field.name === fieldName && (typeName === '*' || parent.name === typeName),
      );
      expect({ key, names: matching.length > 0 ? 'list fields of the schema' : 'nothing' }).toEqual({
        key,
        names: 'list fields of the schema',
      });
      expect({
        key,
        positiveInteger: Number.isInteger(bound.max) && bound.max > 0,
        why: bound.why.length > 10,
      }).toEqual({ key, positiveInteger: true, why: true });
    }
  });

  it('bounds a list by an argument of its parent field only when every costed field below that field is such a list', () => {
    for (const bound of Object.values(LIST_BOUNDS)) {
      if (!bound.perArgumentOf) continue;
      const [typeName, fieldName] = bound.perArgumentOf.field.split('.');
      const parentField = (
        schema.getType(typeName) as { getFields(): Record<string, GraphQLField<unknown, unknown>> }
      ).getFields()[fieldName];
      expect(parentField.args.map((a) => a.name)).toContain(bound.perArgumentOf.argument);
      const returned = getNamedType(parentField.type) as {
        name: string;
        getFields(): Record<string, GraphQLField<unknown, unknown>>;
      };
      for (const field of Object.values(returned.getFields())) {
        if (isLeafType(getNamedType(field.type))) continue;
        expect({
          field: `${returned.name}.${field.name}`,
          perArgumentOf: listBound(returned.name, field.name)?.perArgumentOf,
        }).toEqual({ field: `${returned.name}.${field.name}`, perArgumentOf: bound.perArgumentOf });
      }
    }
  });

  it('prices a list of objects without an entry as a full page, never as one item', () => {
    const undeclared = buildSchema('type Query { things: [Thing!]! } type Thing { id: ID! name: String }');
    expect(operationCost(undeclared, parse('{ things { id name } }'), undefined, {})).toBe(100);
  });
});

describe('what a list costs', () => {
  it("prices a takedown at its largest batch, 300 listings (the marketplace's batch size)", () => {
    const takedown =
      'mutation { takeDownListings(input: { listingIds: ["x"], reason: "r" }) { listings { id status } userErrors { code } } }';
    // the mutation 10 (its payload included), 300 listings of 1, one user error of 1
    expect(cost(takedown, {})).toBe(10 + 300 + 1);
  });

  it('multiplies the items of a plain list by its bound', () => {
    const lead = 'query($id: ID!) { node(id: $id) { ... on Lead { sellers { id } } } }';
    expect(cost(lead, { id: 'x' })).toBe(1 + 100 * 1);
    const nested =
      'query($id: ID!) { node(id: $id) { ... on Lead { sellers { listings(first: 10) { nodes { id } } } } } }';
    expect(cost(nested, { id: 'x' })).toBe(1 + 100 * (1 + 2 + 10));
    expect(cost('{ analytics { enforcementFunnel { stages { stage } } } }')).toBe(1 + 1 + 6);
  });

  it('keeps the price of connections as it was', () => {
    expect(cost('{ listings(first: 10) { totalCount pageInfo { hasNextPage } nodes { id } } }')).toBe(2 + 10);
    expect(cost('{ sellers(first: 5) { nodes { listings(first: 4) { nodes { id } } } } }')).toBe(2 + 5 * (1 + 2 + 4));
    expect(cost('{ listings(first: 10) { edges { cursor node { id seller { id } } } } }')).toBe(2 + 10 * 2);
  });

  it('prices the documents of the query-cost review at least at the objects they can return, over the default limit', () => {
    // The attack's baseline, refused before: 100 sellers with 100 listings and 100 leads each.
    const baseline = cost(
      '{ sellers(first: 100) { nodes { listings(first: 100) { nodes { id } } leads(first: 100) { nodes { id } } } } }',
    );
    // The same objects through repeatOffenders (priced 208 before): 100 x (offender, seller, 2 x (1 + 100)).
    const offenders = cost(
      '{ analytics { repeatOffenders(first: 100) { sellers { seller { listings(first: 100) { nodes { id } } leads(first: 100) { nodes { id } } } } } } }',
    );
    expect(offenders).toBeGreaterThanOrEqual(2 + 100 * (2 + 2 * 101));
    expect(offenders).toBeGreaterThanOrEqual(baseline);
    // Networks (priced 106 before): 100 networks x 20 sellers x (1 + 1 + 100).
    const networks = cost(
      '{ analytics { repeatOffenders(first: 100) { networks { sellers { listings(first: 100) { nodes { id } } } } } } }',
    );
    expect(networks).toBeGreaterThanOrEqual(2 + 100 * (1 + 20 * 102));
    // sellerNetwork: 200 members, 1,000 links.
    const members = cost(
      'query($s: ID!) { sellerNetwork(sellerId: $s) { members { seller { listings(first: 100) { nodes { id } } } } links { from { id } to { id } } } }',
      { s: 'x' },
    );
    expect(members).toBeGreaterThanOrEqual(1 + 200 * (2 + 101) + 1000 * 3);
    for (const price of [offenders, networks, members]) expect(price).toBeGreaterThan(5000);
  });

  it('scales the lists of repeatOffenders to the `first` asked for', () => {
    const ranked = (first: number) =>
      cost(
        `{ analytics { repeatOffenders(first: ${first}) { sellers { seller { id } } networks { sellers { id } } } } }`,
      );
    expect(ranked(100)).toBe(1 + 1 + 100 * 2 + 100 * (1 + 20));
    expect(ranked(10)).toBe(1 + 1 + 10 * 2 + 10 * (1 + 20));
    expect(cost('{ analytics { repeatOffenders { sellers { strikes } } } }')).toBe(1 + 1 + 10);
  });
});
