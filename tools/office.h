/* The set-up ceremony's public office file, office.json (docs/OPERATIONS.md
 * "Setting up a network of offices"), and the checks that notary genesis
 * assemble, notary genesis check and notary office join share.
 *
 * An office file is what one office sends to the coordinator: nothing in it
 * is secret.
 *
 *   { "format": "notary-office/1",
 *     "name": "Notary Office A",
 *     "pubkey": "<hex32>",
 *     "p2p": "tcp://notary-a.example.org:7401",
 *     "rpc": "tcp://notary-a.example.org:7400",        (optional)
 *     "http": "http://notary-a.example.org:7480/",     (optional)
 *     "tls_cert_sha256": "<hex32>",                    (optional)
 *     "tls_cert": "-----BEGIN CERTIFICATE-----...",   (optional)
 *     "tls_binding": "<hex64>" }                       (optional)
 *
 * The TLS members describe the office node's certificate for mutual TLS
 * between offices (docs/CONFIG.md "TLS"): tls_cert is the certificate
 * (PEM), tls_cert_sha256 its fingerprint and tls_binding the office key's
 * signature of it (crypto/tlscert.h). With tls_cert, the other two are
 * required and checked (the fingerprint is the certificate's, the binding
 * verifies under "pubkey"); tls_cert_sha256 alone is accepted (64 hex
 * digits) as before. Other unknown members are ignored, so later versions
 * can add more. */
#ifndef NT_OFFICE_H
#define NT_OFFICE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "base/types.h"
#include "core/genesis.h"
#include "core/valset.h"

#define NT_OFFICE_FORMAT "notary-office/1"
#define NT_OFFICE_FILE "office.json"
#define NT_OFFICE_URL_MAX 512
/* An office file is a few hundred bytes; anything near this is not one. */
#define NT_OFFICE_TEXT_MAX (64 * 1024)
/* A P-256 certificate in PEM is about 600 bytes. */
#define NT_OFFICE_CERT_MAX 4096

typedef struct {
	char name[NT_VALIDATOR_NAME_MAX + 1];
	nt_pubkey pubkey;
	char p2p[NT_OFFICE_URL_MAX + 1];
	char rpc[NT_OFFICE_URL_MAX + 1];       /* "" when the office gave none */
	char http[NT_OFFICE_URL_MAX + 1];      /* "" when the office gave none */
	char tls_cert_sha256[65];	       /* "" when absent */
	char tls_cert[NT_OFFICE_CERT_MAX + 1]; /* PEM; "" when absent */
	char tls_binding[129];		       /* hex; "" when absent */
} nt_office;

/* True if s is a URL we accept in an office file: 1..NT_OFFICE_URL_MAX
 * bytes of printable ASCII without spaces, with "://" after a scheme. */
bool nt_office_url_valid(const char *s);

/* Parses office.json text. NT_ERR_JSON when it is not a notary-office/1
 * object (why says what is wrong), NT_ERR_RANGE for a bad name, key or URL.
 * *out is untouched on failure. */
nt_err nt_office_parse(const char *text, size_t len, nt_office *out, nt_why *why) NT_MUST_CHECK;

/* The rest is tools/office_check.c (it reads files and prints for the CLI). */

/* Reads and parses the office file at path; NT_ERR_NOT_FOUND or NT_ERR_IO
 * when it cannot be read. */
nt_err nt_office_load(const char *path, nt_office *out, nt_why *why) NT_MUST_CHECK;

/* The office file's text (pretty JSON and a newline), malloc'd; NULL when
 * out of memory. */
char *nt_office_text(const nt_office *o);

/* The office of a home made by notary office init: DIR/office.json, checked
 * against DIR/validator.key (the same public key). On failure prints
 * "notary CMD: ..." and returns the exit code (NT_EXIT_USAGE when a file is
 * missing or unreadable, NT_EXIT_FAIL when they disagree). */
int nt_office_home(const char *cmd, const char *home, nt_office *me);

/* The checks of notary genesis check: g is a version 2 genesis, no two of
 * its offices share a name, me's key is in it with me's name, and, when
 * want_fp is not NULL, its fingerprint is want_fp. On failure prints a
 * specific "notary CMD: ..." message and returns NT_EXIT_FAIL; on success
 * returns NT_EXIT_OK and sets *index to me's index. index NULL: me is a
 * new office (office join --new), whose key must NOT be in g. */
int nt_office_check_genesis(const char *cmd, const char *path, const nt_genesis *g,
			    const nt_office *me, const char *want_fp, int *index);

/* Reads and parses a genesis file for the ceremony commands, keeping its
 * exact text (office join copies it byte for byte). On failure prints and
 * returns NT_EXIT_USAGE (unreadable) or NT_EXIT_FAIL (not a genesis). */
int nt_office_read_genesis(const char *cmd, const char *path, nt_genesis *g, char **text,
			   size_t *len);

/* Prints the offices of g in validator order, marking index me (-1: none). */
void nt_office_print_set(const nt_genesis *g, int me);

#endif
