#!/usr/bin/env bash
# External sync: publish three customer changes; watch the CRM recover after
# retries and the ERP's change land in its dead-letter queue.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

require_server
ensure_sink
apply_topology
wait_confirmed customer-changes

say "publish (run $RUN)"
change() { # change KIND FIELDS
	pub customer-changes "{\"customer\":\"C-$RUN\",\"change\":\"$1\",$2}" --attr "change=$1"
}
change created '"name":"Ana Gil","email":"ana@example.com"'
change email_changed '"email":"ana.gil@example.com"'
change address_changed '"address":"Calle Mayor 1, Madrid"'

# the CRM answers 503 twice per change, then 200: three deliveries after six retries
sink_lines /crm 3 503 6
# the ERP is down: three attempts (numRetries 2) for the address change, then its DLQ
sink_lines /erp 0 503 3
receive_all erp-dlq 1
receive_all crm-dlq 0

say "abanico sub attempts (the ERP subscription)"
erp=$(ab sub list customer-changes --json | awk -F'"' '/"arn":/ {arn=$4} /"endpoint":.*erp/ {print arn}')
ab sub attempts "$erp" | head -n 8

finish
