#!/bin/sh
# Creates (or updates) the ILM policy and the index template of the Fluent Bit daily indices
# conduit-logs-YYYY.MM.DD. Idempotent: both calls are PUTs.
set -eu
es="https://conduit-es-http.logging.svc:9200"
auth="elastic:$(cat /es-user/elastic)"
put() {
  curl --fail-with-body --silent --show-error --retry 10 --retry-all-errors --retry-delay 10 \
    --cacert /es-ca/ca.crt --user "$auth" -H 'Content-Type: application/json' \
    -X PUT "$es/$1" --data-binary "@$2"
  echo
}
put _ilm/policy/conduit-logs /config/ilm-policy.json
put _index_template/conduit-logs /config/index-template.json
