/** Structured JSON log lines. Callers never pass tokens, headers or arguments. */
export type LogLine = Record<string, unknown>;
export type Logger = (line: object) => void;

export function stderrLogger(line: object): void {
  process.stderr.write(JSON.stringify(line) + "\n");
}

/** Adds the timestamp and defaults the level. */
export function stamp(logger: Logger): (line: LogLine) => void {
  return (line) => {
    try {
      logger({ ts: new Date().toISOString(), level: "info", ...line });
    } catch {
      /* a failing logger must not break a request */
    }
  };
}
