#!/usr/bin/env bash
# CycloneDX SBOM of holmes's runtime Python dependencies, from the pinned lock file (offline).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-build/sbom.cdx.json}"
mkdir -p "$(dirname "$out")"
.venv/bin/cyclonedx-py requirements requirements.lock --output-format JSON --output-file "$out" >/dev/null
.venv/bin/python - "$out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
components = doc.get("components", [])
assert doc.get("bomFormat") == "CycloneDX", "not a CycloneDX document"
assert components, "the SBOM lists no components"
missing = [c["name"] for c in components if not c.get("version") or not c.get("purl")]
assert not missing, f"components without version or purl: {missing}"
print(f"sbom: {sys.argv[1]}: CycloneDX {doc.get('specVersion')}, {len(components)} components, all pinned with purls")
PY
