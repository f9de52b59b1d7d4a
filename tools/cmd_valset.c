/* notary valset: the operators' path for validator-set changes
 * (FORMATS.md "Changing the validator set"; docs/OPERATIONS.md).
 *
 *   propose  one office describes the change and signs its approval
 *   approve  each other office looks at the pending change and signs
 *   pending  what waits for approvals
 *   show     every set the chain had, with the heights it changed
 *
 * An approval is a signature by the office's validator key over the
 * change's approval message; the CLI reads the key from the office's home,
 * asks the office's own node for the chain's state (current set,
 * change_index, genesis_hash), and hands the approval to that node, which
 * checks it and gossips it. Once a quorum of the current set approved, the
 * next block is the change block and the new set runs from the height
 * after it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "core/valset.h"
#include "core/valset_change.h"
#include "crypto/digest.h"
#include "crypto/keys.h"
#include "node/config.h"
#include "node/passfile.h"
#include "tools/cli.h"
#include "tools/cli_tls.h"

static const char valset_usage[] =
    "usage: notary valset propose --home DIR (--add NAME=PUBKEY | --remove PUBKEY |\n"
    "                                         --rotate OLD=NEW)...\n"
    "       notary valset approve --home DIR [CHANGE_ID]\n"
    "       notary valset pending [--home DIR | --node URL] [--json]\n"
    "       notary valset show [--home DIR | --node URL] [--json]\n\n"
    "Changes the network's validator set: add an office, remove one, or rotate\n"
    "one office's key. A change takes effect when a quorum (more than 2/3) of\n"
    "the CURRENT validators approved it: the next block carries the new set and\n"
    "the approvals, and the new set commits every block after it. Needs a\n"
    "version 2 network (notary-genesis/2).\n\n"
    "  propose  run by one office: describes the change, signs this office's\n"
    "           approval with DIR's validator key and hands it to DIR's node;\n"
    "           prints the change id the other offices approve\n"
    "  approve  run by each other office: shows the pending change (only one\n"
    "           may be pending, or give its id or a prefix of it) and signs it\n"
    "  pending  lists the changes waiting for approvals\n"
    "  show     lists every validator set of the chain, from which height\n\n"
    "Options:\n"
    "  --home DIR          the office's node home: its config.json names the node\n"
    "                      (rpc) and the validator key (key_file)\n"
    "  -n, --node URL      node to ask (pending, show; default from --home, else\n"
    "                      $NOTARY_NODE, the client settings file's node, or\n"
    "                      " NT_CLI_DEFAULT_NODE ")\n" NT_CLI_TLS_HELP
    "  --add NAME=PUBKEY   a new office: its name (as judges will read it) and\n"
    "                      the public key its operator got from notary keygen\n"
    "  --remove PUBKEY     the office with this key leaves the set\n"
    "  --rotate OLD=NEW    the office with key OLD signs with key NEW from the\n"
    "                      change on; its name stays. The office puts the new\n"
    "                      key file at DIR/validator.next.key (next_key_file)\n"
    "                      BEFORE the change lands; its node then switches keys\n"
    "                      and wipes the old one\n"
    "  -j, --json          print the node's JSON (pending, show)\n"
    "  -h, --help          show this help\n\n"
    "Examples:\n"
    "  notary valset propose --home office0 --add \"Court of Hangzhou=3b6a...\"\n"
    "  notary valset approve --home office1 9f2c41d0\n"
    "  notary valset show --home office0\n";

#define OP_MAX 16

typedef struct {
	char kind; /* 'a' add, 'r' remove, 't' rotate */
	const char *name;
	nt_pubkey key, key2;
} op;

typedef struct {
	const char *home, *node;
	bool json;
	op ops[OP_MAX];
	size_t nops;
	nt_config cfg;
	bool cfg_ok;
} vs_opts;

/* ---- talking to the node ---- */

