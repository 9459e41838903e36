import { GraphQLError } from 'graphql';
import pino from 'pino';
import { QueryFailedError } from 'typeorm';
import { errorFormatter, TOO_SLOW_MESSAGE } from '../../src/http/format-error';

// A statement stopped by DATABASE_STATEMENT_TIMEOUT_MS (SQLSTATE 57014) is the request asking for more than
// the server answers in time: a clear SERVICE_UNAVAILABLE for the client, the detail in the log only.
describe('a statement cancelled by the statement timeout', () => {
  it('reaches the client as SERVICE_UNAVAILABLE with advice, not as an internal error', () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const driverError = Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
    const raw = new GraphQLError('canceling statement due to statement timeout', {
      path: ['analytics', 'repeatOffenders'],
      originalError: new QueryFailedError('SELECT ... FROM seller_offence', [], driverError),
    });
    const formatted = errorFormatter(logger)(raw.toJSON(), raw);
    expect(formatted).toMatchObject({
      message: TOO_SLOW_MESSAGE,
      path: ['analytics', 'repeatOffenders'],
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
    expect(JSON.stringify(formatted)).not.toMatch(/SELECT|seller_offence|canceling|57014/);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'a statement was cancelled by the statement timeout' }),
    );
  });
});
