// Flag parsing for every command: node's util.parseArgs tokenizer, with kubectl's (pflag's) rules and
// error messages on top — `-n=ns` and `--all-namespaces=true` work, unknown flags name themselves.

import { parseArgs } from 'node:util';
import { InferdError } from '../errors.js';

export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Repeatable (`-f a.yaml -f b.yaml`): the value is a string[]. */
  multiple?: boolean;
  /** The value's name in help (`PATH`, `DURATION`); string flags only. */
  arg?: string;
  /** What the flag does, for `--help` (generated from these specs by formatFlags). `\n` continues the text on an aligned line. */
  help: string;
  /** Parsed but not listed in help. */
  hidden?: boolean;
}

export type FlagSpecs = Record<string, FlagSpec>;
export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export interface ParsedArgs {
  values: FlagValues;
  positionals: string[];
}

/** Flags every client command accepts (DESIGN.md "Command-line conventions"). */
export const GLOBAL_FLAGS = {
  server: {
    type: 'string',
    short: 's',
    arg: 'URL',
    help: 'the inferd control API (default: $INFERD_SERVER, else the current context of\n~/.inferd/config, else http://127.0.0.1:8080)',
  },
  namespace: { type: 'string', short: 'n', arg: 'NAME', help: 'namespace (default "default")' },
  'all-namespaces': { type: 'boolean', short: 'A', help: 'list across all namespaces' },
  output: { type: 'string', short: 'o', arg: 'FORMAT', help: 'yaml | json | wide | name | jsonpath=TEMPLATE' },
  token: {
    type: 'string',
    arg: 'TOKEN',
    help: "bearer token for the control API (default: $INFERD_TOKEN, else the context's)",
  },
  context: { type: 'string', arg: 'NAME', help: 'use this context of ~/.inferd/config' },
  'ca-file': {
    type: 'string',
    arg: 'FILE',
    help: "PEM CA that signed an https:// server's certificate (default: $INFERD_CA_FILE,\nelse the context's certificate-authority[-data], else the system's CAs)",
  },
  help: { type: 'boolean', short: 'h', help: 'help for a command' },
} as const satisfies FlagSpecs;

const FLAG_COLUMN = 28;

/**
 * The `Flags:` lines of a help text, from the same specs the parser uses, so help cannot drift from what is
 * accepted: `  -f, --filename PATH         text`, continuation lines aligned under the text.
 */
export function formatFlags(specs: Readonly<Record<string, Readonly<FlagSpec>>>): string {
  return Object.entries(specs)
    .filter(([, s]) => !s.hidden)
    .map(([name, s]) => {
      let left = s.short ? `-${s.short}, --${name}` : `    --${name}`;
      if (s.type === 'string') left += ` ${s.arg ?? 'VALUE'}`;
      const pad = left.length < FLAG_COLUMN ? left.padEnd(FLAG_COLUMN) : `${left}  `;
      const [first, ...more] = s.help.split('\n');
      return [`  ${pad}${first}`, ...more.map((m) => `${' '.repeat(FLAG_COLUMN + 2)}${m}`)].join('\n');
    })
    .join('\n');
}

/** Global flags that take a value, so main.ts can find the subcommand past `-n ns get`. */
export function isValueFlag(token: string): boolean {
  const m = /^--?([^=]+)$/.exec(token);
  if (!m) return false;
  const name = m[1];
  return Object.entries(GLOBAL_FLAGS).some(
    ([long, spec]) => spec.type === 'string' && (name === long || ('short' in spec && name === spec.short)),
  );
}

/** A usage mistake: printed as `error: <message>` plus a pointer to `--help`, exit 1 (kubectl's behaviour). */
export class UsageError extends InferdError {
  readonly command: string;
  constructor(command: string, message: string) {
    super('INVALID_INPUT', message);
    this.command = command;
  }
}

const BOOL_TEXT: Record<string, boolean> = { true: true, '1': true, t: true, false: false, '0': false, f: false };

/**
 * Parses `argv` against the global flags plus `specs`. Throws UsageError with pflag's messages:
 * `unknown flag: --foo`, `unknown shorthand flag: 'x' in -x`, `flag needs an argument: --server`.
 */
export function parseFlags(command: string, argv: readonly string[], specs: FlagSpecs = {}): ParsedArgs {
  const all: FlagSpecs = { ...GLOBAL_FLAGS, ...specs };
  const byShort = new Map(Object.entries(all).flatMap(([name, s]) => (s.short ? [[s.short, name] as const] : [])));
  // pflag accepts `-n=ns` and `-A=false`; parseArgs would read "=ns" as the value. Spell them out long.
  const args = argv.map((a) => {
    const long = /^-[^-]=/.test(a) ? byShort.get(a.charAt(1)) : undefined;
    return long ? `--${long}${a.slice(2)}` : a;
  });
  const { tokens } = parseArgs({
    args,
    options: Object.fromEntries(
      Object.entries(all).map(([name, s]) => [name, { type: s.type, ...(s.short ? { short: s.short } : {}) }]),
    ),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const values: FlagValues = {};
  const positionals: string[] = [];
  for (const tok of tokens) {
    if (tok.kind === 'positional') positionals.push(tok.value);
    if (tok.kind !== 'option') continue;
    const name = tok.name.length === 1 && byShort.has(tok.name) ? byShort.get(tok.name)! : tok.name;
    const spec = all[name];
    if (!spec) {
      throw new UsageError(
        command,
        tok.rawName.startsWith('--')
          ? `unknown flag: ${tok.rawName}`
          : `unknown shorthand flag: '${tok.name}' in ${tok.rawName}`,
      );
    }
    let value: string | boolean;
    if (spec.type === 'boolean') {
      if (tok.inlineValue) {
        const b = BOOL_TEXT[(tok.value ?? '').toLowerCase()];
        if (b === undefined) {
          throw new UsageError(
            command,
            `invalid argument "${tok.value}" for "--${name}" flag: strconv.ParseBool: parsing "${tok.value}": invalid syntax`,
          );
        }
        value = b;
      } else value = true;
    } else {
      if (tok.value === undefined) {
        throw new UsageError(
          command,
          tok.rawName.startsWith('--')
            ? `flag needs an argument: ${tok.rawName}`
            : `flag needs an argument: '${tok.name}' in ${tok.rawName}`,
        );
      }
      value = tok.value;
    }
    if (spec.multiple) values[name] = [...((values[name] as string[] | undefined) ?? []), String(value)];
    else values[name] = value;
  }
  return { values, positionals };
}

/** A string flag's value, or undefined. */
export function stringFlag(values: FlagValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A boolean flag's value (false when absent). */
export function boolFlag(values: FlagValues, name: string): boolean {
  return values[name] === true;
}

/** A repeatable flag's values (empty when absent). */
export function listFlag(values: FlagValues, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}
