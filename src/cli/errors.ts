// Errors that end a command with exit code 2 (usage, configuration, unreadable input).
export class UsageError extends Error {
  override name = 'UsageError';
}
