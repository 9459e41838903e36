import {
  getNamedType, GraphQLField, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLNamedType, GraphQLObjectType, GraphQLSchema,
  isAbstractType, isEnumType, isInputObjectType, isInterfaceType, isLeafType, isListType, isNonNullType, isObjectType,
  GraphQLInputType, GraphQLUnionType, GraphQLLeafType, GraphQLAbstractType,
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
  /** Schema path of this selection, e.g. `leads.edges.node.investigation` (aliases removed). */
  path: string;
}

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
const leaf = (name: string, typeName: string, path: string): Sel => ({ key: name, text: name, field: name, typeName, path: `${path}.${name}` });

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

export const connectionNodeType = memo((t) => named((named((t as GraphQLObjectType).getFields().edges.type) as GraphQLObjectType).getFields().node.type)) as (t: GraphQLObjectType) => GraphQLNamedType;

/** An object of leaves only (money, page info): selected whole, does not count as a level. */
export const isValueType = memo((t) =>
  isObjectType(t) && Object.values(t.getFields()).every((f) => isLeaf(named(f.type)) && f.args.every((a) => !isNonNullType(a.type)))) as (t: GraphQLNamedType) => t is GraphQLObjectType;
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
  /** Whether `nodes` lists below the root get the whole subtree too (else their own leaves only). */
  fullNestedNodes: boolean;
}

