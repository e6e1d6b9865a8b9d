#!/usr/bin/env bash
# Sets everything up, then starts the dashboard (on the demo database until the council's data is loaded).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/streamlit run app.py --browser.gatherUsageStats false "$@"
