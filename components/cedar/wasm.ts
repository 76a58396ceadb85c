/** The one place that loads cedar-wasm (the Node entry; the default ESM entry needs a bundler). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
import cedar = require("@cedar-policy/cedar-wasm/nodejs");
export default cedar;
export type * from "@cedar-policy/cedar-wasm/nodejs";
