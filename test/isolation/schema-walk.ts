import {
  getNamedType,
  GraphQLField,
  GraphQLInputObjectType,
  GraphQLInterfaceType,
  GraphQLNamedType,
  GraphQLObjectType,
  GraphQLSchema,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  GraphQLInputType,
  GraphQLUnionType,
  GraphQLLeafType,
  GraphQLAbstractType,
} from 'graphql';

/**
 * Query generation from an introspected schema. Nothing here names a type or field of this API: every
 * root field, nested field, connection, filter input and enum is found by walking the schema, so a field
 * added later is walked without editing the test.
 */

/** What a selection's response value must satisfy (checked by response-check.ts). */
export interface Expect {
  /** Exact `totalCount` of this connection. */
  totalCount?: number;
  /**
   * The selection names only records out of scope (a filter on the other tenant): the answer holds no
   * record, and every number in it (totalCount, analytics figures) is 0.
   */
  nothing?: boolean;
  /**
   * Response key of a twin selection in the same document (the same filter naming records that do not
   * exist): both must hold the same records and figures.
   */
  sameFiguresAs?: string;
  /** Why `totalCount` has that value, for messages. */
  reason?: string;
  /** Root field called with one global id: null unless that record is in scope. */
  nullUnlessAllowed?: string;
  /** Root field called with a list of global ids: entry i is null unless ids[i] is in scope. */
  entriesNullUnlessAllowed?: string[];
  /** With `entriesNullUnlessAllowed`: entry i must hold a record when ids[i] is in scope. */
  entriesPresentIfAllowed?: boolean[];
  /** `nullUnlessAllowed` also requires a value for a record in scope of a type the field can return. */
  presentIfAllowed?: boolean;
  /** When the record is in scope, the exact totalCount (e.g. audit trail length). */
  totalCountIfAllowed?: number;
  /** Errors with these codes are tolerated for this selection (e.g. input validation of a string filter). */
  tolerate?: string[];
}

export interface Sel {
  /** Response key: the alias or field name; '' for an inline fragment. */
  key: string;
  /** Source text without the sub-selection: `alias: field(args)` or `... on Type`. */
  text: string;
  field?: string;
  on?: string;
  /** Named output type of the field (or the fragment's type). */
  typeName: string;
  /** For a connection: the type of its nodes. */
  nodeType?: string;
  /** Kept together with the leaf fields when a selection is split (e.g. pageInfo, money). */
  atomic?: boolean;
  children?: Sel[];
  expect?: Expect;
  /** This selection's step of its schema path: the field name (aliases removed) or `<Type>` for a fragment. */
  seg: string;
}

/** The schema path of a selection below `prefix`, e.g. `leads.edges.node.investigation`, `node<Lead>.brands`. */
export const pathOf = (prefix: string, sel: Sel): string =>
  sel.on || !prefix ? `${prefix}${sel.seg}` : `${prefix}.${sel.seg}`;

export const render = (sels: Sel[]): string => sels.map(renderSel).join(' ');
export const renderSel = (s: Sel): string => (s.children ? `${s.text} { ${render(s.children)} }` : s.text);
const sizes = new WeakMap<Sel, number>();
/** Length of the rendered selection (memoised: selections are never changed once built). */
export const sizeOf = (s: Sel): number => {
  let n = sizes.get(s);
  if (n === undefined) {
    n = s.children ? s.text.length + 4 + s.children.reduce((sum, c) => sum + sizeOf(c) + 1, 0) : s.text.length;
    sizes.set(s, n);
  }
  return n;
};

const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);
const leaf = (name: string, typeName: string): Sel => ({ key: name, text: name, field: name, typeName, seg: name });

const memo = <T>(compute: (t: GraphQLNamedType) => T) => {
  const cache = new WeakMap<GraphQLNamedType, T>();
  return (t: GraphQLNamedType): T => {
    if (!cache.has(t)) cache.set(t, compute(t));
    return cache.get(t)!;
  };
};

