import { Matches, Min } from 'class-validator';
import { Field, InputType, ObjectType } from 'type-graphql';
import { SafeIntResolver } from 'graphql-scalars';

/** Money is an integer amount in minor units plus an ISO 4217 currency, never a float. */
@ObjectType({ description: 'An amount of money in minor units (cents, fen) of an ISO 4217 currency.' })
export class Money {
  @Field(() => SafeIntResolver, { description: 'Amount in the minor unit of the currency (e.g. cents).' })
  amount!: number;

  @Field({ description: 'ISO 4217 currency code, e.g. USD or CNY.' })
  currency!: string;

  static of(amount: string | number | null, currency: string | null): Money | null {
    if (amount === null || currency === null) return null;
    return Object.assign(new Money(), { amount: Number(amount), currency });
  }
}

export const CURRENCY_PATTERN = /^[A-Z]{3}$/;

@InputType({ description: 'An amount in minor units and an ISO 4217 currency.' })
export class MoneyInput {
  @Field(() => SafeIntResolver, { description: 'Amount in the minor unit of the currency (e.g. cents), 0 or more.' })
  @Min(0)
  amount!: number;

  @Field({ description: 'ISO 4217 currency code, e.g. USD or CNY.' })
  @Matches(CURRENCY_PATTERN, { message: 'currency must be an ISO 4217 code such as USD or CNY' })
  currency!: string;
}