static int rpc(const char *cmd, const vs_opts *o, const char *method, json_t *params, json_t **res)
{
	nt_why why = {{0}};
	nt_cli_rpc *c = NULL;
	if (nt_cli_rpc_open(o->node, &c, &why) != NT_OK) {
		json_decref(params);
		return nt_cli_errorf(NT_EXIT_FAIL, cmd, "cannot use node URL %s: %s", o->node,
				     why.msg);
	}
	nt_rpc_status st;
	nt_rpc_outcome oc = nt_cli_rpc_call(c, method, params, NT_CLI_CONNECT_MS, res, &st);
	nt_cli_rpc_close(c);
	return oc == NT_RPC_RESULT ? NT_EXIT_OK : nt_cli_rpc_report(cmd, &st);
}

/* The chain's state as the office's node sees it. */
typedef struct {
	char chain_id[NT_CHAIN_ID_MAX + 1];
	nt_hash genesis_hash;
	uint64_t change_index;
	nt_valset cur;
	nt_hash cur_hash;
} chain_state;

static bool set_from_json(const json_t *arr, nt_valset *s)
{
	memset(s, 0, sizeof *s);
	if (!json_is_array(arr) || json_array_size(arr) == 0 ||
	    json_array_size(arr) > NT_MAX_VALIDATORS)
		return false;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *v = json_array_get(arr, i);
		const char *pk = nt_cli_jstr(v, "pubkey", ""), *nm = nt_cli_jstr(v, "name", "");
		if (nt_hex_decode32(pk, s->keys[i].b) != NT_OK ||
		    strlen(nm) > NT_VALIDATOR_NAME_MAX)
			return false;
		snprintf(s->names[i], sizeof s->names[i], "%s", nm);
	}
	s->n = (uint16_t)json_array_size(arr);
	return true;
}

static int get_state(const char *cmd, const vs_opts *o, chain_state *cs)
{
	json_t *res = NULL;
	int rc = rpc(cmd, o, "validators", NULL, &res);
	if (rc != NT_EXIT_OK)
		return rc;
	const char *gh = nt_cli_jstr(res, "genesis_hash", NULL);
	const char *ch = nt_cli_jstr(res, "chain_id", "");
	rc = NT_EXIT_FAIL;
	if (gh == NULL)
		nt_cli_errorf(rc, cmd,
			      "the node's chain has a version 1 genesis: its validator set is "
			      "fixed (set changes need notary-genesis/2)");
	else if (nt_hex_decode32(gh, cs->genesis_hash.b) != NT_OK || strlen(ch) > NT_CHAIN_ID_MAX ||
		 !nt_cli_ju64(res, "change_index", &cs->change_index) ||
		 !set_from_json(json_object_get(res, "validators"), &cs->cur) ||
		 nt_valset_hash_v2(&cs->cur, &cs->cur_hash) != NT_OK)
		nt_cli_errorf(rc, cmd, "the node's validators answer is malformed");
	else
		rc = NT_EXIT_OK;
	snprintf(cs->chain_id, sizeof cs->chain_id, "%s", ch);
	json_decref(res);
	return rc;
}

/* ---- the office's key ---- */

static int load_home(const char *cmd, vs_opts *o, bool need)
{
	if (o->home == NULL) {
		if (need)
			return nt_cli_usage_error(cmd, "--home DIR is required (the office's node "
						       "home: its key signs the approval)");
		if (o->node == NULL)
			o->node = nt_cli_default_node();
		return NT_EXIT_OK;
	}
	nt_why why = {{0}};
	if (nt_config_load(o->home, &o->cfg, &why) != NT_OK)
		return nt_cli_errorf(NT_EXIT_USAGE, cmd, "cannot read %s/config.json: %s", o->home,
				     why.msg);
	o->cfg_ok = true;
	/* The office's own node, on its operator socket (access.admin) where
	 * it has one: the only place it takes approvals. */
	if (o->node == NULL)
		o->node = o->cfg.access_admin[0] != '\0' ? o->cfg.access_admin : o->cfg.rpc;
	return NT_EXIT_OK;
}

