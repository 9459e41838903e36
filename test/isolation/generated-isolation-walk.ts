import {
  getNamedType,
  GraphQLField,
  GraphQLNamedType,
  GraphQLSchema,
  isAbstractType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import { toGlobalId } from '../../src/shared/relay/global-id';
import { Dataset } from './dataset';
import { CallerScope, forbiddenStrings, Inventory } from './oracle';
import { guessType, sender } from './walk-support';
import { connectionNodeType, Expect, isConnectionType, SchemaWalker, Sel, sizeOf, split } from './schema-walk';

// The generation of test/isolation/generated-isolation.test.ts: what the server accepts in each id argument
// (probed as admin), and the operations and documents each caller's walk sends.

export const MAX_DEPTH = 4;
/** Row id of the records that do not exist, named by the twins of the filters on the other tenant. */
export const NONEXISTENT_ROW_ID = '999999999';
/**
 * Depth of the filter variants, alias copies and `node(id:)` lookups of single records: the unfiltered
 * root lists and `nodes(ids:)` with every id get MAX_DEPTH, so every record's paths are walked in full.
 */
export const VARIANT_DEPTH = 2;
/** Characters per query document: many paths batched under aliases, documents kept reasonable. */
export const DOCUMENT_LIMIT = 60_000;

export interface Operation {
  /** Selections that go into one document together (a filter variant and its twin); a single one may be split. */
  sels: Sel[];
  /** Alone in its document: its errors (tolerated input refusals) must not null other selections. */
  isolated?: boolean;
}

/** What the generator reads of the walk, filled in the test's beforeAll (the walk runs after it). */
export interface WalkState {
  send: ReturnType<typeof sender>;
  inventory: Inventory;
  schema: GraphQLSchema;
  dataset: Dataset;
  filterTypes: Map<string, string[]>;
  /** Root fields with a required id argument -> the record types it accepts. */
  rootIdTypes: Map<string, string[]>;
  skippedRootFields: Set<string>;
  skippedFields: Set<string>;
  /** Requests sent to learn which record types each id argument takes. */
  probeRequests: number;
}

export function walkGenerator(state: WalkState) {
  const typeOfGid = (gid: string) => state.inventory.byGid.get(gid)?.typeName;
  const requiredArgs = (f: GraphQLField<unknown, unknown>) =>
    f.args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);
  const isIdArg = (f: GraphQLField<unknown, unknown>['args'][number]) => getNamedType(f.type).name === 'ID';
  const isIdListArg = (a: GraphQLField<unknown, unknown>['args'][number]) =>
    isIdArg(a) && isListType(isNonNullType(a.type) ? a.type.ofType : a.type);

  /** Whether the schema shows records of this type with an `id` (a Node). */
  function hasIdField(typeName: string | undefined): boolean {
    const t = typeName ? state.schema.getType(typeName) : undefined;
    return !!t && isObjectType(t) && !!t.getFields().id;
  }

  /** Whether a field of abstract type `t` (node) called with `gid` must answer with the record when in scope. */
  function returnsRecordOf(t: GraphQLNamedType, gid: string): boolean {
    return isAbstractType(t) && state.schema.getPossibleTypes(t).some((p) => p.name === typeOfGid(gid));
  }

  /**
   * Which record types a root field accepts in an id argument, found by asking the server as admin: an id
   * of the wrong type is refused with BAD_USER_INPUT. One small request per type (an error of a non-null
   * root field ends the whole document, so the probes cannot share one). With a guess from the argument's
   * name (`sellerIds` -> Seller): if the guess is taken and another type refused, the guess is the answer.
   */
  async function acceptedTypes(
    q: GraphQLField<unknown, unknown>,
    argsFor: (gid: string) => string | null,
    guess?: string,
  ): Promise<string[]> {
    const types = [...new Set(state.inventory.records.map((r) => r.typeName))].sort();
    const takes = async (type: string) => {
      const args = argsFor(state.inventory.records.find((r) => r.typeName === type)!.gid);
      if (args === null) return false;
      state.probeRequests += 1;
      const response = await state.send(
        state.dataset.world.keys.admin,
        `{ ${q.name}${args}${isLeafType(getNamedType(q.type)) ? '' : ' { __typename }'} }`,
      );
      return !(response.body.errors ?? []).some((e) => e.extensions?.code === 'BAD_USER_INPUT');
    };
    if (guess && types.includes(guess)) {
      const other = types.find((t) => t !== guess)!;
      const [guessTaken, otherTaken] = await Promise.all([takes(guess), takes(other)]);
      if (guessTaken && !otherTaken) return [guess];
    }
    const answers = await Promise.all(types.map(takes));
    return types.filter((_, i) => answers[i]);
  }

  /** For every [ID!] field of every input argument of a root field: the record types it takes. */
  async function probeFilterTypes(): Promise<Map<string, string[]>> {
    const walker = probeWalker();
    const questions = new Map<string, { q: GraphQLField<unknown, unknown>; arg: string; field: string }>();
    for (const q of Object.values(state.schema.getQueryType()!.getFields())) {
      for (const arg of q.args) {
        const input = getNamedType(arg.type);
        if (!isInputObjectType(input)) continue;
        for (const field of Object.values(input.getFields())) {
          const inner = isNonNullType(field.type) ? field.type.ofType : field.type;
          const key = `${input.name}.${field.name}`;
          if (isListType(inner) && getNamedType(inner).name === 'ID' && !questions.has(key))
            questions.set(key, { q, arg: arg.name, field: field.name });
        }
      }
    }
    const answers = await Promise.all(
      [...questions.values()].map(({ q, arg, field }) =>
        acceptedTypes(
          q,
          (gid) => walker.defaultArgs(q, { ...idArgsOf(q, gid), [arg]: `{ ${field}: [${JSON.stringify(gid)}] }` }),
          guessType(field),
        ),
      ),
    );
    return new Map([...questions.keys()].map((key, i) => [key, answers[i]]));
  }

  /** Required id arguments of a root field, all given `gid` (a list of one for a list). */
  function idArgsOf(q: GraphQLField<unknown, unknown>, gid: string): Record<string, string> {
    const extra: Record<string, string> = {};
    for (const a of requiredArgs(q))
      if (isIdArg(a)) extra[a.name] = isIdListArg(a) ? `[${JSON.stringify(gid)}]` : JSON.stringify(gid);
    return extra;
  }

  /** A walker for probes: default arguments only. */
  const probeWalker = () =>
    new SchemaWalker(state.schema, {
      maxDepth: 1,
      otherTenantIds: () => [],
      allIds: () => [],
      forbiddenStrings: () => [],
      nonexistentIds: () => [],
      fullNestedNodes: false,
    });

  /** The types an [ID!] filter field takes (probed; else guessed from its name). */
  function idTypesOf(inputType: string, inputField: string): string[] {
    const probed = state.filterTypes.get(`${inputType}.${inputField}`);
    if (probed) return probed;
    const guess = guessType(inputField);
    return state.inventory.tables.has(guess) ? [guess] : [];
  }

  function walkerFor(scope: CallerScope, maxDepth: number, forbidden: string[]): SchemaWalker {
    const idsOf = (types: string[]) =>
      state.inventory.records.filter((r) => types.includes(r.typeName)).map((r) => r.gid);
    return new SchemaWalker(state.schema, {
      maxDepth,
      // Below the root, `edges.node` gets the whole subtree and `nodes` the records' own fields (same page).
      fullNestedNodes: false,
      otherTenantIds: (inputType, inputField) => {
        const types = idTypesOf(inputType, inputField);
        const out = idsOf(types).filter((gid) => !scope.allowed.has(gid));
        // The other tenant itself, even where it is public (agencies): a filter on it must find nothing of ours.
        if (types.includes(typeOfGid(scope.otherTenantGid)!) && !out.includes(scope.otherTenantGid))
          out.unshift(scope.otherTenantGid);
        return out;
      },
      allIds: (inputType, inputField) => idsOf(idTypesOf(inputType, inputField)),
      nonexistentIds: (inputType, inputField) =>
        idTypesOf(inputType, inputField).map((type) => toGlobalId(type, NONEXISTENT_ROW_ID)),
      forbiddenStrings: () => forbidden.filter((s) => !/^[A-Za-z0-9_-]{40,}$/.test(s)),
    });
  }

  /** Every root query field, as selections for one caller. */
  function operations(scope: CallerScope, forbidden: string[], refused: Set<string>): Operation[] {
    const full = walkerFor(scope, MAX_DEPTH, forbidden);
    const shallow = walkerFor(scope, VARIANT_DEPTH, forbidden);
    const ops: Operation[] = [];
    const countOf = (nodeType: string) =>
      state.inventory.tables.has(nodeType) ? (scope.allowedCount.get(nodeType) ?? 0) : undefined;

    for (const q of Object.values(state.schema.getQueryType()!.getFields()).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      if (refused.has(q.name)) continue;
      const t = getNamedType(q.type);
      const required = requiredArgs(q);
      const selectionFor = (walker: SchemaWalker) => (isLeafType(t) ? undefined : walker.selection(t, 1));

      if (required.length === 0) {
        const args = full.defaultArgs(q)!;
        const nodeType = isConnectionType(t) ? connectionNodeType(t).name : undefined;
        const count = nodeType ? countOf(nodeType) : undefined;
        const expectAll =
          count === undefined ? undefined : { totalCount: count, reason: `all ${nodeType} records in scope` };
        ops.push({
          sels: [
            {
              key: `${q.name}_0`,
              text: `${q.name}_0: ${q.name}${args}`,
              field: q.name,
              typeName: t.name,
              nodeType,
              seg: q.name,
              children: selectionFor(full),
              expect: expectAll,
            },
          ],
        });
        if (isLeafType(t)) continue;
        // The same field again under an alias, in the same document.
        ops.push({
          sels: [
            {
              key: `${q.name}_again`,
              text: `${q.name}_again: ${q.name}${args}`,
              field: q.name,
              typeName: t.name,
              nodeType,
              seg: q.name,
              children: selectionFor(shallow),
              expect: expectAll,
            },
          ],
        });
        // Filters: naming the other tenant (the same answer as naming records that do not exist, next to it
        // in the same document), all ids (only records in scope), all enum values (all records in scope).
        full
          .filterVariants(q, ['otherTenantIds', 'allIds', 'allEnumValues', 'forbiddenStrings'])
          .forEach(({ arg, variant }, i) => {
            const alias = `${q.name}_f${i}`;
            const tolerate = variant.kind === 'forbiddenStrings' ? ['BAD_USER_INPUT'] : undefined;
            const sel = (key: string, literal: string, expect?: Expect): Sel => ({
              key,
              text: `${key}: ${q.name}${full.defaultArgs(q, { [arg]: literal })}`,
              field: q.name,
              typeName: t.name,
              nodeType,
              seg: q.name,
              children: selectionFor(shallow),
              expect: expect && { ...expect, tolerate },
            });
            if (variant.nonexistentLiteral) {
              const twin = `${alias}_none`;
              ops.push({
                sels: [
                  sel(alias, variant.literal, { sameFiguresAs: twin, reason: variant.label }),
                  sel(twin, variant.nonexistentLiteral, { tolerate }),
                ],
                isolated: variant.kind === 'forbiddenStrings',
              });
            } else {
              ops.push({
                sels: [
                  sel(
                    alias,
                    variant.literal,
                    variant.kind === 'allEnumValues' && expectAll
                      ? { ...expectAll, reason: `${variant.label} restricts nothing` }
                      : undefined,
                  ),
                ],
              });
            }
          });
        continue;
      }

      if (required.length === 1 && isIdArg(required[0])) {
        const arg = required[0];
        // Every record of every type the field takes (ids of other types are refused as bad input).
        const accepted = state.rootIdTypes.get(q.name) ?? [];
        // Records the field can return first, by type (so that `nodes` chunks need few fragments).
        const rank = (gid: string) => `${returnsRecordOf(t, gid) ? 0 : 1}${typeOfGid(gid)}`;
        const gids = state.inventory.records
          .filter((r) => accepted.includes(r.typeName))
          .map((r) => r.gid)
          .sort((a, b) => rank(a).localeCompare(rank(b)));
        if (isIdListArg(arg)) {
          // nodes(ids:): every id of the dataset, 100 at a time (grouped by type, each chunk with the
          // fragments of its own types only), each entry null unless in scope.
          for (let i = 0; i < gids.length; i += 100) {
            const chunk = gids.slice(i, i + 100);
            const chunkTypes = new Set(chunk.map(typeOfGid));
            const alias = `${q.name}_${i / 100}`;
            ops.push({
              sels: [
                {
                  key: alias,
                  text: `${alias}: ${q.name}${full.defaultArgs(q, { [arg.name]: JSON.stringify(chunk) })}`,
                  field: q.name,
                  typeName: t.name,
                  seg: q.name,
                  children: isAbstractType(t)
                    ? full.selection(t, 1).filter((s) => !s.on || chunkTypes.has(s.on))
                    : selectionFor(full),
                  expect: {
                    entriesNullUnlessAllowed: chunk,
                    entriesPresentIfAllowed: chunk.map((gid) => returnsRecordOf(t, gid)),
                  },
                },
              ],
            });
          }
        } else {
          // node(id:), auditTrail(entityId:), …: every id of the dataset; null unless the record is in scope.
          gids.forEach((gid, i) => {
            const gidType = typeOfGid(gid)!;
            const alias = `${q.name}_${i}`;
            let children: Sel[] | undefined;
            if (isAbstractType(t)) {
              // The fragment of the id's own type; any other type answering still shows its id.
              children = shallow.selection(t, 1).filter((s) => !s.on || s.on === gidType);
            } else {
              children = selectionFor(shallow);
            }
            const nodeType = isConnectionType(t) ? connectionNodeType(t).name : undefined;
            // An audit trail of a record in scope (of a type with an id) holds all of that record's audit events.
            const auditTrail = nodeType === 'AuditEvent' && hasIdField(gidType);
            ops.push({
              sels: [
                {
                  key: alias,
                  text: `${alias}: ${q.name}${full.defaultArgs(q, { [arg.name]: JSON.stringify(gid) })}`,
                  field: q.name,
                  typeName: t.name,
                  nodeType,
                  seg: q.name,
                  children,
                  expect: {
                    nullUnlessAllowed: gid,
                    presentIfAllowed: returnsRecordOf(t, gid) || auditTrail,
                    totalCountIfAllowed: auditTrail ? (scope.auditCount.get(gid) ?? 0) : undefined,
                  },
                },
              ],
            });
          });
        }
        continue;
      }
      state.skippedRootFields.add(`${q.name}(${required.map((a) => `${a.name}: ${a.type}`).join(', ')})`);
    }
    for (const f of full.skipped) state.skippedFields.add(f);
    return ops;
  }

  /** Batches operations into documents of at most DOCUMENT_LIMIT characters, splitting large ones. */
  function documents(ops: Operation[]): Sel[][] {
    const docs: Sel[][] = [];
    let current: Sel[] = [];
    let size = 0;
    for (const op of ops) {
      // A lone selection may be split over documents; grouped ones (a filter and its twin) stay together.
      const pieces = op.sels.length === 1 ? split(op.sels[0], DOCUMENT_LIMIT).map((piece) => [piece]) : [op.sels];
      for (const piece of pieces) {
        if (op.isolated) {
          docs.push(piece);
          continue;
        }
        const n = piece.reduce((sum, sel) => sum + sizeOf(sel) + 1, 0);
        if (current.length && size + n > DOCUMENT_LIMIT) {
          docs.push(current);
          current = [];
          size = 0;
        }
        current.push(...piece);
        size += n;
      }
    }
    if (current.length) docs.push(current);
    return docs;
  }

  return {
    typeOfGid,
    requiredArgs,
    isIdArg,
    isIdListArg,
    hasIdField,
    returnsRecordOf,
    acceptedTypes,
    probeFilterTypes,
    idArgsOf,
    probeWalker,
    idTypesOf,
    walkerFor,
    operations,
    documents,
  };
}
