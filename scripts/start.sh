#!/usr/bin/env bash
# Sets everything up, then starts the dashboard (on the demo database until the council's data is loaded).
# It listens on this machine only (localhost): until sign-in is configured anyone who reaches it sees every
# service and may load data. To serve others once sign-in is set up: bash scripts/start.sh --server.address 0.0.0.0
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/streamlit run app.py --browser.gatherUsageStats false --server.address localhost "$@"