/* Signs the approval of next_hash with the office's key and hands it in. */
static int approve(const char *cmd, vs_opts *o, const chain_state *cs, const uint8_t *set_bytes,
		   size_t set_len, json_t **res)
{
	nt_why why = {{0}};
	nt_seckey *k = NULL;
	if (nt_key_load(o->cfg.key_file, o->cfg.key_passphrase_file, &k, &why) != NT_OK)
		return nt_cli_errorf(NT_EXIT_FAIL, cmd, "cannot read the validator key: %s",
				     why.msg);
	nt_pubkey pk;
	nt_seckey_pubkey(k, &pk);
	int idx = nt_valset_index(&cs->cur, &pk);
	if (idx < 0) {
		nt_seckey_free(k);
		return nt_cli_errorf(NT_EXIT_FAIL, cmd,
				     "this office's key (%s) is not in the current validator set: "
				     "only current validators approve a change",
				     o->cfg.key_file);
	}
	nt_hash next, msg;
	nt_sha256(set_bytes, set_len, &next);
	nt_approval a = {.index = (uint16_t)idx};
	nt_err e = nt_valset_approval_hash(cs->chain_id, &cs->genesis_hash, cs->change_index,
					   &cs->cur_hash, &next, &msg);
	if (e == NT_OK)
		e = nt_sign(k, &msg, &a.sig);
	nt_seckey_free(k);
	uint8_t *wire = NULL;
	size_t wl = 0;
	if (e == NT_OK)
		e = nt_change_encode(cs->change_index, set_bytes, set_len, &a, 1, &wire, &wl);
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_FAIL, cmd, "cannot sign the approval: %s",
				     nt_strerror(e));
	char *hex = malloc(2 * wl + 1);
	if (hex == NULL) {
		free(wire);
		return nt_cli_errorf(NT_EXIT_FAIL, cmd, "out of memory");
	}
	nt_hex_encode(wire, wl, hex);
	free(wire);
	json_t *params = json_pack("{s:s}", "change", hex);
	free(hex);
	return rpc(cmd, o, "valset_approve", params, res);
}

/* ---- describing a change ---- */

static void put_key_name(const nt_pubkey *k, const char *name)
{
	char hx[65];
	nt_hex_encode(k->b, NT_PUBKEY_LEN, hx);
	printf("\"");
	nt_cli_put_safe(stdout, name);
	printf("\" (key %.16s...)", hx);
}

/* What next changes relative to cur, one line per office. */
static void describe(const nt_valset *cur, const nt_valset *next)
{
	for (uint16_t i = 0; i < next->n; i++) {
		int j = nt_valset_index(cur, &next->keys[i]);
		if (j >= 0 && strcmp(cur->names[j], next->names[i]) == 0)
			continue;
		if (j >= 0) {
			printf("  rename ");
			put_key_name(&next->keys[i], cur->names[j]);
			printf(" to \"");
			nt_cli_put_safe(stdout, next->names[i]);
			printf("\"\n");
			continue;
		}
		/* a key not in cur under a name cur has at the same place: a rotation */
		bool rot = i < cur->n && nt_valset_index(next, &cur->keys[i]) < 0 &&
			   strcmp(cur->names[i], next->names[i]) == 0;
		printf(rot ? "  rotate " : "  add    ");
		if (rot) {
			put_key_name(&cur->keys[i], cur->names[i]);
			printf(" to key ");
			char hx[65];
			nt_hex_encode(next->keys[i].b, NT_PUBKEY_LEN, hx);
			printf("%.16s...\n", hx);
		} else {
			put_key_name(&next->keys[i], next->names[i]);
			printf("\n");
		}
	}
	for (uint16_t i = 0; i < cur->n; i++) {
		if (nt_valset_index(next, &cur->keys[i]) >= 0)
			continue;
		bool rot = i < next->n && nt_valset_index(cur, &next->keys[i]) < 0 &&
			   strcmp(cur->names[i], next->names[i]) == 0;
		if (rot)
			continue;
		printf("  remove ");
		put_key_name(&cur->keys[i], cur->names[i]);
		printf("\n");
	}
	printf("  -> %u office%s, quorum %u\n", next->n, next->n == 1 ? "" : "s",
	       nt_valset_quorum(next));
}

static void print_progress(const json_t *res, const char *home_hint)
{
	uint64_t q = 0, idx = 0;
	nt_cli_ju64(res, "quorum", &q);
	nt_cli_ju64(res, "change_index", &idx);
	size_t have = json_array_size(json_object_get(res, "approvals"));
	const char *id = nt_cli_jstr(res, "change_id", "?");
	printf("change %llu, id %.16s: %zu of %llu approvals", (unsigned long long)idx, id, have,
	       (unsigned long long)q);
	if (json_is_true(json_object_get(res, "ready")))
		printf(": ready, the next block carries it\n");
	else
		printf("; each other office runs:\n  notary valset approve --home %s %.8s\n",
		       home_hint, id);
}

