#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so a checkout works without a build step.
require("tsx/cjs");
require("../cli/main.ts");
