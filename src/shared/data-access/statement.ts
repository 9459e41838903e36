import { EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { RequestContext } from '../context.js';
import { scopedQuery } from './scoped-query.js';

/**
 * The building blocks of the statements that count over scoped rows (analytics, reporter accuracy, exports). Every row source is a `scopedQuery` (the caller's
 * scope from visibility.ts), either the statement's main query or an EXISTS subquery of it, so that
 * a figure can only count what the caller may read. One `Statement` per SQL statement hands out
 * unique aliases and parameter names, since the same subquery can appear several times in it.
 */
export class Statement {
  private counter = 0;
  readonly params: Record<string, unknown> = {};

  constructor(
    readonly ctx: RequestContext,
    readonly filter: ResolvedFilter,
  ) {}

  alias(prefix: string): string {
    this.counter += 1;
    return `${prefix}${this.counter}`;
  }

  /** A bound parameter: `:name`, or `:...name` for a list. */
  bind(value: unknown): string {
    const name = this.alias('p');
    this.params[name] = value;
    return Array.isArray(value) ? `:...${name}` : `:${name}`;
  }

  /** `EXISTS (<scoped subquery over entity>)`; `build` adds its conditions on the alias it gets. */
  exists<T extends ObjectLiteral>(
    entity: EntityTarget<T>,
    prefix: string,
    build: (sub: SelectQueryBuilder<T>, alias: string) => void,
  ): string {
    const alias = this.alias(prefix);
    const sub = scopedQuery(this.ctx, entity, alias).select('1');
    build(sub, alias);
    Object.assign(this.params, sub.getParameters());
    return `EXISTS (${sub.getQuery()})`;
  }

  /**
   * `column IN (<scoped subquery over entity selecting its id>)`, written so that PostgreSQL runs the
   * subquery once and probes a hash of its ids (a hashed SubPlan): wrapped in `coalesce(..., FALSE)`, the
   * IN is not turned into a join whose method the planner would pick from the policies' row estimates
   * (about 0.5% of the real rows, so a nested loop probing an index once per row). Use it where the set is
   * cheap to compute and the rows tested are many (internal callers over the whole marketplace).
   */
  inSet<T extends ObjectLiteral>(
    column: string,
    entity: EntityTarget<T>,
    prefix: string,
    build: (sub: SelectQueryBuilder<T>, alias: string) => void,
  ): string {
    const alias = this.alias(prefix);
    const sub = scopedQuery(this.ctx, entity, alias).select(`${alias}.id`);
    build(sub, alias);
    Object.assign(this.params, sub.getParameters());
    return `coalesce(${column} IN (${sub.getQuery()}), FALSE)`;
  }

  /** Internal callers see every row: their filter sets are cheap to compute once (see `inSet`). */
  get internal(): boolean {
    return this.ctx.scope.kind === 'ALL';
  }

  /** The main row source of a statement: scoped, with the statement's parameters attached at the end. */
  scoped<T extends ObjectLiteral>(entity: EntityTarget<T>, alias: string): SelectQueryBuilder<T> {
    return scopedQuery(this.ctx, entity, alias);
  }

  /** SQL of a scoped query used as a derived table, its parameters taken into the statement. */
  derived<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>): string {
    Object.assign(this.params, qb.getParameters());
    return `(${qb.getQuery()})`;
  }

  /** Runs an outer query over derived tables: `sql` may hold `:name` parameters of this statement. */
  async rows<R>(sql: string): Promise<R[]> {
    const [query, parameters] = this.ctx.db.connection.driver.escapeQueryWithParameters(sql, this.params);
    return this.ctx.db.query(query, parameters);
  }
}

/** The filter with its global ids decoded and its lists checked. */
export interface ResolvedFilter {
  from: Date | null;
  to: Date | null;
  brandIds: string[] | null;
  regions: string[] | null;
  platforms: string[] | null;
  agencyIds: string[] | null;
  leadSources: string[] | null;
}
