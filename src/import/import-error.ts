/** A failure of an import that its message explains (the command line prints it as it is). */
export class ImportError extends Error {
  override name = 'ImportError';
}