const namedTypes = new WeakMap<object, GraphQLNamedType>();
/** getNamedType, memoised (graphql's type predicates are slow outside production mode). */
const named = (t: GraphQLInputType | GraphQLOutputTypeLike): GraphQLNamedType => {
  let n = namedTypes.get(t);
  if (!n) namedTypes.set(t, (n = getNamedType(t as GraphQLInputType)));
  return n;
};
type GraphQLOutputTypeLike = GraphQLField<unknown, unknown>['type'];

export const isConnectionType = memo((t) => isConnection(t)) as (t: GraphQLNamedType) => t is GraphQLObjectType;
function isConnection(t: GraphQLNamedType): boolean {
  if (!isObjectType(t)) return false;
  const fields = t.getFields();
  if (!fields.edges || !fields.pageInfo) return false;
  const edge = getNamedType(fields.edges.type);
  return isObjectType(edge) && !!edge.getFields().node;
}

export const connectionNodeType = memo((t) =>
  named((named((t as GraphQLObjectType).getFields().edges.type) as GraphQLObjectType).getFields().node.type),
) as (t: GraphQLObjectType) => GraphQLNamedType;

/** An object of leaves only (money, page info): selected whole, does not count as a level. */
export const isValueType = memo(
  (t) =>
    isObjectType(t) &&
    Object.values(t.getFields()).every((f) => isLeaf(named(f.type)) && f.args.every((a) => !isNonNullType(a.type))),
) as (t: GraphQLNamedType) => t is GraphQLObjectType;
const isLeaf = memo((t) => isLeafType(t)) as (t: GraphQLNamedType) => t is GraphQLLeafType;
const isAbstract = memo((t) => isAbstractType(t)) as (t: GraphQLNamedType) => t is GraphQLAbstractType;
const isObject = memo((t) => isObjectType(t)) as (t: GraphQLNamedType) => t is GraphQLObjectType;
const isInterface = memo((t) => isInterfaceType(t)) as (t: GraphQLNamedType) => t is GraphQLInterfaceType;
const sortedFields = memo((t) => Object.values((t as GraphQLObjectType).getFields()).sort(byName));

const isIdList = (t: GraphQLInputType) => {
  const inner = isNonNullType(t) ? t.ofType : t;
  return isListType(inner) && getNamedType(inner).name === 'ID';
};
const isEnumList = (t: GraphQLInputType) => {
  const inner = isNonNullType(t) ? t.ofType : t;
  return isListType(inner) && isEnumType(getNamedType(inner));
};
const isStringList = (t: GraphQLInputType) => {
  const inner = isNonNullType(t) ? t.ofType : t;
  return isListType(inner) && getNamedType(inner).name === 'String';
};

/** A value of a filter input: an input object literal with one list field. */
export interface FilterVariant {
  label: string;
  /** GraphQL literal of the whole argument, e.g. `{ brandIds: ["..."] }`. */
  literal: string;
  /**
   * For the variants naming the other tenant: the same filter naming records that do not exist. A record
   * out of scope must be indistinguishable from one that does not exist (DESIGN.md 3): both answers must
   * hold the same records and figures.
   */
  nonexistentLiteral?: string;
  kind: 'otherTenantIds' | 'allIds' | 'allEnumValues' | 'forbiddenStrings';
  inputField: string;
}

export interface WalkerOptions {
  maxDepth: number;
  /** ID-list filter fields: the ids to pass naming the other tenant (empty: no such variant). */
  otherTenantIds(inputType: string, inputField: string): string[];
  /** ID-list filter fields: every id of the right type(s) in the dataset. */
  allIds(inputType: string, inputField: string): string[];
  /** String-list filter fields: values that belong only to records out of scope. */
  forbiddenStrings(): string[];
  /** ID-list filter fields: well-formed ids of the right type(s) of records that do not exist. */
  nonexistentIds(inputType: string, inputField: string): string[];
  /** Whether `nodes` lists below the root get the whole subtree too (else their own leaves only). */
  fullNestedNodes: boolean;
}

