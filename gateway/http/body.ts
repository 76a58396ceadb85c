/** Reads a request body up to a byte limit and within a time limit. */
import type { IncomingMessage } from "node:http";

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
  }
}

/** The body did not arrive in time (a half-sent or trickled body): answered 408, connection closed. */
export class BodyTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`Request Timeout: the request body did not arrive within ${timeoutMs} ms`);
  }
}

export function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<string> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new BodyTooLargeError(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      clearTimeout(timer);
      chunks.length = 0;
      reject(e);
    };
    // A deadline for the whole body, not an idle timer: a client trickling one byte at a time
    // must not hold the request open either.
    const timer = setTimeout(() => fail(new BodyTimeoutError(timeoutMs)), timeoutMs);
    timer.unref();
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        fail(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (failed) return;
      failed = true;
      clearTimeout(timer);
      resolve(chunks.length === 1 ? chunks[0].toString("utf8") : Buffer.concat(chunks).toString("utf8"));
    });
    req.on("error", (e) => fail(e));
    req.on("aborted", () => fail(new Error("the client aborted the request")));
  });
}
