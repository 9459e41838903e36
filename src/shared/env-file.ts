import fs from 'node:fs';
import path from 'node:path';

/**
 * Reads `.env` from the working directory into `process.env` when the file exists, for `npm start` and
 * the command line (`node --env-file` would refuse to start without the file). Variables already set in
 * the environment win over the file, as with `--env-file`. Node's own parser (`process.loadEnvFile`, Node
 * 20.12+): `NAME=value` lines, `#` comments, quoted values. Returns the file read, or null.
 */
export function loadEnvFile(file = '.env'): string | null {
  if (!fs.existsSync(file)) return null;
  try {
    process.loadEnvFile(file);
  } catch (error) {
    throw new EnvFileError(
      `cannot read ${path.resolve(file)}: ${(error as Error).message}. Fix the file (lines NAME=value, # comments) or remove it.`,
    );
  }
  return path.resolve(file);
}

export class EnvFileError extends Error {
  override name = 'EnvFileError';
}
