#!/usr/bin/env bash
# validate.sh checks template.yaml offline: cfn-lint, then the SAM transform.
# Usage: infra/template/validate.sh [TEMPLATE]   (default: template.yaml at the repo root)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
template="${1:-$root/template.yaml}"

# Both tools resolve ARNs from a region; none of them calls AWS.
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-eu-west-3}"

missing=()
command -v cfn-lint >/dev/null 2>&1 || missing+=("cfn-lint")
python3 -c 'import samtranslator' >/dev/null 2>&1 || missing+=("aws-sam-translator")
if ((${#missing[@]})); then
	echo "validate.sh: missing ${missing[*]}; install with: pip install cfn-lint aws-sam-translator" >&2
	exit 2
fi

echo "cfn-lint $template"
if ! cfn-lint -- "$template"; then
	echo "validate.sh: cfn-lint reported problems in $template" >&2
	exit 1
fi

python3 "$here/transform.py" "$template"
