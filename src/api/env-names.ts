// Which environment variable names a manifest may set for the processes inferd starts. A replica runs as the
// server's own user, so a name that a loader or interpreter reads as code or as a search path
// (`NODE_OPTIONS=--import=data:...`, `LD_PRELOAD`, `PYTHONSTARTUP`, `BASH_ENV`) would be code execution from
// the control API; such names are refused at validation. Everything else (KServe's documented keys such as
// `PREDICT_PROBA`, the runtime's thread settings, a custom model's own settings) passes. docs/security.md.

/** Kubernetes' rule for env names (validation.IsEnvVarName): no `=`, no spaces, no NUL. */
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Refused as prefixes (compared upper-cased): loader, interpreter and inferd's own hooks. */
const REFUSED_PREFIXES = [
  'NODE_', // NODE_OPTIONS (--import, --require), NODE_PATH, NODE_EXTRA_CA_CERTS, ...
  'LD_', // LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT
  'DYLD_', // macOS' loader
  'PYTHON', // PYTHONSTARTUP, PYTHONPATH, PYTHONHOME, PYTHONWARNINGS (imports a module)
  'PYENV_', // pyenv picks the interpreter the Python fallback runs
  'INFERD_', // inferd's own settings (INFERD_PYTHON names the interpreter it runs)
  'PERL5', // PERL5OPT, PERL5LIB
  'PERLLIB',
  'RUBYOPT',
  'RUBYLIB',
  'BASH_FUNC_', // exported shell functions
  'MALLOC_', // glibc allocator hooks
  'GCONV_', // glibc loads gconv modules from GCONV_PATH
  'OPENSSL_', // OPENSSL_CONF loads engines
] as const;

/** Refused exactly (compared upper-cased). */
const REFUSED_NAMES = new Set([
  'PATH', // decides which python3 the fallback runs
  'BASH_ENV', // sourced by every non-interactive bash
  'ENV', // sourced by sh
  'SHELLOPTS',
  'PS4',
  'IFS',
  'PROMPT_COMMAND',
  'GLIBC_TUNABLES',
  'LOCPATH',
  'NLSPATH',
  'HOSTALIASES',
  'RES_OPTIONS',
  'LOCALDOMAIN',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'JAVA_TOOL_OPTIONS',
  '_JAVA_OPTIONS',
  'JDK_JAVA_OPTIONS',
]);

/** Why `name` may not be set in a manifest's env, or undefined when it may. */
export function envNameProblem(name: string): string | undefined {
  if (!ENV_NAME.test(name)) {
    return `"${name}" is not a valid environment variable name (letters, digits, '_', '-', '.'; not starting with a digit)`;
  }
  const upper = name.toUpperCase();
  const prefix = REFUSED_PREFIXES.find((p) => upper.startsWith(p));
  if (prefix !== undefined || REFUSED_NAMES.has(upper)) {
    return `"${name}" may not be set: ${prefix ? `${prefix}* variables are` : 'it is'} read by a loader or interpreter as code or a search path, and model processes run as the server's user (docs/security.md)`;
  }
  return undefined;
}
