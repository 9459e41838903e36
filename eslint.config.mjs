// ESLint flat config, one block per kind of file: the GraphQL schema (schema.graphql, printed from the
// type-graphql decorators by `npm run schema`) and the TypeScript of src/ (type-aware rules).
import graphql from '@graphql-eslint/eslint-plugin';
import tseslint from 'typescript-eslint';

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
    '@graphql-eslint/require-description': [
      'error',
      {
        types: true,
        rootField: true,
        DirectiveDefinition: true,
        FieldDefinition: true,
        InputValueDefinition: true,
        EnumValueDefinition: true,
      },
    ],
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

// The server's code: a promise nobody awaits loses its error (an unhandled rejection ends the process), a
// promise where a callback's result is ignored (an Express handler, an event listener) likewise, and `any`
// switches the type checker off.
const sourceBlock = {
  files: ['src/**/*.ts'],
  languageOptions: {
    parser: tseslint.parser,
    parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname },
  },
  plugins: { '@typescript-eslint': tseslint.plugin },
  rules: {
    '@typescript-eslint/no-floating-promises': 'error',
    '@typescript-eslint/no-misused-promises': 'error',
    '@typescript-eslint/no-explicit-any': 'error',
  },
};

export default [schemaBlock, sourceBlock];
