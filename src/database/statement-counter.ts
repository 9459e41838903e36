import { AbstractLogger, LogLevel, LogMessage } from 'typeorm';

/**
 * Counts the SQL statements the application sends (every query, raw or built, passes TypeORM's
 * logger). Read by the statement-count tests and the benchmark: a request's cost in round trips.
 */
export class StatementCounter extends AbstractLogger {
  statements = 0;

  logQuery(): void {
    this.statements += 1;
  }

  protected writeLog(_level: LogLevel, _message: LogMessage | LogMessage[]): void {
    // Nothing is written: errors reach the application's own logger where they are handled.
  }
}
