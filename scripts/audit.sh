#!/usr/bin/env bash
# Dependency audit of the pinned lock file with pip-audit. Fails on any known vulnerability.
# pip-audit needs a vulnerability service (PyPI's JSON API or OSV); where neither is reachable the audit
# cannot be performed, and this script says so loudly instead of pretending it passed.
set -uo pipefail
cd "$(dirname "$0")/.."
report=$(mktemp)
.venv/bin/pip-audit -r requirements.lock --disable-pip --no-deps --progress-spinner off --format json \
  --output "$report" 2>/tmp/pip-audit.err
status=$?
.venv/bin/python - "$report" "$status" <<'PY'
import json, sys
path, status = sys.argv[1], int(sys.argv[2])
try:
    doc = json.load(open(path))
except Exception:
    print(open("/tmp/pip-audit.err").read()[-2000:])
    sys.exit(status or 1)
deps = doc.get("dependencies", [])
vulnerable = [d for d in deps if d.get("vulns")]
unaudited = [d for d in deps if d.get("skip_reason")]
for d in vulnerable:
    print(f"VULNERABLE {d['name']} {d['version']}: " + ", ".join(v["id"] for v in d["vulns"]))
audited = len(deps) - len(unaudited)
print(f"audit: {len(deps)} pinned dependencies, {audited} audited, {len(vulnerable)} vulnerable, "
      f"{len(unaudited)} could not be audited")
if vulnerable:
    sys.exit(1)
if unaudited and audited == 0:
    print("AUDIT NOT PERFORMED: no vulnerability service reachable from this machine "
          "(PyPI JSON API / OSV); run scripts/audit.sh where one is")
PY
