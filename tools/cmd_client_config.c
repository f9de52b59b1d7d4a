/* notary client-config: writes and shows the clerk's client settings file
 * (tools/cli_settings.h), so that a clerk types the node's URL and
 * fingerprint once. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/tls.h"
#include "tools/cli.h"
#include "tools/cli_settings.h"
#include "tools/cli_tls.h"

static const char cc_usage[] =
    "usage: notary client-config --node URL [--ca FILE | --pin SHA256]\n"
    "       notary client-config --show [--node URL] [--ca FILE] [--pin SHA256]\n\n"
    "Writes the client settings file: the node that submit, find, receipt,\n"
    "status, block, validators and valset talk to when no --node is given, and\n"
    "for a tls+tcp:// node the certificate to trust there. It first asks the\n"
    "node for its status with that trust, so a mistyped URL or fingerprint is\n"
    "caught and the file left as it was.\n\n"
    "The file is $NOTARY_CLIENT_CONFIG, else $XDG_CONFIG_HOME/notary/client.json,\n"
    "else ~/.config/notary/client.json. Each setting comes from the flag, else\n"
    "the environment (NOTARY_NODE, NOTARY_NODE_CA / NOTARY_NODE_FINGERPRINT),\n"
    "else the file, else the default (" NT_CLI_DEFAULT_NODE "). The file's\n"
    "ca or pin is used only for the file's own node. notary backup --home does\n"
    "not read the file: it trusts the home's tls.crt.\n\n"
    "Options:\n"
    "  -n, --node URL    the node: tcp://HOST:PORT or tls+tcp://HOST:PORT\n"
    "      --ca FILE     for a tls+tcp:// node: trust exactly the certificates in\n"
    "                    FILE (the node's tls.crt; written as an absolute path)\n"
    "      --pin SHA256  for a tls+tcp:// node: trust only the certificate with\n"
    "                    this fingerprint (notary tls-cert --home DIR prints it)\n"
    "      --show        write nothing: print the settings in effect and where\n"
    "                    each comes from (flag, env, file, default)\n"
    "  -h, --help        show this help\n";

static void show_line(const char *label, const char *v, nt_cli_from from, const char *env)
{
	printf("%-14s%s", label, v != NULL ? v : "-");
	if (from == NT_CLI_FROM_ENV)
		printf("  (env %s)\n", env);
	else if (from != NT_CLI_FROM_NONE)
		printf("  (%s)\n", nt_cli_from_name(from));
	else
		putchar('\n');
}

static int show(const char *flag_node)
{
	int rc = nt_cli_settings_load("client-config");
	if (rc >= 0)
		return rc;
	const nt_cli_settings *s = nt_cli_settings_get();
	nt_cli_from pf;
	char *path = nt_cli_settings_path(&pf);
	printf("%-14s%s", "file",
	       path != NULL ? path : "- (neither HOME nor NOTARY_CLIENT_CONFIG set)");
	if (path != NULL)
		printf("  (%s%s)\n", pf == NT_CLI_FROM_ENV ? "env NOTARY_CLIENT_CONFIG, " : "",
		       s->path != NULL ? "read" : "not found");
	else
		putchar('\n');
	free(path);
	nt_cli_from nf;
	const char *node =
	    nt_cli_settings_pick(flag_node, "NOTARY_NODE", s->node, NT_CLI_DEFAULT_NODE, &nf);
	show_line("node", node, nf, "NOTARY_NODE");
	if (!nt_url_is_tls(node)) {
		printf("%-14s- (a plain node: no certificate)\n", "trust");
		return NT_EXIT_OK;
	}
	const char *ca, *pin;
	nt_cli_from tf = nt_cli_tls_trust_for(node, &ca, &pin);
	show_line("ca", ca, ca != NULL ? tf : NT_CLI_FROM_NONE, "NOTARY_NODE_CA");
	show_line("pin", pin, pin != NULL ? tf : NT_CLI_FROM_NONE, "NOTARY_NODE_FINGERPRINT");
	if (tf == NT_CLI_FROM_NONE && s->node != NULL && (s->ca != NULL || s->pin != NULL))
		printf("(the file's %s is for %s only)\n", s->pin != NULL ? "pin" : "ca", s->node);
	return NT_EXIT_OK;
}

/* The node must answer with exactly the trust being written: a file that
 * names a node it cannot reach would only move the clerk's error to later. */
