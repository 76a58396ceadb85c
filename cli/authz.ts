import * as readline from "node:readline";
import type { Command } from "commander";
import { BatchAuthorizer } from "../components/cedar/batch";

export function registerAuthz(program: Command): void {
  program
    .command("authz")
    .description("batch decisions: JSON Lines requests on stdin, one JSON answer line per request on stdout, in order")
    .action(async () => {
      const batch = new BatchAuthorizer();
      const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
      for await (const line of rl) {
        if (line.trim() === "") continue;
        process.stdout.write(JSON.stringify(batch.answerLine(line)) + "\n");
      }
    });
}