const literal = (values: string[]) => `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;

export class SchemaWalker {
  /** Fields left out because they need arguments the walk cannot fill. */
  readonly skipped = new Set<string>();

  constructor(readonly schema: GraphQLSchema, readonly options: WalkerOptions) {}

  /** Variants of a `filter`-like input argument naming the other tenant, all ids, all enum values, foreign strings. */
  filterVariants(field: GraphQLField<unknown, unknown>, kinds: FilterVariant['kind'][]): { arg: string; variant: FilterVariant }[] {
    const out: { arg: string; variant: FilterVariant }[] = [];
    for (const arg of field.args) {
      const input = named(arg.type);
      if (!isInputObjectType(input)) continue;
      for (const f of Object.values((input as GraphQLInputObjectType).getFields()).sort(byName)) {
        const add = (kind: FilterVariant['kind'], values: string) => {
          if (kinds.includes(kind)) out.push({ arg: arg.name, variant: { kind, inputField: f.name, label: `${arg.name}.${f.name}:${kind}`, literal: `{ ${f.name}: ${values} }` } });
        };
        if (isIdList(f.type)) {
          const other = this.options.otherTenantIds(input.name, f.name).slice(0, 100);
          if (other.length) add('otherTenantIds', literal(other));
          const all = this.options.allIds(input.name, f.name).slice(0, 100);
          if (all.length) add('allIds', literal(all));
        } else if (isEnumList(f.type)) {
          add('allEnumValues', `[${(named(f.type) as any).getValues().map((v: { name: string }) => v.name).join(', ')}]`);
        } else if (isStringList(f.type)) {
          const strings = this.options.forbiddenStrings().filter((s) => s.length <= 200).slice(0, 100);
          if (strings.length) add('forbiddenStrings', literal(strings));
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

  leafFields(type: GraphQLObjectType | GraphQLInterfaceType, path: string): Sel[] {
    return sortedFields(type)
      .filter((f) => isLeaf(named(f.type)) && f.args.every((a) => !isNonNullType(a.type) || a.defaultValue !== undefined))
      .map((f) => leaf(f.name, named(f.type).name, path));
  }

  /** The selection of a composite type whose records are at `level` (1 = returned by a root field). */
  selection(type: GraphQLNamedType, level: number, path: string): Sel[] {
    if (isInterface(type) || type instanceof GraphQLUnionType) {
      const sels: Sel[] = [leaf('__typename', 'String', path)];
      if (isInterface(type)) sels.push(...this.leafFields(type, path));
      const possible = [...this.schema.getPossibleTypes(type)].sort(byName);
      // Fields of the same name but different types in two fragments cannot be merged into one response
      // key: those get an alias per type (e.g. `kind__Evidence`, `kind__Finding`).
      const signatures = new Map<string, Set<string>>();
      for (const t of possible) {
        for (const f of Object.values(t.getFields())) signatures.set(f.name, (signatures.get(f.name) ?? new Set()).add(String(f.type)));
      }
      for (const t of possible) {
        const children = this.objectSelection(t, level, `${path}<${t.name}>`).map((s) => {
          if (!s.field || (signatures.get(s.field)?.size ?? 0) < 2) return s;
          const key = `${s.key}__${t.name}`;
          return { ...s, key, text: `${key}: ${s.text.replace(/^[A-Za-z0-9_]+: /, '')}` };
        });
        sels.push({ key: '', text: `... on ${t.name}`, on: t.name, typeName: t.name, path: `${path}<${t.name}>`, children });
      }
      return sels;
    }
    if (isConnectionType(type)) return this.connection(type, level, path, true);
    if (isObject(type)) return this.objectSelection(type, level, path);
    return [];
  }

  /** One level below the deepest: only what identifies a record (and a connection's count). */
  stub(type: GraphQLNamedType, path: string): Sel[] | null {
    if (isConnectionType(type)) {
      const node = connectionNodeType(type);
      const inner = this.stub(node, `${path}.nodes`);
      return [leaf('totalCount', 'Int', path), ...(inner ? [{ key: 'nodes', text: 'nodes', field: 'nodes', typeName: node.name, path: `${path}.nodes`, children: inner }] : [])];
    }
    if (isAbstract(type)) {
      const hasId = isInterface(type) && !!type.getFields().id;
      return [leaf('__typename', 'String', path), ...(hasId ? [leaf('id', 'ID', path)] : [])];
    }
    if (isObject(type)) {
      return type.getFields().id ? [leaf('__typename', 'String', path), leaf('id', 'ID', path)] : this.leafFields(type, path);
    }
    return null;
  }

  objectSelection(type: GraphQLObjectType, level: number, path: string): Sel[] {
    const sels: Sel[] = [leaf('__typename', 'String', path)];
    for (const f of sortedFields(type)) {
      if (f.name.startsWith('__')) continue;
      const args = this.defaultArgs(f);
      if (args === null) {
        this.skipped.add(`${type.name}.${f.name}`);
        continue;
      }
      const t = named(f.type);
      const p = `${path}.${f.name}`;
      const base = { key: f.name, text: `${f.name}${args}`, field: f.name, typeName: t.name, path: p };
      if (isLeaf(t)) sels.push(base);
      else if (isValueType(t)) sels.push({ ...base, atomic: true, children: this.leafFields(t, p) });
      else if (level + 1 > this.options.maxDepth) {
        const stub = this.stub(t, p);
        if (stub) sels.push({ ...base, children: stub, nodeType: isConnectionType(t) ? connectionNodeType(t).name : undefined });
      } else if (isConnectionType(t)) {
        const nodeType = connectionNodeType(t).name;
        sels.push({ ...base, nodeType, children: this.connection(t, level + 1, p, this.options.fullNestedNodes) });
        // The same field again under aliases, with filters naming the other tenant: nothing may match.
        for (const { arg, variant } of this.filterVariants(f, ['otherTenantIds'])) {
          const alias = `${f.name}__${variant.inputField}__other`;
          const variantArgs = this.defaultArgs(f, { [arg]: variant.literal });
          sels.push({
            key: alias, text: `${alias}: ${f.name}${variantArgs}`, field: f.name, typeName: t.name, nodeType, path: p,
            children: this.stub(t, p)!, expect: { nothing: true, reason: `nested ${variant.label} names only records out of scope` },
          });
        }
      } else {
        sels.push({ ...base, children: this.selection(t, level + 1, p) });
      }
    }
    return sels;
  }

  /** A connection's fields; edges and wrapper types do not count as levels, the nodes are at `level`. */
  connection(type: GraphQLObjectType, level: number, path: string, fullNodes: boolean): Sel[] {
    const sels: Sel[] = [];
    const node = connectionNodeType(type);
    for (const f of sortedFields(type)) {
      const t = named(f.type);
      const p = `${path}.${f.name}`;
      const base = { key: f.name, text: f.name, field: f.name, typeName: t.name, path: p };
      if (isLeaf(t)) sels.push(base);
      else if (isValueType(t)) sels.push({ ...base, atomic: true, children: this.leafFields(t, p) });
      else if (f.name === 'edges' && isObject(t)) {
        const edgeSels: Sel[] = [];
        for (const ef of sortedFields(t)) {
          const et = named(ef.type);
          const ep = `${p}.${ef.name}`;
          if (isLeaf(et)) edgeSels.push(leaf(ef.name, et.name, p));
          else edgeSels.push({ key: ef.name, text: ef.name, field: ef.name, typeName: et.name, path: ep, children: this.selection(et, level, ep) });
        }
        sels.push({ ...base, children: edgeSels });
      } else if (t === node && !fullNodes) {
        sels.push({ ...base, children: isObject(t) ? [leaf('__typename', 'String', p), ...this.leafFields(t, p)] : this.stub(t, p)! });
      } else {
        sels.push({ ...base, children: this.selection(t, level, p) });
      }
    }
    return sels;
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
export function collectPaths(sels: Sel[], into: Set<string>): Set<string> {
  for (const s of sels) {
    into.add(s.path);
    if (s.children) collectPaths(s.children, into);
  }
  return into;
}

export function countSelections(sels: Sel[]): number {
  return sels.reduce((n, s) => n + (s.on ? 0 : 1) + (s.children ? countSelections(s.children) : 0), 0);
}
