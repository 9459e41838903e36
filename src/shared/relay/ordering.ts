import { ClassType, Field, InputType } from 'type-graphql';
import { OrderDirection, Ordering } from './connection.js';

export interface SortColumn {
  column: string;
  property: string;
}

/**
 * The `orderBy` input of a list: `{ field: <enum>, direction }`, turned into an Ordering by the
 * columns each enum value stands for.
 */
export function OrderByInput<F extends string>(
  typeName: string,
  FieldEnum: object,
  defaultField: F,
  defaultDirection = OrderDirection.DESC,
) {
  @InputType(typeName, { description: `How to sort. Default: ${defaultField} ${defaultDirection}.` })
  class OrderBy {
    @Field(() => FieldEnum, { defaultValue: defaultField, description: 'What to sort by; ties are broken by id.' })
    field!: F;

    @Field(() => OrderDirection, { defaultValue: defaultDirection, description: 'Ascending or descending.' })
    direction!: OrderDirection;
  }
  return OrderBy as ClassType<{ field: F; direction: OrderDirection }>;
}

export function toOrdering<F extends string>(
  columns: Record<F, SortColumn>,
  orderBy: { field: F; direction: OrderDirection } | null | undefined,
  defaults: { field: F; direction: OrderDirection },
): Ordering {
  const { field, direction } = orderBy ?? defaults;
  return { key: field, direction, ...columns[field] };
}
