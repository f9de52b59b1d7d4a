/* notary init: a one-validator network in a home directory, ready to run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/hex.h"
#include "core/genesis.h"
#include "crypto/keys.h"
#include "node/config.h"
#include "tools/cli.h"
#include "tools/cli_tls.h"

static const char init_usage[] =
    "usage: notary init --home DIR [--chain-id ID] [--rpc URL] [--name NAME]\n"
    "                   [--genesis-format 1|2]\n\n"
    "Creates a one-validator network ready to run: DIR (mode 0700) with a new\n"
    "validator key (validator.key, 0600), genesis.json naming that key as the only\n"
    "validator, config.json, and the node's TLS key and self-signed certificate\n"
    "(tls.key 0600, tls.crt; P-256) for tls+tcp:// links, bound to the validator\n"
    "key. The node creates DIR/data on its first start.\n"
    "Refuses a DIR that already holds a config.json.\n\n"
    "Options:\n"
    "  -d, --home DIR        home directory to create (required)\n"
    "  -c, --chain-id ID     chain id, 1-50 of [a-z0-9._-] (default local-net)\n"
    "  -r, --rpc URL         client JSON-RPC listen URL (default " NT_CLI_DEFAULT_NODE ");\n"
    "                        the peer URL is the same host, port + 1\n"
    "  -n, --name NAME       the validator's name in genesis.json (default \"Notary Office\")\n"
    "  -g, --genesis-format F  2 (default): notary-genesis/2, whose office name and\n"
    "                        genesis are covered by the chain's hashes and whose\n"
    "                        fingerprint identifies the network; 1: the old format\n"
    "  -h, --help            show this help\n\n"
    "Example:\n"
    "  notary init --home ./office --chain-id demo-net --rpc tcp://127.0.0.1:7400\n"
    "  notaryd --home ./office\n";

/* tcp://HOST:PORT -> tcp://HOST:PORT+1. False for other URL shapes. */
static bool peer_url(const char *rpc, char *out, size_t cap)
{
	if (strncmp(rpc, "tcp://", 6) != 0)
		return false;
	const char *colon = strrchr(rpc + 6, ':');
	uint64_t port;
	if (colon == NULL || !nt_cli_parse_u64(colon + 1, &port) || port == 0 || port >= 65535)
		return false;
	int n = snprintf(out, cap, "%.*s:%u", (int)(colon - rpc), rpc, (unsigned)port + 1);
	return n > 0 && (size_t)n < cap;
}

typedef struct {
	char *key, *genesis, *config;
} init_paths;

static int run_init(const char *home, const char *chain_id, const char *rpc, const char *name,
		    unsigned format, const init_paths *p)
{
	char p2p[300];
	bool have_p2p = peer_url(rpc, p2p, sizeof p2p);

	if (nt_cli_exists(p->config))
		return nt_cli_errorf(NT_EXIT_FAIL, "init",
				     "%s already exists; this home is initialised (remove it to "
				     "start over)",
				     p->config);
	if (nt_cli_exists(p->key) || nt_cli_exists(p->genesis))
		return nt_cli_errorf(
		    NT_EXIT_FAIL, "init",
		    "%s holds a validator.key or genesis.json already; refusing to "
		    "overwrite them",
		    home);
	if (nt_cli_mkdirs(home, 0700) != 0)
		return nt_cli_errorf(NT_EXIT_FAIL, "init", "cannot create %s: %s", home,
				     strerror(errno));

	nt_why why = {{0}};
	nt_seckey *k = NULL;
	nt_err e = nt_seckey_generate(&k);
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_FAIL, "init", "cannot generate a key: %s",
				     nt_strerror(e));
	nt_genesis *g = calloc(1, sizeof *g);
	if (g == NULL) {
		nt_seckey_free(k);
		return nt_cli_errorf(NT_EXIT_FAIL, "init", "out of memory");
	}
	snprintf(g->chain_id, sizeof g->chain_id, "%s", chain_id);
	g->genesis_time = nt_cli_now_ms();
	g->vals.n = 1;
	nt_seckey_pubkey(k, &g->vals.keys[0]);
	snprintf(g->vals.names[0], sizeof g->vals.names[0], "%s", name);
	g->version = (uint8_t)format;
	e = nt_genesis_seal(g);
	if (e != NT_OK) {
		nt_seckey_free(k);
		free(g);
		return nt_cli_errorf(NT_EXIT_FAIL, "init", "cannot build the genesis: %s",
				     nt_strerror(e));
	}

	int rc = NT_EXIT_FAIL;
	char *gjson = NULL;
	json_t *cfg = NULL;
	e = nt_keyfile_write(p->key, k, &why);
	if (e != NT_OK) {
		nt_cli_errorf(NT_EXIT_FAIL, "init", "cannot write %s: %s", p->key,
			      why.msg[0] ? why.msg : nt_strerror(e));
		goto out;
	}
	nt_cli_tls_id tid;
	if ((e = nt_cli_tls_make(home, "node0", k, &tid, &why)) != NT_OK) {
		nt_cli_errorf(NT_EXIT_FAIL, "init", "cannot make the TLS certificate: %s", why.msg);
		goto out;
	}
	e = nt_genesis_to_json(g, &gjson);
	if (e != NT_OK) {
		nt_cli_errorf(NT_EXIT_FAIL, "init", "cannot build genesis.json: %s",
			      nt_strerror(e));
		goto out;
	}
	e = nt_cli_write_file(p->genesis, gjson, strlen(gjson), 0644, false, &why);
	if (e != NT_OK) {
		nt_cli_errorf(NT_EXIT_FAIL, "init", "%s", why.msg);
		goto out;
	}
	cfg = nt_config_json("node0", rpc, have_p2p ? p2p : NULL, "auto", NULL);
	if (cfg == NULL) {
		nt_cli_errorf(NT_EXIT_FAIL, "init", "out of memory");
		goto out;
	}
	e = nt_cli_write_json(p->config, cfg, 0644, false, &why);
	if (e != NT_OK) {
		nt_cli_errorf(NT_EXIT_FAIL, "init", "%s", why.msg);
		goto out;
	}

	char pkhex[65], tbuf[40];
	nt_hex_encode(g->vals.keys[0].b, NT_PUBKEY_LEN, pkhex);
	nt_cli_time_human(g->genesis_time, tbuf);
	printf("created %s (mode 0700):\n", home);
	printf("  validator.key  the validator's signing key (mode 0600), public key %s\n", pkhex);
	printf("  genesis.json   chain \"%s\", one validator \"", g->chain_id);
	nt_cli_put_safe(stdout, g->vals.names[0]);
	printf("\", genesis time %s\n", tbuf);
	if (nt_genesis_is_v2(g)) {
		char fp[NT_FINGERPRINT_LEN + 1];
		nt_genesis_fingerprint(&g->genesis_hash, fp);
		printf("                 fingerprint %s\n", fp);
	}
	printf("  config.json    client RPC %s%s%s\n", rpc, have_p2p ? ", peer listen " : "",
	       have_p2p ? p2p : "");
	printf("  tls.key, tls.crt  this node's TLS key (0600) and certificate, for tls+tcp://\n"
	       "                 fingerprint %s\n"
	       "                 binding     %s\n"
	       "                 (other offices list both in their peers: notary tls-cert)\n",
	       tid.fp_hex, tid.bind_hex);
	printf("  data/          the store, created by the node on its first start\n\n");
	printf("Start the node:\n  notaryd --home %s\n", home);
	printf("Then, from another terminal:\n  notary status --node %s\n\n", rpc);
	printf("Give genesis.json to anyone who must verify receipts: it is the trust anchor.\n");
	rc = NT_EXIT_OK;
