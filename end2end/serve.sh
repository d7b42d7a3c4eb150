#!/usr/bin/env bash
# Starts a fresh Hallpass for the browser tests: `serve.sh PORT sqlite|redis`.
# A new SQLite database each time, an admin and a user (added with the CLI), the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
port=$1 store=$2
data=end2end/.data/$store
rm -rf "$data" && mkdir -p "$data"
export HALLPASS_DATABASE_URL="sqlite://$data/hallpass.db?mode=rwc"
export LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_ADDR=127.0.0.1:$port
# Passkeys need a relying party with a domain name: localhost (the pages are also served on
# 127.0.0.1, which state-changing requests may come from too).
export HALLPASS_PUBLIC_ORIGIN="http://localhost:$port,http://127.0.0.1:$port"
if [ "$store" = redis ]; then
  export HALLPASS_REDIS_URL=${HALLPASS_TEST_REDIS_URL:-redis://127.0.0.1:6379}
  # Its own namespace, so listings never show sessions of earlier runs or other tests.
  export HALLPASS_REDIS_NAMESPACE="e2e-$(date +%s%N)"
fi
for who in admin user; do
  printf 'correct horse battery staple\n' | target/release/hallpass user add --email $who@example.test --role $who
done
exec target/release/hallpass serve
