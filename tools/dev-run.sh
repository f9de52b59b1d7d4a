#!/bin/sh
# `make run`: a one-validator ledger for trying things out, kept in
# .notary-dev/ (created on the first run, reused after). Runs notaryd in the
# foreground; stop it with Ctrl-C.
set -eu

B=${B:-build}
HOME_DIR=.notary-dev
RPC=${NOTARY_DEV_RPC:-tcp://127.0.0.1:7400}

if [ ! -f "$HOME_DIR/config.json" ]; then
	"$B/notary" init --home "$HOME_DIR" --chain-id dev-net --rpc "$RPC" --name "Dev Notary Office" >/dev/null
	echo "created $HOME_DIR: a one-validator chain \"dev-net\" (delete the directory to start over)"
fi
if [ ! -f "$HOME_DIR/party.key" ]; then
	"$B/notary" keygen --out "$HOME_DIR/party.key" >/dev/null
fi

cat <<EOF
notaryd is starting on $RPC (home $HOME_DIR). In another terminal:

  # notarize a file: writes FILE.receipt.json beside it
  $B/notary submit --node $RPC --key $HOME_DIR/party.key --case "demo case" README.md

  # check it offline, as a judge would (--lang zh for Chinese)
  $B/notary verify --genesis $HOME_DIR/genesis.json README.md

  # or in a browser: open http://127.0.0.1:7480/ (the node's verification page;
  # the file never leaves the browser), or print an evidence certificate
  $B/notary certificate --genesis $HOME_DIR/genesis.json --out README.pdf README.md

  # ask the node about a file, or about the chain
  $B/notary find --node $RPC README.md
  $B/notary status --node $RPC

Stop the node with Ctrl-C; then \`$B/notary audit --home $HOME_DIR\` re-checks its store.

EOF
exec "$B/notaryd" --home "$HOME_DIR"
