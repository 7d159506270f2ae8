#!/bin/sh
# Sets Temporal up for this package's stack, in two steps. Each can run again and again: docker-compose runs both at
# every `up`, and a step that fails is retried before the script gives up.
#
#   setup-temporal.sh schema      before the server: create the two databases, bring both schemas to the version of
#                                 the schema tool (which is the server's: they ship together)
#   setup-temporal.sh namespace   after the server: wait until it answers, create the namespace with an explicit
#                                 retention, register LroOperation, LroService and LroOutcome as Keyword, and wait
#                                 until the frontend resolves them
#
# docker-compose.yml runs it in temporalio/admin-tools; `npm run test:postgres` runs it with the same tools built
# from the server's Go module. It reads its settings from the environment:
#   schema:    DB, POSTGRES_SEEDS, DB_PORT, POSTGRES_USER, POSTGRES_PWD, DBNAME, VISIBILITY_DBNAME (deploy/temporal.env)
#   namespace: TEMPORAL_ADDRESS; TEMPORAL_NAMESPACE (default "default"); TEMPORAL_NAMESPACE_RETENTION (default 72h:
#              closed cancellers, their results and their Lro* attributes are kept 3 days). An existing namespace
#              keeps its retention: change it with `temporal operator namespace update --retention`.
#   the tools: TEMPORAL_SQL_TOOL (default temporal-sql-tool), TEMPORAL_CLI (default temporal)
#   retries:   SETUP_ATTEMPTS (default 30) attempts, SETUP_RETRY_SECONDS (default 2) apart
set -eu

SQL_TOOL=${TEMPORAL_SQL_TOOL:-temporal-sql-tool}
CLI=${TEMPORAL_CLI:-temporal}
ATTEMPTS=${SETUP_ATTEMPTS:-30}
PAUSE=${SETUP_RETRY_SECONDS:-2}
SEARCH_ATTRIBUTES='LroOperation LroService LroOutcome'

log() {
  echo "setup-temporal: $*"
}

# retry WHAT COMMAND...: runs COMMAND until it succeeds, ATTEMPTS times at most.
retry() {
  what=$1
  shift
  attempt=1
  until "$@"; do
    if [ "$attempt" -ge "$ATTEMPTS" ]; then
      log "$what: failed $attempt times, giving up" >&2
      return 1
    fi
    log "$what: failed (attempt $attempt of $ATTEMPTS), again in ${PAUSE}s"
    attempt=$((attempt + 1))
    sleep "$PAUSE"
  done
}

# sql DATABASE ARGS...: the schema tool on one database; the password goes by environment, not on the command line.
sql() {
  database=$1
  shift
  SQL_PASSWORD=${POSTGRES_PWD:-} "$SQL_TOOL" --plugin "$DB" --endpoint "$POSTGRES_SEEDS" --port "${DB_PORT:-5432}" \
    --user "$POSTGRES_USER" --database "$database" "$@"
}

schema() {
  : "${DB:?is required (postgres12)}" "${POSTGRES_SEEDS:?is required}" "${POSTGRES_USER:?is required}"
  case $DB in
    postgres12 | postgres12_pgx) ;;
    *)
      log "DB=$DB: this stack sets up PostgreSQL only (postgres12 or postgres12_pgx)" >&2
      return 2
      ;;
  esac
  for pair in "${DBNAME:-temporal}:temporal" "${VISIBILITY_DBNAME:-temporal_visibility}:visibility"; do
    database=${pair%%:*}
    kind=${pair#*:}
    retry "create database $database" sql "$database" create-database
    # Version tables only (an existing schema keeps its version), then every versioned step the tool ships.
    retry "set up schema versioning in $database" sql "$database" setup-schema --version 0.0
    retry "update the $kind schema in $database" sql "$database" update-schema --schema-name "postgresql/v12/$kind"
  done
  log "databases ${DBNAME:-temporal} and ${VISIBILITY_DBNAME:-temporal_visibility} are up to date ($("$SQL_TOOL" --version))"
}

namespace() {
  : "${TEMPORAL_ADDRESS:?is required (host:port of the frontend)}"
  export TEMPORAL_ADDRESS
  ns=${TEMPORAL_NAMESPACE:-default}
  retention=${TEMPORAL_NAMESPACE_RETENTION:-72h}
  retry "wait for the server at $TEMPORAL_ADDRESS" "$CLI" operator cluster health
  if "$CLI" operator namespace describe --namespace "$ns" >/dev/null 2>&1; then
    log "namespace $ns exists; its retention is left as it is"
  else
    retry "create namespace $ns" create_namespace "$ns" "$retention"
    log "namespace $ns created with retention $retention"
  fi
  for name in $SEARCH_ATTRIBUTES; do
    retry "register search attribute $name" register "$ns" "$name"
  done
  # Registered is not yet usable: on SQL visibility the frontend learns the attribute when its namespace cache next
  # refreshes, and until then it refuses a start that sets it ("no mapping defined for search attribute"). A query
  # naming the attribute goes through the same mapping, so the stack is ready when one is answered.
  for name in $SEARCH_ATTRIBUTES; do
    retry "wait until the frontend resolves $name" "$CLI" workflow count --namespace "$ns" --query "$name = 'setup'" \
      >/dev/null
  done
  log "search attributes $SEARCH_ATTRIBUTES are Keyword in namespace $ns, and the frontend resolves them"
}

# A namespace an earlier attempt created (its answer lost) counts as created.
create_namespace() {
  "$CLI" operator namespace create --namespace "$1" --retention "$2" ||
    "$CLI" operator namespace describe --namespace "$1" >/dev/null 2>&1
}

# Registered already counts, as Keyword only: a workflow that upserts an attribute of another type fails its task.
register() {
  listed=$("$CLI" operator search-attribute list --namespace "$1") || return 1
  type=$(echo "$listed" | awk -v name="$2" '$1 == name { print $2 }')
  case $type in
    Keyword) return 0 ;;
    '') "$CLI" operator search-attribute create --namespace "$1" --name "$2" --type Keyword ;;
    *)
      log "search attribute $2 is registered as $type, not Keyword: the cancellers cannot record it" >&2
      exit 1
      ;;
  esac
}

case ${1:-} in
  schema) schema ;;
  namespace) namespace ;;
  *)
    echo "usage: setup-temporal.sh schema|namespace" >&2
    exit 2
    ;;
esac
