// The streams, environment and transport a CLI command runs with. Commands never touch `process` or
// `console`: main.ts passes the real ones, tests pass captured ones and a fetch bound to a test server.

/** Anything with a `write(string)`: process.stdout, or a test's string collector. */
export interface OutputStream {
  write(chunk: string): unknown;
}

/** What every `run*` command receives. Only stdout, stderr and env are required. */
export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Record<string, string | undefined>;
  /** HTTP transport; defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** Read by `apply -f -` / `delete -f -`; defaults to nothing (an empty input). */
  stdin?: AsyncIterable<string | Uint8Array>;
  /** Wall clock in ms, for AGE columns; defaults to `Date.now`. */
  now?: () => number;
  /** Aborted on Ctrl-C: stops `get -w`, `logs -f` and `wait` cleanly. */
  signal?: AbortSignal;
}

/** Reads all of stdin as UTF-8 text. */
export async function readAll(input: AsyncIterable<string | Uint8Array> | undefined): Promise<string> {
  if (!input) return '';
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of input) text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}
