// ESLint flat config, one block per kind of file. Today: the GraphQL schema (schema.graphql, printed from
// the type-graphql decorators by `npm run schema`). A block for src/**/*.ts can be added beside it.
import graphql from '@graphql-eslint/eslint-plugin';

const schemaBlock = {
  files: ['schema.graphql'],
  languageOptions: {
    parser: graphql.parser,
    parserOptions: { graphQLConfig: { schema: './schema.graphql' } },
  },
  plugins: { '@graphql-eslint': graphql },
  rules: {
    // Naming conventions, no unreachable types, no `#` descriptions, deprecations with a reason, ...
    ...graphql.configs['flat/schema-recommended'].rules,
    // A description on everything a client developer reads: types, enums and their values, inputs and
    // their fields, fields, arguments, and each query and mutation.
    '@graphql-eslint/require-description': ['error', {
      types: true, rootField: true, DirectiveDefinition: true,
      FieldDefinition: true, InputValueDefinition: true, EnumValueDefinition: true,
    }],
    // Off: it asks every object type for an `id: ID!`, but payloads, figures (analytics, audit proofs) and
    // values (Money, GeoPoint, PageInfo) are not entities; every entity implements Node and has its id.
    '@graphql-eslint/strict-id-in-types': 'off',
    // Relay connections: `XConnection { edges, pageInfo }`, `XEdge { node, cursor }`, PageInfo, and
    // first/after/last/before on every connection field.
    '@graphql-eslint/relay-connection-types': 'error',
    '@graphql-eslint/relay-page-info': 'error',
    '@graphql-eslint/relay-arguments': 'error',
    // Plain lists (bounded, stated in their description) are allowed beside connections; the audit trail
    // and the referral change feed page over records that are not Nodes (no global id): their edges' node
    // is not required to implement Node.
    '@graphql-eslint/relay-edge-types': ['error', { listTypeCanWrapOnlyEdgeType: false, shouldImplementNode: false }],
    // Mutations take one `input: <Mutation>Input!` and answer an object, never a bare scalar.
    '@graphql-eslint/input-name': 'error',
    '@graphql-eslint/no-scalar-result-type-on-mutation': 'error',
    '@graphql-eslint/require-nullable-result-in-root': 'error',
  },
};

export default [schemaBlock];
