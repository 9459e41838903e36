import { Field, ID, InterfaceType } from 'type-graphql';
import { CreateDateColumn, PrimaryGeneratedColumn } from 'typeorm';
import { compiledTypeOf } from '../data-access/compiled-object.js';
import { toGlobalId } from './global-id.js';

/**
 * Every entity extends Node: a bigint identity key in the database (`rowId` in code, `id` in SQL)
 * and an opaque global `id` in GraphQL. The GraphQL type name is the class name.
 */
@InterfaceType({
  description: 'An object with an opaque global id, resolvable through `node(id:)`.',
  resolveType: (value: object) => compiledTypeOf(value) ?? value.constructor.name,
})
export abstract class Node {
  @PrimaryGeneratedColumn('identity', { name: 'id', type: 'bigint', generatedIdentity: 'ALWAYS' })
  rowId!: string;

  @Field(() => ID, { name: 'id', description: 'Opaque global id.' })
  get globalId(): string {
    return toGlobalId(this.constructor.name, this.rowId);
  }

  @Field({ description: 'When the record was created.' })
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
