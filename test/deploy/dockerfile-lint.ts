// A linter for deploy/Dockerfile, since `docker build` cannot run on these machines (no engine): it parses
// the instructions and checks the rules issue 19 sets for the image. Returns problems; empty means clean.

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, ... */
  op: string;
  args: string;
  line: number;
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Instructions in order (continuation lines joined, comments and blank lines dropped). */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (!pending && (line.trim() === '' || line.trimStart().startsWith('#'))) return;
    if (pending && line.trimStart().startsWith('#')) return; // a comment inside a continued RUN
    if (!pending) start = i + 1;
    pending += line.endsWith('\\') ? `${line.slice(0, -1)} ` : line;
    if (line.endsWith('\\')) return;
    const m = /^\s*(\w+)\s*(.*)$/s.exec(pending);
    if (m) out.push({ op: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start });
    pending = '';
  });
  return out;
}

export function stagesOf(instructions: readonly Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.op === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      stages.push({ from: m?.[1] ?? ins.args, ...(m?.[2] ? { name: m[2] } : {}), instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(ins);
    }
  }
  return stages;
}

/** `COPY [--from=x] [--chown=..] SRC... DEST` → the flags and paths. */
export function copyArgs(args: string): { from?: string; sources: string[]; dest: string } {
  const words = args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  return { ...(from ? { from } : {}), sources: paths.slice(0, -1), dest: paths.at(-1) ?? '' };
}

const PINNED = /^[\w./-]+(?::[\w.-]*\d+\.\d+[\w.-]*)?(?:@sha256:[0-9a-f]{64})?$/;

/** The rules: pinned bases, a non-root USER last, no piped installers, no remote ADD, npm ci only. */
export function lintDockerfile(text: string): string[] {
  const problems: string[] = [];
  const instructions = parseDockerfile(text);
  const stages = stagesOf(instructions);
  if (stages.length === 0) return ['no FROM'];
  const stageNames = new Set(stages.flatMap((s) => (s.name ? [s.name] : [])));
  for (const s of stages) {
    if (stageNames.has(s.from)) continue;
    const pinnedByDigest = /@sha256:[0-9a-f]{64}$/.test(s.from);
    const pinnedByVersion = /:[\w.-]*\d+\.\d+[\w.-]*$/.test(s.from.split('@')[0]!);
    if (!PINNED.test(s.from) || !(pinnedByDigest || pinnedByVersion) || /:latest\b/.test(s.from)) {
      problems.push(`FROM ${s.from}: pin the base image by version (x.y[.z]) or digest`);
    }
  }
  for (const ins of instructions) {
    const where = `line ${ins.line}`;
    if (ins.op === 'RUN') {
      if (/\b(curl|wget)\b[^|;&]*\|\s*(sudo\s+)?(ba|z|da)?sh\b/.test(ins.args)) {
        problems.push(`${where}: a downloaded script piped to a shell`);
      }
      if (/\bnpm\s+(install|i)\b/.test(ins.args)) problems.push(`${where}: npm install; use npm ci (the lockfile)`);
    }
    if (ins.op === 'ADD' && /\bhttps?:\/\//.test(ins.args)) problems.push(`${where}: ADD of a URL; download nothing`);
  }
  const runs = instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
  if (!runs.some((r) => /\bnpm ci\b.*--omit=dev/.test(r))) problems.push('no `npm ci --omit=dev` stage');
  const final = stages.at(-1)!;
  const user = final.instructions.filter((i) => i.op === 'USER').at(-1);
  if (!user) problems.push('the final stage sets no USER (it would run as root)');
  else {
    const uid = user.args.split(':')[0]!;
    if (uid === 'root' || uid === '0' || !/^\d+$/.test(uid)) {
      problems.push(`USER ${user.args}: a numeric non-root uid (Kubernetes' runAsNonRoot checks a number)`);
    }
  }
  const healthcheck = instructions.some((i) => i.op === 'HEALTHCHECK');
  if (!healthcheck && !/^#.*\bprobes?\b/im.test(text)) {
    problems.push('neither a HEALTHCHECK nor the probes documented in a comment');
  }
  return problems;
}
