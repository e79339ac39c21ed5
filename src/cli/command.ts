// The shell every client command runs in: parse flags, answer --help, build the API client, and turn
// any error into kubectl's stderr line and exit code 1. Commands themselves only return exit codes.

import { messageOf } from '../errors.js';
import { ApiClient } from './api-client.js';
import { StatusError } from './api-status.js';
import { type ClientSettings, resolveClientSettings } from './client-config.js';
import { type FlagSpecs, type ParsedArgs, parseFlags, UsageError } from './flags.js';
import { commandHelp } from './help.js';
import type { CliIo } from './io.js';
import { fetchTrusting } from './tls-fetch.js';

export interface CommandContext {
  io: CliIo;
  client: ApiClient;
  settings: ClientSettings;
  args: ParsedArgs;
  now(): number;
}

/** kubectl's one-line error for any failure (`Error from server (NotFound): …`, `error: …`). */
export function formatError(err: unknown): string {
  if (err instanceof StatusError) {
    if (err.reason === 'Unauthorized')
      return `error: You must be logged in to the server (Unauthorized): ${err.message}`;
    return `Error from server (${err.reason}): ${err.message}`;
  }
  return `error: ${messageOf(err)}`;
}

/** Prints `err` the kubectl way and returns the exit code (1). */
export function reportError(io: CliIo, err: unknown): number {
  io.stderr.write(`${formatError(err)}\n`);
  if (err instanceof UsageError) io.stderr.write(`See 'inferd ${err.command} --help' for usage.\n`);
  return 1;
}

/** Runs a client command: flags → context → body, with --help and errors handled here. */
export async function runCommand(
  name: string,
  argv: readonly string[],
  io: CliIo,
  specs: FlagSpecs,
  body: (ctx: CommandContext) => Promise<number>,
): Promise<number> {
  try {
    const args = parseFlags(name, argv, specs);
    if (args.values.help === true) {
      io.stdout.write(commandHelp(name, specs));
      return 0;
    }
    const settings = resolveClientSettings(args.values, io.env);
    const client = new ApiClient({
      server: settings.server,
      token: settings.token,
      fetch: io.fetch ?? (settings.ca ? fetchTrusting(settings.ca) : undefined),
    });
    const now = io.now ?? Date.now;
    return await body({ io, client, settings, args, now });
  } catch (err) {
    return reportError(io, err);
  }
}