const literal = (values: string[]) => `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;

export class SchemaWalker {
  /** Fields left out because they need arguments the walk cannot fill. */
  readonly skipped = new Set<string>();

  constructor(
    readonly schema: GraphQLSchema,
    readonly options: WalkerOptions,
  ) {}

  /** Variants of a `filter`-like input argument naming the other tenant, all ids, all enum values, foreign strings. */
  filterVariants(
    field: GraphQLField<unknown, unknown>,
    kinds: FilterVariant['kind'][],
  ): { arg: string; variant: FilterVariant }[] {
    const out: { arg: string; variant: FilterVariant }[] = [];
    for (const arg of field.args) {
      const input = named(arg.type);
      if (!isInputObjectType(input)) continue;
      for (const f of Object.values((input as GraphQLInputObjectType).getFields()).sort(byName)) {
        const add = (kind: FilterVariant['kind'], values: string, nonexistent?: string) => {
          if (!kinds.includes(kind)) return;
          out.push({
            arg: arg.name,
            variant: {
              kind,
              inputField: f.name,
              label: `${arg.name}.${f.name}:${kind}`,
              literal: `{ ${f.name}: ${values} }`,
              nonexistentLiteral: nonexistent && `{ ${f.name}: ${nonexistent} }`,
            },
          });
        };
        if (isIdList(f.type)) {
          const other = this.options.otherTenantIds(input.name, f.name).slice(0, 100);
          if (other.length)
            add('otherTenantIds', literal(other), literal(this.options.nonexistentIds(input.name, f.name)));
          const all = this.options.allIds(input.name, f.name).slice(0, 100);
          if (all.length) add('allIds', literal(all));
        } else if (isEnumList(f.type)) {
          add(
            'allEnumValues',
            `[${(named(f.type) as any)
              .getValues()
              .map((v: { name: string }) => v.name)
              .join(', ')}]`,
          );
        } else if (isStringList(f.type)) {
          const strings = this.options
            .forbiddenStrings()
            .filter((s) => s.length <= 200)
            .slice(0, 100);
          if (strings.length) add('forbiddenStrings', literal(strings), literal(['zz-isolation-test-no-such-value']));
        }
      }
    }
    return out;
  }

  /** `(first: 100)` and nothing else; null when a required argument has no default. */
  defaultArgs(field: GraphQLField<unknown, unknown>, extra: Record<string, string> = {}): string | null {
    const parts: string[] = [];
    for (const arg of field.args) {
      if (extra[arg.name] !== undefined) parts.push(`${arg.name}: ${extra[arg.name]}`);
      else if (arg.name === 'first' && named(arg.type).name === 'Int') parts.push('first: 100');
      else if (isNonNullType(arg.type) && arg.defaultValue === undefined) return null;
    }
    return parts.length ? `(${parts.join(', ')})` : '';
  }

  leafFields(type: GraphQLObjectType | GraphQLInterfaceType): Sel[] {
    return sortedFields(type)
      .filter(
        (f) => isLeaf(named(f.type)) && f.args.every((a) => !isNonNullType(a.type) || a.defaultValue !== undefined),
      )
      .map((f) => leaf(f.name, named(f.type).name));
  }

  private readonly memo = new Map<string, Sel[]>();
  private memoised(key: string, build: () => Sel[]): Sel[] {
    let sels = this.memo.get(key);
    if (!sels) this.memo.set(key, (sels = build()));
    return sels;
  }

  /**
   * The selection of a composite type whose records are at `level` (1 = returned by a root field).
   * Selections carry no absolute path, so that the subtree of a type at a level is built once and shared.
   */
  selection(type: GraphQLNamedType, level: number): Sel[] {
    return this.memoised(`sel:${type.name}:${level}`, () => {
      if (isInterface(type) || type instanceof GraphQLUnionType) return this.fragments(type, level);
      if (isConnectionType(type)) return this.connection(type, level, true);
      if (isObject(type)) return this.objectSelection(type, level);
      return [];
    });
  }

  /** `__typename`, the interface's own leaves, and a fragment per possible type. */
  private fragments(type: GraphQLInterfaceType | GraphQLUnionType, level: number): Sel[] {
    const sels: Sel[] = [leaf('__typename', 'String')];
    if (isInterface(type)) sels.push(...this.leafFields(type));
    const possible = [...this.schema.getPossibleTypes(type)].sort(byName);
    // Fields of the same name but different types in two fragments cannot share a response key, and
    // composite fields of the same name would be compared pairwise by validation (costly): both get an
    // alias per type (e.g. `kind__Evidence`, `leads__Seller`). `id` keeps its name (checked by name).
    const signatures = new Map<string, Set<string>>();
    for (const t of possible) {
      for (const f of Object.values(t.getFields()))
        signatures.set(f.name, (signatures.get(f.name) ?? new Set()).add(String(f.type)));
    }
    for (const t of possible) {
      const children = this.objectSelection(t, level).map((s) => {
        if (
          !s.field ||
          s.field === 'id' ||
          s.field === '__typename' ||
          (!s.children && (signatures.get(s.field)?.size ?? 0) < 2)
        )
          return s;
        const key = `${s.key}__${t.name}`;
        return { ...s, key, text: `${key}: ${s.text.replace(/^[A-Za-z0-9_]+: /, '')}` };
      });
      sels.push({ key: '', text: `... on ${t.name}`, on: t.name, typeName: t.name, seg: `<${t.name}>`, children });
    }
    return sels;
  }

  /** One level below the deepest: only what identifies a record (and a connection's count). */
  stub(type: GraphQLNamedType): Sel[] | null {
    if (isConnectionType(type)) {
      const node = connectionNodeType(type);
      const inner = this.stub(node);
      return [
        leaf('totalCount', 'Int'),
        ...(inner
          ? [{ key: 'nodes', text: 'nodes', field: 'nodes', typeName: node.name, seg: 'nodes', children: inner }]
          : []),
      ];
    }
    if (isAbstract(type)) {
      const hasId = isInterface(type) && !!type.getFields().id;
      return [leaf('__typename', 'String'), ...(hasId ? [leaf('id', 'ID')] : [])];
    }
    if (isObject(type)) {
      return type.getFields().id ? [leaf('__typename', 'String'), leaf('id', 'ID')] : this.leafFields(type);
    }
    return null;
  }

  objectSelection(type: GraphQLObjectType, level: number): Sel[] {
    return this.memoised(`obj:${type.name}:${level}`, () => {
      const sels: Sel[] = [leaf('__typename', 'String')];
      for (const f of sortedFields(type)) {
        if (f.name.startsWith('__')) continue;
        const args = this.defaultArgs(f);
        if (args === null) {
          this.skipped.add(`${type.name}.${f.name}`);
          continue;
        }
        const t = named(f.type);
        const base = { key: f.name, text: `${f.name}${args}`, field: f.name, typeName: t.name, seg: f.name };
        if (isLeaf(t)) sels.push(base);
        else if (isValueType(t)) sels.push({ ...base, atomic: true, children: this.leafFields(t) });
        else if (level + 1 > this.options.maxDepth) {
          const stub = this.stub(t);
          if (stub)
            sels.push({
              ...base,
              children: stub,
              nodeType: isConnectionType(t) ? connectionNodeType(t).name : undefined,
            });
        } else if (isConnectionType(t)) {
          const nodeType = connectionNodeType(t).name;
          sels.push({ ...base, nodeType, children: this.connection(t, level + 1, this.options.fullNestedNodes) });
          // The same field again under aliases, with filters naming the other tenant: nothing may match.
          for (const { arg, variant } of this.filterVariants(f, ['otherTenantIds'])) {
            const alias = `${f.name}__${variant.inputField}__other`;
            const variantArgs = this.defaultArgs(f, { [arg]: variant.literal });
            sels.push({
              key: alias,
              text: `${alias}: ${f.name}${variantArgs}`,
              field: f.name,
              typeName: t.name,
              nodeType,
              seg: f.name,
              children: this.stub(t)!,
              expect: { nothing: true, reason: `nested ${variant.label} names only records out of scope` },
            });
          }
        } else {
          sels.push({ ...base, children: this.selection(t, level + 1) });
        }
      }
      return sels;
    });
  }

  /** A connection's fields; edges and wrapper types do not count as levels, the nodes are at `level`. */
  connection(type: GraphQLObjectType, level: number, fullNodes: boolean): Sel[] {
    return this.memoised(`conn:${type.name}:${level}:${fullNodes}`, () => {
      const sels: Sel[] = [];
      const node = connectionNodeType(type);
      for (const f of sortedFields(type)) {
        const t = named(f.type);
        const base = { key: f.name, text: f.name, field: f.name, typeName: t.name, seg: f.name };
        if (isLeaf(t)) sels.push(base);
        else if (isValueType(t)) sels.push({ ...base, atomic: true, children: this.leafFields(t) });
        else if (f.name === 'edges' && isObject(t)) {
          const edgeSels: Sel[] = [];
          for (const ef of sortedFields(t)) {
            const et = named(ef.type);
            if (isLeaf(et)) edgeSels.push(leaf(ef.name, et.name));
            else
              edgeSels.push({
                key: ef.name,
                text: ef.name,
                field: ef.name,
                typeName: et.name,
                seg: ef.name,
                children: this.selection(et, level),
              });
          }
          sels.push({ ...base, children: edgeSels });
        } else if (t === node && !fullNodes) {
          sels.push({
            ...base,
            children: isObject(t) ? [leaf('__typename', 'String'), ...this.leafFields(t)] : this.stub(t)!,
          });
        } else {
          sels.push({ ...base, children: this.selection(t, level) });
        }
      }
      return sels;
    });
  }
}

/**
 * Splits a selection too large for one document into several with the same field and arguments, each
 * holding the leaves (and atomic children) and a share of the composite children.
 */
export function split(sel: Sel, limit: number): Sel[] {
  if (!sel.children || sizeOf(sel) <= limit) return [sel];
  const keep = sel.children.filter((c) => !c.children || c.atomic);
  const rest = sel.children.filter((c) => c.children && !c.atomic);
  const baseSize = sizeOf({ ...sel, children: keep });
  const parts: Sel[] = [];
  let current: Sel[] = [...keep];
  let currentSize = baseSize;
  for (const child of rest) {
    for (const piece of split(child, Math.max(limit - baseSize, 2000))) {
      const pieceSize = sizeOf(piece) + 1;
      if (current.length > keep.length && currentSize + pieceSize > limit) {
        parts.push({ ...sel, children: current });
        current = [...keep];
        currentSize = baseSize;
      }
      current.push(piece);
      currentSize += pieceSize;
    }
  }
  parts.push({ ...sel, children: current });
  return parts;
}

/** Every schema path of a selection tree (fragments as `<Type>`), for counting what was walked. */
export function collectPaths(sels: Sel[], into: Set<string>, prefix = ''): Set<string> {
  for (const s of sels) {
    const path = pathOf(prefix, s);
    into.add(path);
    if (s.children) collectPaths(s.children, into, path);
  }
  return into;
}

export function countSelections(sels: Sel[]): number {
  return sels.reduce((n, s) => n + (s.on ? 0 : 1) + (s.children ? countSelections(s.children) : 0), 0);
}