/* Shows the change, signs the office's approval, hands it in and says how
 * far the change is. */
static int sign_and_report(const char *cmd, vs_opts *o, const char *verb, const chain_state *cs,
			   const nt_valset *next, const uint8_t *sb, size_t sl)
{
	printf("%s set change %llu on chain ", verb, (unsigned long long)cs->change_index);
	nt_cli_put_safe(stdout, cs->chain_id);
	printf(":\n");
	describe(&cs->cur, next);
	json_t *res = NULL;
	int rc = approve(cmd, o, cs, sb, sl, &res);
	if (rc == NT_EXIT_OK && o->json)
		nt_cli_put_json(stdout, res);
	else if (rc == NT_EXIT_OK)
		print_progress(res, "DIR");
	json_decref(res);
	return rc;
}

/* ---- subcommands ---- */

static int apply_ops(const char *cmd, const vs_opts *o, const nt_valset *cur, nt_valset *next)
{
	*next = *cur;
	for (size_t i = 0; i < o->nops; i++) {
		const op *p = &o->ops[i];
		int at = nt_valset_index(next, &p->key);
		char hx[65];
		nt_hex_encode(p->key.b, NT_PUBKEY_LEN, hx);
		if (p->kind == 'a') {
			if (at >= 0)
				return nt_cli_errorf(
				    NT_EXIT_USAGE, cmd,
				    "--add: key %s is in the set already (as \"%s\")", hx,
				    next->names[at]);
			if (next->n == NT_MAX_VALIDATORS)
				return nt_cli_errorf(
				    NT_EXIT_USAGE, cmd,
				    "--add: the set has %d offices, the most there "
				    "can be",
				    NT_MAX_VALIDATORS);
			next->keys[next->n] = p->key;
			snprintf(next->names[next->n], sizeof next->names[0], "%s", p->name);
			next->n++;
			continue;
		}
		if (at < 0)
			return nt_cli_errorf(NT_EXIT_USAGE, cmd, "--%s: key %s is not in the set",
					     p->kind == 'r' ? "remove" : "rotate", hx);
		if (p->kind == 'r') {
			if (next->n == 1)
				return nt_cli_errorf(NT_EXIT_USAGE, cmd,
						     "--remove: the change would leave no "
						     "validator");
			memmove(&next->keys[at], &next->keys[at + 1],
				(size_t)(next->n - at - 1) * sizeof next->keys[0]);
			memmove(&next->names[at], &next->names[at + 1],
				(size_t)(next->n - at - 1) * sizeof next->names[0]);
			next->n--;
			continue;
		}
		int dup = nt_valset_index(next, &p->key2);
		if (dup >= 0)
			return nt_cli_errorf(NT_EXIT_USAGE, cmd,
					     "--rotate: the new key is in the set already (as "
					     "\"%s\")",
					     next->names[dup]);
		next->keys[at] = p->key2;
	}
	return NT_EXIT_OK;
}

static int cmd_propose(vs_opts *o)
{
	const char *cmd = "valset propose";
	if (o->nops == 0)
		return nt_cli_usage_error(cmd, "say what changes: --add NAME=PUBKEY, --remove "
					       "PUBKEY or --rotate OLD=NEW");
	int rc = load_home(cmd, o, true);
	chain_state *cs = calloc(1, sizeof *cs);
	nt_valset *next = malloc(sizeof *next);
	uint8_t *sb = malloc(NT_VALSET_BYTES_MAX);
	size_t sl = 0;
	if (cs == NULL || next == NULL || sb == NULL)
		rc = nt_cli_errorf(NT_EXIT_FAIL, cmd, "out of memory");
	if (rc == NT_EXIT_OK)
		rc = get_state(cmd, o, cs);
	if (rc == NT_EXIT_OK)
		rc = apply_ops(cmd, o, &cs->cur, next);
	if (rc == NT_EXIT_OK && nt_valset_encode(next, sb, NT_VALSET_BYTES_MAX, &sl) != NT_OK)
		rc = nt_cli_errorf(NT_EXIT_USAGE, cmd,
				   "the new set cannot be encoded (a name is "
				   "not 1..255 bytes of UTF-8 without control "
				   "characters?)");
	if (rc == NT_EXIT_OK)
		rc = sign_and_report(cmd, o, "proposing", cs, next, sb, sl);
	free(cs);
	free(next);
	free(sb);
	return rc;
}

