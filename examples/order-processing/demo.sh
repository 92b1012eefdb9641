#!/usr/bin/env bash
# Order processing: publish four order events and show where each copy went.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

require_server
ensure_sink
apply_topology
wait_confirmed orders

say "publish (run $RUN)"
order() { # order TYPE ID SKU QTY
	pub orders "{\"order_id\":\"$2\",\"type\":\"$1\",\"sku\":\"$3\",\"qty\":$4}" --attr "type=$1"
}
order order_placed "A-$RUN-1" KB-01 2
order order_placed "A-$RUN-2" MS-07 1
order order_cancelled "A-$RUN-1" KB-01 2
order order_shipped "A-$RUN-2" MS-07 1

# billing gets every order event (raw: the order itself, its type an SQS attribute)
receive_all billing 4
# inventory is invoked for placed and cancelled orders
fn_logs inventory 3
# the notification webhook gets placed and shipped orders
sink_lines /orders 3
# nothing failed, so nothing was dead-lettered
receive_all billing-dlq 0

finish
