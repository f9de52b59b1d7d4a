/* notary: the command-line tool for parties, judges' clerks and node
 * operators. main() only dispatches; each subcommand lives in cmd_*.c and
 * returns its exit code (tools/cli.h). */
#include <stdio.h>
#include <string.h>

#include "tools/cli.h"

static const nt_cli_cmd commands[] = {
    {"keygen", nt_cmd_keygen, "create a new signing key file"},
    {"key", nt_cmd_key, "show a key file's public key and fingerprint (key show --key F)"},
    {"init", nt_cmd_init, "create a one-validator network in a home directory"},
    {"testnet", nt_cmd_testnet, "create (and run) a local network of N validators"},
    {"submit", nt_cmd_submit, "notarize files: hash locally, sign, submit, save receipts"},
    {"verify", nt_cmd_verify, "check a receipt (and file) offline against a genesis file"},
    {"certificate", nt_cmd_certificate, "write a printable evidence certificate (PDF, QR code)"},
    {"qr", nt_cmd_qr, "decode a certificate's QR code or receipt block into a receipt"},
    {"genesis", nt_cmd_genesis, "fingerprint, assemble (coordinator) or check (office) a genesis"},
    {"office", nt_cmd_office, "set up an office of a network: init (key, office.json), join"},
    {"find", nt_cmd_find, "ask a node whether a file (or digest) was notarized"},
    {"receipt", nt_cmd_receipt, "fetch the receipt of a record by its id"},
    {"status", nt_cmd_status, "show a node's chain, height and mempool"},
    {"block", nt_cmd_block, "show a block by height"},
    {"validators", nt_cmd_validators, "list the network's validators"},
    {"valset", nt_cmd_valset, "change the validator set: propose, approve, pending, show"},
    {"web", nt_cmd_web, "write the in-browser verification page for offline use"},
    {"backup", nt_cmd_backup, "back up a running node's chain, genesis and config to one file"},
    {"restore", nt_cmd_restore, "make a new node home from a backup, every block checked again"},
    {"audit", nt_cmd_audit, "re-check a stopped node's whole store offline"},
    {"tls-cert", nt_cmd_tls, "a node's TLS certificate fingerprint and binding, for peers"},
    {"client-config", nt_cmd_client_config,
     "write or show the clerk's settings: default node, its pin or CA"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
	fprintf(f, "usage: notary COMMAND [OPTIONS] [ARGS]\n"
		   "       notary COMMAND --help\n"
		   "       notary --version\n\n"
		   "Evidence notarization ledger client.\n\nCommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
		"\nExit codes: 0 ok (valid), 1 failed / invalid / not found, 2 usage error or\n"
		"unreadable input, 3 submitted but still pending.\n"
		"Node commands use --node URL (default $NOTARY_NODE, then the client settings\n"
		"file that notary client-config writes, then %s).\n\n"
		"Example:\n"
		"  notary keygen --out party.key\n"
		"  notary submit --key party.key contract.pdf\n"
		"  notary verify --genesis genesis.json --receipt contract.pdf.receipt.json "
		"contract.pdf\n",
		NT_CLI_DEFAULT_NODE);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return NT_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		if (argc > 2 && strcmp(name, "help") == 0) {
			/* "notary help submit" == "notary submit --help" */
			for (size_t i = 0; i < NCOMMANDS; i++) {
				if (strcmp(argv[2], commands[i].name) == 0) {
					char *sub[] = {argv[2], "--help", NULL};
					return commands[i].fn(2, sub);
				}
			}
		}
		usage(stdout);
		return NT_EXIT_OK;
	}
	if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0 ||
	    strcmp(name, "version") == 0) {
		printf("notary %s\n", NT_VERSION);
		return NT_EXIT_OK;
	}
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(name, commands[i].name) == 0) {
			int rc = commands[i].fn(argc - 1, argv + 1);
			fflush(stdout);
			return rc;
		}
	}
	fprintf(stderr, "notary: unknown command '%s'\n", name);
	fprintf(stderr, "Try 'notary --help'.\n");
	return NT_EXIT_USAGE;
}