/* The pending change the operator named (an id prefix, or the only one). */
static json_t *pick(const char *cmd, json_t *pending, const char *id, int *rc)
{
	size_t n = json_array_size(pending), hits = 0;
	json_t *hit = NULL;
	for (size_t i = 0; i < n; i++) {
		json_t *c = json_array_get(pending, i);
		const char *cid = nt_cli_jstr(c, "change_id", "");
		if (id == NULL || (strlen(id) > 0 && strncmp(cid, id, strlen(id)) == 0)) {
			hit = c;
			hits++;
		}
	}
	*rc = NT_EXIT_OK;
	if (n == 0)
		*rc = nt_cli_errorf(NT_EXIT_FAIL, cmd,
				    "no set change is pending on this node (did the proposing "
				    "office's node reach this one?)");
	else if (hits == 0)
		*rc = nt_cli_errorf(NT_EXIT_FAIL, cmd,
				    "no pending change has an id starting "
				    "with %s",
				    id);
	else if (hits > 1)
		*rc = nt_cli_usage_error(cmd,
					 "%zu changes are pending: name one by its id (notary "
					 "valset pending)",
					 hits);
	return *rc == NT_EXIT_OK ? hit : NULL;
}

static int cmd_approve(vs_opts *o, const char *id)
{
	const char *cmd = "valset approve";
	if (o->nops > 0)
		return nt_cli_usage_error(cmd, "--add/--remove/--rotate belong to propose");
	int rc = load_home(cmd, o, true);
	chain_state *cs = calloc(1, sizeof *cs);
	nt_valset *next = malloc(sizeof *next);
	uint8_t *sb = malloc(NT_VALSET_BYTES_MAX);
	json_t *pend = NULL;
	size_t sl = 0;
	if (cs == NULL || next == NULL || sb == NULL)
		rc = nt_cli_errorf(NT_EXIT_FAIL, cmd, "out of memory");
	if (rc == NT_EXIT_OK)
		rc = get_state(cmd, o, cs);
	if (rc == NT_EXIT_OK)
		rc = rpc(cmd, o, "valset_pending", NULL, &pend);
	json_t *c = rc == NT_EXIT_OK ? pick(cmd, json_object_get(pend, "pending"), id, &rc) : NULL;
	if (c != NULL) {
		nt_hash want, got;
		if (!set_from_json(json_object_get(c, "validators"), next) ||
		    nt_valset_encode(next, sb, NT_VALSET_BYTES_MAX, &sl) != NT_OK ||
		    nt_hex_decode32(nt_cli_jstr(c, "change_id", ""), want.b) != NT_OK) {
			rc = nt_cli_errorf(NT_EXIT_FAIL, cmd,
					   "the node's pending change is malformed");
		} else {
			nt_sha256(sb, sl, &got);
			if (memcmp(got.b, want.b, NT_HASH_LEN) != 0)
				rc = nt_cli_errorf(NT_EXIT_FAIL, cmd,
						   "the node's pending change does not hash to its "
						   "id");
		}
	}
	if (c != NULL && rc == NT_EXIT_OK)
		rc = sign_and_report(cmd, o, "approving", cs, next, sb, sl);
	json_decref(pend);
	free(cs);
	free(next);
	free(sb);
	return rc;
}

/* The node's answer to method for people, or NULL with *rc the exit code:
 * it failed, or --json printed it as it is. */
static json_t *ask(const char *cmd, vs_opts *o, const char *method, int *rc)
{
	json_t *res = NULL;
	*rc = load_home(cmd, o, false);
	if (*rc == NT_EXIT_OK)
		*rc = rpc(cmd, o, method, NULL, &res);
	if (*rc == NT_EXIT_OK && o->json) {
		nt_cli_put_json(stdout, res);
		json_decref(res);
		res = NULL;
	}
	return res;
}