out:
	json_decref(cfg);
	free(gjson);
	free(g);
	nt_seckey_free(k);
	return rc;
}

int nt_cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"home", required_argument, NULL, 'd'}, {"chain-id", required_argument, NULL, 'c'},
	    {"rpc", required_argument, NULL, 'r'},  {"name", required_argument, NULL, 'n'},
	    {"genesis-format", required_argument, NULL, 'g'},
	    {"help", no_argument, NULL, 'h'},	    {NULL, 0, NULL, 0},
	};
	const char *home = NULL, *chain_id = "local-net", *rpc = NT_CLI_DEFAULT_NODE;
	const char *name = "Notary Office";
	unsigned format = 2;
	int c;
	while ((c = nt_cli_getopt(argc, argv, ":d:c:r:n:g:h", opts)) != -1) {
		switch (c) {
		case 'd':
			home = optarg;
			break;
		case 'c':
			chain_id = optarg;
			break;
		case 'r':
			rpc = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'g':
			if (strcmp(optarg, "1") != 0 && strcmp(optarg, "2") != 0)
				return nt_cli_usage_error(
				    "init", "--genesis-format must be 1 or 2, not '%s'", optarg);
			format = (unsigned)(optarg[0] - '0');
			break;
		case 'h':
			fputs(init_usage, stdout);
			return NT_EXIT_OK;
		default:
			return NT_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return nt_cli_usage_error("init", "unexpected argument '%s'", argv[optind]);
	if (home == NULL || home[0] == '\0')
		return nt_cli_usage_error("init", "--home DIR is required");
	if (!nt_chain_id_valid(chain_id))
		return nt_cli_usage_error("init", "chain id '%s' must be 1-50 of [a-z0-9._-]",
					  chain_id);
	size_t name_max = format == 1 ? NT_VALIDATOR_NAME_MAX_V1 : NT_VALIDATOR_NAME_MAX;
	if (name[0] == '\0' || strlen(name) > name_max)
		return nt_cli_usage_error("init", "--name must be 1-%zu bytes", name_max);
	if (format == 2 && !nt_str8u_valid(name, strlen(name)))
		return nt_cli_usage_error("init",
					  "--name must be UTF-8 text without control characters");
	if (strstr(rpc, "://") == NULL)
		return nt_cli_usage_error("init", "--rpc '%s' is not a URL like %s", rpc,
					  NT_CLI_DEFAULT_NODE);

	init_paths p = {nt_cli_path_join(home, "validator.key"),
			nt_cli_path_join(home, "genesis.json"),
			nt_cli_path_join(home, "config.json")};
	int rc;
	if (p.key == NULL || p.genesis == NULL || p.config == NULL)
		rc = nt_cli_errorf(NT_EXIT_FAIL, "init", "out of memory");
	else
		rc = run_init(home, chain_id, rpc, name, format, &p);
	free(p.key);
	free(p.genesis);
	free(p.config);
	return rc;
}