static int check_node(const char *node)
{
	nt_cli_rpc *c = NULL;
	nt_why why = {{0}};
	if (nt_cli_rpc_open(node, &c, &why) != NT_OK)
		return nt_cli_errorf(NT_EXIT_FAIL, "client-config", "%s; nothing written",
				     why.msg[0] ? why.msg : "cannot open the connection");
	json_t *st = NULL;
	nt_rpc_status rs;
	int rc = NT_EXIT_OK;
	uint64_t height = 0;
	if (nt_cli_rpc_call(c, "status", NULL, NT_CLI_CONNECT_MS, &st, &rs) != NT_RPC_RESULT)
		rc = nt_cli_errorf(NT_EXIT_FAIL, "client-config",
				   "%s did not answer status: %s; nothing written", node,
				   rs.message);
	else if (nt_cli_ju64(st, "height", &height))
		printf("%s answers: chain %s, height %llu\n", node,
		       nt_cli_jstr(st, "chain_id", "?"), (unsigned long long)height);
	json_decref(st);
	nt_cli_rpc_close(c);
	return rc;
}

static int write_settings(const char *node, const char *ca, const char *pin)
{
	nt_why why = {{0}};
	char *path = nt_cli_settings_path(NULL);
	if (path == NULL)
		return nt_cli_errorf(NT_EXIT_USAGE, "client-config",
				     "nowhere to write: set HOME or NOTARY_CLIENT_CONFIG");
	json_t *j = json_pack("{s:s}", "node", node);
	char lower[65];
	if (pin != NULL) {
		for (size_t i = 0; i < 64; i++)
			lower[i] = (char)(pin[i] >= 'A' && pin[i] <= 'F' ? pin[i] + 32 : pin[i]);
		lower[64] = '\0';
	}
	if (j == NULL || (ca != NULL && json_object_set_new(j, "ca", json_string(ca)) != 0) ||
	    (pin != NULL && json_object_set_new(j, "pin", json_string(lower)) != 0)) {
		json_decref(j);
		free(path);
		return nt_cli_errorf(NT_EXIT_FAIL, "client-config", "out of memory");
	}
	int rc = NT_EXIT_OK;
	char *slash = strrchr(path, '/');
	if (slash != NULL && slash != path) {
		*slash = '\0';
		if (nt_cli_mkdirs(path, 0755) != 0)
			rc = nt_cli_errorf(NT_EXIT_FAIL, "client-config", "cannot make %s: %m",
					   path);
		*slash = '/';
	}
	if (rc == NT_EXIT_OK && nt_cli_write_json(path, j, 0644, true, &why) != NT_OK)
		rc = nt_cli_errorf(NT_EXIT_FAIL, "client-config", "%s", why.msg);
	if (rc == NT_EXIT_OK)
		printf("wrote %s\n", path);
	json_decref(j);
	free(path);
	return rc;
}

int nt_cmd_client_config(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"node", required_argument, NULL, 'n'},
	    NT_CLI_TLS_LONGOPTS,
	    {"show", no_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *node = NULL, *ca = NULL, *pin = NULL;
	bool want_show = false;
	int c;
	while ((c = nt_cli_getopt(argc, argv, ":n:h", opts)) != -1) {
		switch (c) {
		case 'n':
			node = optarg;
			break;
		case NT_CLI_OPT_CA:
			ca = optarg;
			nt_cli_tls_option(c, optarg);
			break;
		case NT_CLI_OPT_PIN:
			pin = optarg;
			nt_cli_tls_option(c, optarg);
			break;
		case 's':
			want_show = true;
			break;
		case 'h':
			fputs(cc_usage, stdout);
			return NT_EXIT_OK;
		default:
			return NT_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return nt_cli_usage_error("client-config", "unexpected argument '%s'",
					  argv[optind]);
	if (want_show)
		return show(node);
	if (node == NULL || node[0] == '\0')
		return nt_cli_usage_error("client-config", "--node URL is required (or --show)");
	if (strstr(node, "://") == NULL)
		return nt_cli_usage_error("client-config",
					  "--node must be a URL like tls+tcp://HOST:PORT");
	if (ca != NULL && pin != NULL)
		return nt_cli_usage_error("client-config", "give --ca or --pin, not both");
	bool tls = nt_url_is_tls(node);
	if (tls && ca == NULL && pin == NULL)
		return nt_cli_usage_error("client-config",
					  "%s is TLS: give --ca FILE or --pin SHA256", node);
	if (!tls && (ca != NULL || pin != NULL))
		return nt_cli_usage_error("client-config",
					  "--ca and --pin are for a tls+tcp:// node, not %s", node);
	if (pin != NULL && !nt_cli_settings_pin_ok(pin))
		return nt_cli_usage_error("client-config",
					  "--pin must be 64 hex digits (SHA-256), not '%s'", pin);
	/* The clerk runs later commands from anywhere: keep the CA's full path. */
	char abs[PATH_MAX];
	if (ca != NULL && realpath(ca, abs) == NULL)
		return nt_cli_errorf(NT_EXIT_USAGE, "client-config", "cannot use --ca %s: %m", ca);
	int rc = check_node(node);
	if (rc != NT_EXIT_OK)
		return rc;
	return write_settings(node, ca != NULL ? abs : NULL, pin);
}