static int cmd_pending(vs_opts *o)
{
	const char *cmd = "valset pending";
	int rc;
	json_t *res = ask(cmd, o, "valset_pending", &rc);
	if (res == NULL)
		return rc;
	json_t *pend = json_object_get(res, "pending");
	nt_valset *cur = malloc(sizeof *cur), *next = malloc(sizeof *next);
	if (cur == NULL || next == NULL || !set_from_json(json_object_get(res, "current"), cur)) {
		free(cur);
		free(next);
		json_decref(res);
		return nt_cli_errorf(NT_EXIT_FAIL, cmd, "the node's answer is malformed");
	}
	if (json_array_size(pend) == 0)
		printf("no set change is pending\n");
	for (size_t i = 0; i < json_array_size(pend); i++) {
		json_t *c = json_array_get(pend, i);
		uint64_t q = 0;
		nt_cli_ju64(c, "quorum", &q);
		printf("change %s\n", nt_cli_jstr(c, "change_id", "?"));
		if (set_from_json(json_object_get(c, "validators"), next))
			describe(cur, next);
		json_t *ap = json_object_get(c, "approvals");
		printf("  approved by %zu of %llu needed:", json_array_size(ap),
		       (unsigned long long)q);
		for (size_t j = 0; j < json_array_size(ap); j++) {
			printf(j ? ", " : " ");
			nt_cli_put_safe(stdout, nt_cli_jstr(json_array_get(ap, j), "name", "?"));
		}
		printf("\n");
	}
	free(cur);
	free(next);
	json_decref(res);
	return NT_EXIT_OK;
}

static int cmd_show(vs_opts *o)
{
	const char *cmd = "valset show";
	int rc;
	json_t *res = ask(cmd, o, "validators", &rc);
	if (res == NULL)
		return rc;
	printf("chain ");
	nt_cli_put_safe(stdout, nt_cli_jstr(res, "chain_id", "?"));
	const char *fp = nt_cli_jstr(res, "fingerprint", NULL);
	if (fp != NULL)
		printf(" (fingerprint %s)", fp);
	json_t *hist = json_object_get(res, "history");
	printf(": %zu validator set%s\n", json_array_size(hist),
	       json_array_size(hist) == 1 ? "" : "s");
	for (size_t i = 0; i < json_array_size(hist); i++) {
		json_t *e = json_array_get(hist, i);
		uint64_t at = 0, from = 0, q = 0;
		nt_cli_ju64(e, "changed_at", &at);
		nt_cli_ju64(e, "from_height", &from);
		nt_cli_ju64(e, "quorum", &q);
		json_t *vals = json_object_get(e, "validators");
		if (i == 0)
			printf("\nset 0: the genesis set, from height 1");
		else
			printf(
			    "\nset %zu: named by change block %llu (change %zu), from height %llu",
			    i, (unsigned long long)at, i - 1, (unsigned long long)from);
		printf("%s: %zu office%s, quorum %llu, validators_hash %.16s\n",
		       i + 1 == json_array_size(hist) ? " (current)" : "", json_array_size(vals),
		       json_array_size(vals) == 1 ? "" : "s", (unsigned long long)q,
		       nt_cli_jstr(e, "validators_hash", "?"));
		for (size_t j = 0; j < json_array_size(vals); j++) {
			json_t *v = json_array_get(vals, j);
			printf("  %3zu  %s  ", j, nt_cli_jstr(v, "pubkey", "?"));
			nt_cli_put_safe(stdout, nt_cli_jstr(v, "name", ""));
			fputc('\n', stdout);
		}
	}
	json_decref(res);
	return NT_EXIT_OK;
}

