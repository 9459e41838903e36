import fs from 'node:fs';
import path from 'node:path';
import { printAppSchema } from '../../src/schema-print';

describe('schema.graphql', () => {
  it('is the schema the code generates (run `npm run schema` after changing the API)', async () => {
    const checkedIn = fs.readFileSync(path.resolve(__dirname, '../../schema.graphql'), 'utf8');
    expect(await printAppSchema()).toBe(checkedIn);
  });
});
