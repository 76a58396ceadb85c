#!/usr/bin/env bash
# The GitHub Actions workflow (vmcp-okta-preview.yml) as plain shell, for any CI system. Run from the
# repository root on the pull request's checkout, with the base branch fetched:
#
#   BASE_REF=origin/main STACKS="engineering sales" bash examples/ci/review.sh
#
# For each stack it writes $REVIEW_DIR/diff-<stack>.md (post it as the PR comment with your CI's API)
# and runs `pulumi preview` with the policy pack. Environment:
#   BASE_REF             the PR's base (a git ref), required
#   STACKS               team stacks, default: every Pulumi.<stack>.yaml except dev
#   PULUMI_ORG           Pulumi organization of the stacks (omit for a self-managed backend)
#   FAIL_ON              empty (report only), gain or any: passed to `vmcp-okta diff --fail-on`
#   SKIP_PREVIEW=1       only check and diff (no Pulumi CLI, Okta or cluster credentials needed)
#   SKIP_INSTALL=1       dependencies are already installed (skip npm ci)
#   REVIEW_DIR           where the diffs go, default review
#   VMCP_OKTA            how to run the CLI, default: npm run --silent cli --
#   PULUMI_ACCESS_TOKEN, OKTA_API_TOKEN, KUBECONFIG: as `pulumi preview` needs them
set -euo pipefail
: "${BASE_REF:?set BASE_REF to the pull request base, e.g. origin/main}"
if [ -z "${STACKS:-}" ]; then
  STACKS=$(find . -maxdepth 1 -name 'Pulumi.*.yaml' ! -name 'Pulumi.dev.yaml' | sed 's#^\./Pulumi\.\(.*\)\.yaml$#\1#' | sort | tr '\n' ' ')
fi

[ "${SKIP_INSTALL:-}" = "1" ] || npm ci --no-audit --no-fund
out=${REVIEW_DIR:-review}
read -r -a cli <<< "${VMCP_OKTA:-npm run --silent cli --}"
mkdir -p "$out"
status=0
for stack in $STACKS; do
  echo "== $stack"
  "${cli[@]}" check --stack "$stack" > /dev/null
  # Exit 3 means the --fail-on gate tripped: report it, keep reviewing the other stacks.
  rc=0
  "${cli[@]}" diff --stack "$stack" --base "$BASE_REF" ${FAIL_ON:+--fail-on "$FAIL_ON"} > "$out/diff-$stack.md" || rc=$?
  if [ "$rc" -eq 3 ]; then
    echo "$stack: the diff gate (--fail-on $FAIL_ON) tripped, see $out/diff-$stack.md"
    status=3
  elif [ "$rc" -ne 0 ]; then
    exit "$rc"
  fi
  if [ "${SKIP_PREVIEW:-}" != "1" ]; then
    pulumi preview --stack "${PULUMI_ORG:+$PULUMI_ORG/}$stack" --diff --non-interactive \
      --policy-pack policy-pack --policy-pack-config examples/ci/policy-config.json
  fi
done
exit "$status"
