// A minimal GraphQL client for the examples: POST /graphql with a bearer key, throw on errors.
import fs from 'node:fs';

export const API_URL = process.env.API_URL ?? 'http://localhost:4000/graphql';

/** The key of a role: $<ROLE>_KEY if set, else the demo key printed by `npm start` (.demo-keys.txt). */
export function keyFor(role) {
  const fromEnv = process.env[`${role}_KEY`];
  if (fromEnv) return fromEnv;
  const line = fs
    .readFileSync(process.env.DEMO_KEYS_FILE ?? '.demo-keys.txt', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${role} `));
  if (!line) throw new Error(`no ${role} key: set ${role}_KEY or start the demo with npm start`);
  return line.split(/\s+/)[1];
}

export async function gql(key, query, variables = {}) {
  const response = await fetch(API_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(`${response.status}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** Runs a mutation and fails loudly on user errors; returns its payload. */
export async function mutate(key, name, input, selection) {
  const type = `${name[0].toUpperCase()}${name.slice(1)}Input`;
  const data = await gql(
    key,
    `mutation($input: ${type}!) { ${name}(input: $input) { ${selection} userErrors { field message code } } }`,
    { input },
  );
  if (data[name].userErrors.length) throw new Error(`${name}: ${JSON.stringify(data[name].userErrors)}`);
  return data[name];
}
