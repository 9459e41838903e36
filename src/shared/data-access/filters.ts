import { Field, InputType } from 'type-graphql';
import { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { badInput } from '../errors.js';
import { decodeIdOf } from '../relay/global-id.js';

@InputType({ description: 'A time range; either end may be left open. `from` is inclusive, `to` exclusive.' })
export class DateRangeInput {
  @Field({ nullable: true, description: 'Start of the range, inclusive (UTC); open when omitted.' })
  from?: Date;

  @Field({ nullable: true, description: 'End of the range, exclusive (UTC); open when omitted.' })
  to?: Date;
}

/**
 * `alias.column = ANY(:list)` when a list is given. Values are always bound, never spliced, as one array:
 * the statement's text is the same whatever the list's length, so its prepared plan is reused.
 */
export function whereIn<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  column: string,
  values: readonly unknown[] | null | undefined,
  alias = 't',
) {
  if (!values) return qb;
  if (values.length === 0) return qb.andWhere('FALSE');
  if (values.length > 100) throw badInput(`A filter takes at most 100 values, got ${values.length}.`);
  const name = `${alias}_${column}_in`;
  return qb.andWhere(`${alias}.${column} = ANY(:${name})`, { [name]: values });
}

/** Filter by ids of another type (e.g. `brandIds`), decoding and validating each global id. */
export function whereIdIn<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  column: string,
  typeName: string,
  globalIds: readonly string[] | null | undefined,
  argument: string,
) {
  return whereIn(
    qb,
    column,
    globalIds?.map((id) => decodeIdOf(typeName, id, argument)),
  );
}

export function whereDateRange<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  column: string,
  range: DateRangeInput | null | undefined,
) {
  if (range?.from) {
    const name = `${column}_from`;
    qb.andWhere(`t.${column} >= :${name}`, { [name]: range.from });
  }
  if (range?.to) {
    const name = `${column}_to`;
    qb.andWhere(`t.${column} < :${name}`, { [name]: range.to });
  }
  return qb;
}
