/**
 * One error type for configuration problems. Every check in the package reports a `Problem` with a
 * stable code, the config path it concerns, the bad value and the fix; callers (CLI, Pulumi program,
 * gateway) decide how to show them. Tests assert on `code` and `path`, never on wording.
 */
export type Severity = "error" | "warning";

export interface Problem {
  /** Stable, machine-readable code, e.g. `group.duplicate`. */
  code: string;
  /** Where in the configuration, e.g. `vmcp-okta:team.groups.developers.members[0]`. */
  path: string;
  message: string;
  /** The offending value, when there is one. Never a secret. */
  value?: unknown;
  /** How to fix it, in one sentence. */
  fix?: string;
  severity: Severity;
}

export class ConfigError extends Error {
  readonly code = "ERR_VMCP_OKTA_CONFIG";
  constructor(readonly problems: Problem[]) {
    super(formatProblems(problems.filter((p) => p.severity === "error")));
    this.name = "ConfigError";
  }
}

export function formatProblem(p: Problem): string {
  const value = p.value === undefined ? "" : ` (got ${JSON.stringify(p.value)})`;
  const fix = p.fix ? `\n    fix: ${p.fix}` : "";
  return `${p.severity} [${p.code}] ${p.path}: ${p.message}${value}${fix}`;
}

export function formatProblems(problems: Problem[]): string {
  if (problems.length === 0) return "no problems";
  return `${problems.length} configuration problem(s):\n` + problems.map((p) => "  " + formatProblem(p)).join("\n");
}

/** Collects problems while a validator walks the config. */
export class ProblemList {
  readonly items: Problem[] = [];
  error(code: string, path: string, message: string, extra: { value?: unknown; fix?: string } = {}): void {
    this.items.push({ code, path, message, ...extra, severity: "error" });
  }
  warn(code: string, path: string, message: string, extra: { value?: unknown; fix?: string } = {}): void {
    this.items.push({ code, path, message, ...extra, severity: "warning" });
  }
  get errors(): Problem[] {
    return this.items.filter((p) => p.severity === "error");
  }
  get warnings(): Problem[] {
    return this.items.filter((p) => p.severity === "warning");
  }
  /** Throws a ConfigError carrying every problem when any error was recorded. */
  throwIfErrors(): void {
    if (this.errors.length > 0) throw new ConfigError(this.items);
  }
}

/** "did you mean" helper: the closest candidate by edit distance, ignoring case, if close enough. */
export function closest(value: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  const v = value.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(v, c.toLowerCase());
    if (d < bestScore) {
      best = c;
      bestScore = d;
    }
  }
  if (best === undefined) return undefined;
  return bestScore <= Math.max(2, Math.floor(value.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

export function didYouMean(value: string, candidates: Iterable<string>): string | undefined {
  const c = closest(value, candidates);
  return c === undefined ? undefined : `did you mean \`${c}\`?`;
}
