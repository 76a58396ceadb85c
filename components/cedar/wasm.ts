/** The one place that loads cedar-wasm (the Node entry; the default ESM entry needs a bundler). */
import { setFlagsFromString } from "node:v8";
// Node 20's V8 can abort the process ("Fatal error … unreachable code" in
// Deoptimizer::DoComputeBuiltinContinuation) when optimized code that inlined a JS→Wasm call is
// lazily deoptimized while the Wasm call runs; the authorizer calls cedar-wasm on every decision,
// which made `npm run bench` abort in 5 of 8 runs. Not inlining those calls avoids it (0 of 8).
// Set before any code is optimized, hence here, ahead of every cedar-wasm use.
setFlagsFromString("--no-turbo-inline-js-wasm-calls");
// eslint-disable-next-line @typescript-eslint/no-require-imports
import cedar = require("@cedar-policy/cedar-wasm/nodejs");
export default cedar;
export type * from "@cedar-policy/cedar-wasm/nodejs";