/* NAME=PUBKEY (the name may hold '=': the key is after the last one). */
static int parse_op(char kind, const char *arg, op *p)
{
	const char *flag = kind == 'a' ? "--add" : kind == 'r' ? "--remove" : "--rotate";
	p->kind = kind;
	const char *eq = strrchr(arg, '=');
	if (kind == 'r') {
		if (nt_hex_decode32(arg, p->key.b) != NT_OK)
			return nt_cli_usage_error(
			    "valset", "%s: '%s' is not a 64-digit hex public key", flag, arg);
		return NT_EXIT_OK;
	}
	if (eq == NULL || eq == arg)
		return nt_cli_usage_error("valset", "%s wants %s, got '%s'", flag,
					  kind == 'a' ? "NAME=PUBKEY" : "OLD=NEW", arg);
	if (kind == 'a') {
		if (nt_hex_decode32(eq + 1, p->key.b) != NT_OK || !nt_pubkey_valid(&p->key))
			return nt_cli_usage_error("valset", "--add: '%s' is not a valid public key",
						  eq + 1);
		if (!nt_str8u_valid(arg, (size_t)(eq - arg)))
			return nt_cli_usage_error("valset",
						  "--add: the name must be 1..255 bytes of UTF-8 "
						  "without control characters");
		static char names[OP_MAX][NT_VALIDATOR_NAME_MAX + 1];
		static size_t used;
		char *nm = names[used++ % OP_MAX];
		snprintf(nm, sizeof names[0], "%.*s", (int)(eq - arg), arg);
		p->name = nm;
		return NT_EXIT_OK;
	}
	char old[65];
	if ((size_t)(eq - arg) != 64)
		return nt_cli_usage_error("valset", "--rotate: OLD must be 64 hex digits");
	memcpy(old, arg, 64);
	old[64] = '\0';
	if (nt_hex_decode32(old, p->key.b) != NT_OK ||
	    nt_hex_decode32(eq + 1, p->key2.b) != NT_OK || !nt_pubkey_valid(&p->key2))
		return nt_cli_usage_error("valset",
					  "--rotate: OLD and NEW must be valid public keys "
					  "(64 hex digits)");
	return NT_EXIT_OK;
}

int nt_cmd_valset(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"home", required_argument, NULL, 'H'},
	    {"node", required_argument, NULL, 'n'},
	    NT_CLI_TLS_LONGOPTS,
	    {"add", required_argument, NULL, 'a'},
	    {"remove", required_argument, NULL, 'r'},
	    {"rotate", required_argument, NULL, 't'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(valset_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? NT_EXIT_USAGE : NT_EXIT_OK;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "propose") != 0 && strcmp(sub, "approve") != 0 &&
	    strcmp(sub, "pending") != 0 && strcmp(sub, "show") != 0)
		return nt_cli_usage_error("valset",
					  "unknown subcommand '%s' (propose, approve, "
					  "pending, show)",
					  sub);
	static vs_opts o;
	memset(&o, 0, sizeof o);
	int c, rc;
	argc--;
	argv++;
	while ((c = nt_cli_getopt(argc, argv, ":H:n:a:r:t:jh", opts)) != -1) {
		switch (c) {
		case 'H':
			o.home = optarg;
			break;
		case 'n':
			o.node = optarg;
			break;
		case NT_CLI_OPT_CA:
		case NT_CLI_OPT_PIN:
			nt_cli_tls_option(c, optarg);
			break;
		case 'j':
			o.json = true;
			break;
		case 'a':
		case 'r':
		case 't':
			if (o.nops == OP_MAX)
				return nt_cli_usage_error("valset", "at most %d changes at once",
							  OP_MAX);
			if ((rc = parse_op(c == 't' ? 't' : (char)c, optarg, &o.ops[o.nops])) !=
			    NT_EXIT_OK)
				return rc;
			o.nops++;
			break;
		case 'h':
			fputs(valset_usage, stdout);
			return NT_EXIT_OK;
		default:
			return NT_EXIT_USAGE;
		}
	}
	const char *id = NULL;
	if (strcmp(sub, "approve") == 0 && optind < argc)
		id = argv[optind++];
	if (optind < argc)
		return nt_cli_usage_error("valset", "unexpected argument '%s'", argv[optind]);
	if ((rc = nt_cli_settings_load("valset")) >= 0)
		return rc;
	if (strcmp(sub, "propose") == 0)
		rc = cmd_propose(&o);
	else if (strcmp(sub, "approve") == 0)
		rc = cmd_approve(&o, id);
	else if (o.nops > 0)
		rc = nt_cli_usage_error("valset", "--add/--remove/--rotate belong to propose");
	else if (strcmp(sub, "pending") == 0)
		rc = cmd_pending(&o);
	else
		rc = cmd_show(&o);
	if (o.cfg_ok)
		nt_config_free(&o.cfg);
	return rc;
}
