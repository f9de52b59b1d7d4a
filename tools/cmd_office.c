/* notary office init | join: one office's two steps of the set-up ceremony
 * (docs/OPERATIONS.md "Setting up a network of offices"). The validator key
 * is made in the office's home and never leaves it; what travels is the
 * public office.json (to the coordinator) and the genesis file (back). */
#include <dirent.h>
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
#include "tools/office.h"

static const char office_usage[] =
    "usage: notary office init --name NAME --p2p URL [--rpc URL] [--http URL] --out DIR\n"
    "       notary office join --home DIR [--fingerprint FP] [--new] GENESIS\n"
    "                          [OFFICE.json|DIR...]\n\n"
    "The set-up ceremony of a network of offices, in which no office handles\n"
    "another's secret (docs/OPERATIONS.md \"Setting up a network of offices\"):\n\n"
    "init  makes this office's home DIR (mode 0700) with its validator key\n"
    "      (validator.key, 0600; it never leaves DIR) and a public office.json\n"
    "      (name, public key, addresses) to send to the coordinator, who runs\n"
    "      notary genesis assemble. Refuses a DIR that holds a key already.\n"
    "join  once notary genesis check accepts the coordinator's genesis file: copies\n"
    "      it into DIR and writes DIR/config.json with every other office of the\n"
    "      genesis as a peer, from their office files (given one by one, or as\n"
    "      directories of *.json files; none given: the *.json files beside\n"
    "      GENESIS). Refuses what genesis check refuses, an office file that\n"
    "      disagrees with the genesis, and a missing office.\n"
    "      Then: notaryd --home DIR\n"
    "      --new: this office joins a running network later: its key is not in\n"
    "      the genesis; the peers are the offices whose files are given (the\n"
    "      network's current ones). Its node starts as an observer and votes\n"
    "      once the offices add it (notary valset propose --add, approve).\n\n"
    "Options:\n"
    "  -n, --name NAME       the office's name as judges will read it (UTF-8, 1-255\n"
    "                        bytes, no control characters; e.g. \"杭州互联网公证处\")\n"
    "  -p, --p2p URL         where the other offices reach this node (and where it\n"
    "                        listens), e.g. tcp://notary-a.example.org:7401\n"
    "  -r, --rpc URL         the client JSON-RPC URL (default " NT_CLI_DEFAULT_NODE ");\n"
    "                        published in office.json so that the others' nodes can\n"
    "                        fetch blocks from this one when they catch up\n"
    "  -w, --http URL        the verification page's URL (default: the rpc port + 80)\n"
    "  -o, --out DIR         init: the office's home to create\n"
    "  -d, --home DIR        join: the office's home made by init\n"
    "  -f, --fingerprint FP  join: refuse a genesis whose fingerprint is not FP\n"
    "      --new             join: a new office of a running network (above)\n"
    "  -h, --help            show this help\n\n"
    "Example:\n"
    "  notary office init --name \"Notary Office A\" --p2p tcp://10.0.0.1:7401 \\\n"
    "      --rpc tcp://10.0.0.1:7400 --out /srv/notary\n"
    "  notary genesis check genesis.json --home /srv/notary\n"
    "  notary office join --home /srv/notary genesis.json offices/\n";

/* ---- init ---- */

static int office_init(const char *dir, nt_office *o)
{
	char *kpath = nt_cli_path_join(dir, "validator.key");
	char *opath = nt_cli_path_join(dir, NT_OFFICE_FILE);
	char *text = NULL;
	nt_seckey *k = NULL;
	nt_why why = {{0}};
	int rc = NT_EXIT_FAIL;
	nt_err e;
	if (kpath == NULL || opath == NULL) {
		nt_cli_errorf(NT_EXIT_FAIL, "office", "out of memory");
		goto out;
	}
	if (nt_cli_exists(kpath) || nt_cli_exists(opath)) {
		nt_cli_errorf(NT_EXIT_FAIL, "office",
			      "%s holds a validator.key or office.json already; refusing to "
			      "replace an office's key (choose another --out DIR)",
			      dir);
		goto out;
	}
	if (nt_cli_mkdirs(dir, 0700) != 0) {
		nt_cli_errorf(NT_EXIT_FAIL, "office", "cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	if ((e = nt_seckey_generate(&k)) != NT_OK) {
		nt_cli_errorf(NT_EXIT_FAIL, "office", "cannot generate a key: %s", nt_strerror(e));
		goto out;
	}
	nt_seckey_pubkey(k, &o->pubkey);
	if ((e = nt_keyfile_write(kpath, k, &why)) != NT_OK) {
		nt_cli_errorf(NT_EXIT_FAIL, "office", "cannot write %s: %s", kpath,
			      why.msg[0] ? why.msg : nt_strerror(e));
		goto out;
	}
	/* The node's TLS certificate, bound by the new key: office.json carries
	 * it to the other offices (docs/OPERATIONS.md, TLS between offices). */
	nt_cli_tls_id tid;
	char *crt = NULL, *cpath = nt_cli_path_join(dir, "tls.crt");
	size_t clen = 0;
	if (cpath == NULL || nt_cli_tls_make(dir, "office", k, &tid, &why) != NT_OK ||
	    nt_cli_read_file(cpath, NT_OFFICE_CERT_MAX, &crt, &clen, &why) != NT_OK) {
		free(cpath);
		nt_cli_errorf(NT_EXIT_FAIL, "office", "cannot make the TLS certificate: %s",
			      why.msg[0] ? why.msg : "out of memory");
		goto out;
	}
	free(cpath);
	snprintf(o->tls_cert, sizeof o->tls_cert, "%.*s", (int)clen, crt);
	free(crt);
	snprintf(o->tls_cert_sha256, sizeof o->tls_cert_sha256, "%s", tid.fp_hex);
	snprintf(o->tls_binding, sizeof o->tls_binding, "%s", tid.bind_hex);
	if ((text = nt_office_text(o)) == NULL) {
		nt_cli_errorf(NT_EXIT_FAIL, "office", "out of memory");
		goto out;
	}
	if ((e = nt_cli_write_file(opath, text, strlen(text), 0644, false, &why)) != NT_OK) {
		nt_cli_errorf(NT_EXIT_FAIL, "office", "%s", why.msg);
		goto out;
	}
	char pk[65];
	nt_hex_encode(o->pubkey.b, NT_PUBKEY_LEN, pk);
	printf("created %s (mode 0700) for \"", dir);
	nt_cli_put_safe(stdout, o->name);
	printf("\":\n");
	printf("  validator.key  this office's signing key (mode 0600): it never leaves %s\n", dir);
	printf("  tls.key, tls.crt  the node's TLS key (0600) and certificate\n");
	printf("  office.json    public: name, key, p2p %s%s%s, TLS certificate %.16s...\n", o->p2p,
	       o->rpc[0] ? ", rpc " : "", o->rpc, o->tls_cert_sha256);
	printf("public key: %s\n\n", pk);
	printf("Send %s to the network's coordinator (it holds no secret), and read the\n"
	       "public key above to them by phone so that they can check the file they got.\n"
	       "When the coordinator sends back genesis.json and the other offices' files:\n"
	       "  notary genesis check genesis.json --home %s\n"
	       "  notary office join --home %s genesis.json [OFFICE-FILES...]\n",
	       opath, dir, dir);
	rc = NT_EXIT_OK;
out:
	nt_seckey_free(k);
	free(text);
	free(kpath);
	free(opath);
	return rc;
}

/* ---- join ---- */

typedef struct {
	nt_office *o;	  /* by validator index; NULL: no office file yet */
	const char **src; /* the file each came from */
	char **paths;	  /* owned copies of directory entries' paths */
	size_t npaths;
} peer_set;

static const char *keep_path(peer_set *ps, char *p)
{
	char **np = realloc(ps->paths, (ps->npaths + 1) * sizeof *np);
	if (np == NULL) {
		free(p);
		return NULL;
	}
	ps->paths = np;
	ps->paths[ps->npaths++] = p;
	return p;
}

/* Files the ceremony writes (e.g. genesis.json) may share a directory with
 * the office files: in a directory only files that say they are office
 * files count. */
static bool claims_office(const char *path)
{
	char *text = NULL;
	size_t len = 0;
	nt_why why = {{0}};
	if (nt_cli_read_file(path, NT_OFFICE_TEXT_MAX, &text, &len, &why) != NT_OK)
		return true; /* let the parser report it */
	json_t *j = json_loadb(text, len, 0, NULL);
	free(text);
	bool yes = j != NULL && json_is_string(json_object_get(j, "format")) &&
		   strcmp(json_string_value(json_object_get(j, "format")), NT_OFFICE_FORMAT) == 0;
	json_decref(j);
	return yes;
}

static int add_office(const char *path, const nt_genesis *g, const nt_office *me, peer_set *ps)
{
	nt_office o;
	nt_why why = {{0}};
	nt_err e = nt_office_load(path, &o, &why);
	if (e != NT_OK)
		return nt_cli_errorf(e == NT_ERR_NOT_FOUND || e == NT_ERR_IO ? NT_EXIT_USAGE
									     : NT_EXIT_FAIL,
				     "office", "%s", why.msg);
	if (memcmp(o.pubkey.b, me->pubkey.b, NT_PUBKEY_LEN) == 0)
		return NT_EXIT_OK; /* our own, e.g. in a directory of every office's file */
	int idx = nt_valset_index(&g->vals, &o.pubkey);
	if (idx < 0) {
		fprintf(stderr, "notary office: %s (", path);
		nt_cli_put_safe(stderr, o.name);
		fprintf(stderr, ") is not an office of this genesis: its key is not among the "
				"validators\n");
		return NT_EXIT_FAIL;
	}
	if (strcmp(o.name, g->vals.names[idx]) != 0) {
		fprintf(stderr, "notary office: %s names its office \"", path);
		nt_cli_put_safe(stderr, o.name);
		fprintf(stderr, "\", the genesis names that key \"");
		nt_cli_put_safe(stderr, g->vals.names[idx]);
		fprintf(stderr, "\"\n");
		return NT_EXIT_FAIL;
	}
	nt_office *have = &ps->o[idx];
	if (ps->src[idx] != NULL) {
		if (strcmp(have->p2p, o.p2p) != 0 || strcmp(have->rpc, o.rpc) != 0)
			return nt_cli_errorf(NT_EXIT_FAIL, "office",
					     "%s and %s are two different office files for one "
					     "key: keep the right one",
					     ps->src[idx], path);
		return NT_EXIT_OK;
	}
	*have = o;
	ps->src[idx] = path;
	return NT_EXIT_OK;
}

static int add_dir(const char *dir, const nt_genesis *g, const nt_office *me, peer_set *ps)
{
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		return nt_cli_errorf(NT_EXIT_USAGE, "office", "cannot read directory %s: %s", dir,
				     strerror(errno));
	int rc = NT_EXIT_OK;
	for (int i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;
		size_t len = strlen(nm);
		char *p = NULL;
		if (rc == NT_EXIT_OK && nm[0] != '.' && len > 5 &&
		    strcmp(nm + len - 5, ".json") == 0 && (p = nt_cli_path_join(dir, nm)) != NULL) {
			struct stat st;
			if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && claims_office(p)) {
				const char *kept = keep_path(ps, p);
				rc = kept != NULL
					 ? add_office(kept, g, me, ps)
					 : nt_cli_errorf(NT_EXIT_FAIL, "office", "out of memory");
			} else {
				free(p);
			}
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

/* The moniker in logs and status: the office's name, cut at a character
 * boundary to the 64 bytes config.json allows. */
static void moniker_of(const char *name, char out[65])
{
	size_t n = strlen(name);
	if (n > 64) {
		n = 64;
		while (n > 0 && ((unsigned char)name[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(out, name, n);
	out[n] = '\0';
}

/* Writes office o's certificate to home/peers/<key prefix>.crt and lists
 * it in its peer entry p. */
static int add_peer_cert(const char *home, const nt_office *o, json_t *p)
{
	char key[17], rel[64];
	nt_hex_encode(o->pubkey.b, 8, key);
	snprintf(rel, sizeof rel, "peers/%s.crt", key);
	char *dir = nt_cli_path_join(home, "peers"), *path = nt_cli_path_join(home, rel);
	nt_why why = {{0}};
	int rc = NT_EXIT_FAIL;
	if (dir == NULL || path == NULL)
		nt_cli_errorf(NT_EXIT_FAIL, "office", "out of memory");
	else if (nt_cli_mkdirs(dir, 0755) != 0)
		nt_cli_errorf(NT_EXIT_FAIL, "office", "cannot create %s: %s", dir, strerror(errno));
	else if (nt_cli_write_file(path, o->tls_cert, strlen(o->tls_cert), 0644, true, &why) !=
		 NT_OK)
		nt_cli_errorf(NT_EXIT_FAIL, "office", "%s", why.msg);
	else if (json_object_set_new(p, "tls_cert", json_string(rel)) != 0 ||
		 json_object_set_new(p, "tls_fingerprint", json_string(o->tls_cert_sha256)) != 0 ||
		 json_object_set_new(p, "tls_binding", json_string(o->tls_binding)) != 0)
		nt_cli_errorf(NT_EXIT_FAIL, "office", "out of memory");
	else
		rc = NT_EXIT_OK;
	free(dir);
	free(path);
	return rc;
}

static int write_home(const char *home, const char *gpath, const char *gtext, size_t glen,
		      const nt_genesis *g, const nt_office *me, int myidx, const peer_set *ps)
{
	char *gdst = nt_cli_path_join(home, "genesis.json");
	char *cdst = nt_cli_path_join(home, "config.json");
	json_t *peers = json_array();
	int rc = NT_EXIT_FAIL;
	nt_why why = {{0}};
	if (gdst == NULL || cdst == NULL || peers == NULL) {
		nt_cli_errorf(NT_EXIT_FAIL, "office", "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < g->vals.n; i++) {
		if ((int)i == myidx || ps->src[i] == NULL)
			continue;
		json_t *p = json_pack("{s:s}", "p2p", ps->o[i].p2p);
		if (p != NULL && ps->o[i].rpc[0] != '\0')
			json_object_set_new(p, "rpc", json_string(ps->o[i].rpc));
		if (p != NULL && ps->o[i].tls_cert[0] != '\0' &&
		    add_peer_cert(home, &ps->o[i], p) != NT_EXIT_OK) {
			json_decref(p);
			goto out;
		}
		if (p == NULL || json_array_append_new(peers, p) != 0) {
			nt_cli_errorf(NT_EXIT_FAIL, "office", "out of memory");
			goto out;
		}
	}
	if (nt_cli_exists(cdst)) {
		nt_cli_errorf(NT_EXIT_FAIL, "office",
			      "%s exists: this office has joined already (remove it to join "
			      "again; never remove data/ or consensus/ of a validator that ran)",
			      cdst);
		goto out;
	}
	if (nt_cli_exists(gdst)) {
		char *old = NULL;
		size_t olen = 0;
		bool same =
		    nt_cli_read_file(gdst, NT_GENESIS_TEXT_MAX, &old, &olen, &why) == NT_OK &&
		    olen == glen && memcmp(old, gtext, glen) == 0;
		free(old);
		if (!same) {
			nt_cli_errorf(NT_EXIT_FAIL, "office",
				      "%s exists and differs from %s; refusing to replace it", gdst,
				      gpath);
			goto out;
		}
	} else if (nt_cli_write_file(gdst, gtext, glen, 0644, false, &why) != NT_OK) {
		nt_cli_errorf(NT_EXIT_FAIL, "office", "%s", why.msg);
		goto out;
	}
	char moniker[65];
	moniker_of(me->name, moniker);
	const char *rpc = me->rpc[0] ? me->rpc : NT_CLI_DEFAULT_NODE;
	json_t *cfg = nt_config_json(moniker, rpc, me->p2p, me->http[0] ? me->http : NULL, peers);
	peers = NULL; /* taken */
	if (cfg == NULL) {
		nt_cli_errorf(NT_EXIT_FAIL, "office", "out of memory");
		goto out;
	}
	nt_err e = nt_cli_write_json(cdst, cfg, 0644, false, &why);
	json_decref(cfg);
	if (e != NT_OK) {
		nt_cli_errorf(NT_EXIT_FAIL, "office", "%s", why.msg);
		goto out;
	}
	char fp[NT_FINGERPRINT_LEN + 1];
	nt_genesis_fingerprint(&g->genesis_hash, fp);
	printf("joined chain \"%s\", fingerprint %s, as \"", g->chain_id, fp);
	nt_cli_put_safe(stdout, me->name);
	if (myidx >= 0)
		printf("\" (validator %d of %u)\n", myidx, (unsigned)g->vals.n);
	else
		printf("\" as a new office (an observer until the offices add it)\n");
	unsigned npeers = 0;
	for (unsigned i = 0; i < g->vals.n; i++)
		npeers += (int)i != myidx && ps->src[i] != NULL;
	printf("  %s  copied from %s\n", gdst, gpath);
	printf("  %s  rpc %s, p2p %s, %u peer%s:\n", cdst, rpc, me->p2p, npeers,
	       npeers == 1 ? "" : "s");
	for (unsigned i = 0; i < g->vals.n; i++) {
		if ((int)i == myidx || ps->src[i] == NULL)
			continue;
		printf("    %-28s ", ps->o[i].p2p);
		nt_cli_put_safe(stdout, g->vals.names[i]);
		printf("\n");
	}
	printf("\nStart the node:\n  notaryd --home %s\n", home);
	if (myidx < 0) {
		char pk[65];
		nt_hex_encode(me->pubkey.b, NT_PUBKEY_LEN, pk);
		printf("Then ask an office of the network to propose this one, and the others to "
		       "approve:\n  notary valset propose --home DIR --add \"");
		nt_cli_put_safe(stdout, me->name);
		printf("=%s\"\n", pk);
	}
	rc = NT_EXIT_OK;
out:
	json_decref(peers);
	free(gdst);
	free(cdst);
	return rc;
}

static int office_join(const char *home, const char *fpr, bool new_office, int nargs, char **args)
{
	nt_office me;
	int rc = nt_office_home("office", home, &me);
	if (rc != NT_EXIT_OK)
		return rc;
	nt_genesis *g = malloc(sizeof *g);
	peer_set ps = {0};
	char *gtext = NULL;
	size_t glen = 0;
	if (g == NULL)
		return nt_cli_errorf(NT_EXIT_FAIL, "office", "out of memory");
	rc = nt_office_read_genesis("office", args[0], g, &gtext, &glen);
	int myidx = -1;
	if (rc == NT_EXIT_OK)
		rc = nt_office_check_genesis("office", args[0], g, &me, fpr,
					     new_office ? NULL : &myidx);
	if (rc == NT_EXIT_OK) {
		ps.o = calloc(g->vals.n, sizeof *ps.o);
		ps.src = calloc(g->vals.n, sizeof *ps.src);
		if (ps.o == NULL || ps.src == NULL)
			rc = nt_cli_errorf(NT_EXIT_FAIL, "office", "out of memory");
	}
	for (int i = 1; rc == NT_EXIT_OK && i < nargs; i++) {
		struct stat st;
		if (stat(args[i], &st) == 0 && S_ISDIR(st.st_mode))
			rc = add_dir(args[i], g, &me, &ps);
		else
			rc = add_office(args[i], g, &me, &ps);
	}
	if (rc == NT_EXIT_OK && nargs == 1) {
		/* No office files given: those beside the genesis file, as the
		 * coordinator sends them in one folder. */
		char *dir = strdup(args[0]);
		if (dir == NULL) {
			rc = nt_cli_errorf(NT_EXIT_FAIL, "office", "out of memory");
		} else {
			char *slash = strrchr(dir, '/');
			if (slash == NULL)
				strcpy(dir, ".");
			else if (slash == dir)
				dir[1] = '\0';
			else
				*slash = '\0';
			rc = add_dir(dir, g, &me, &ps);
			free(dir);
		}
	}
	unsigned missing = 0, have = 0;
	for (unsigned i = 0; i < g->vals.n; i++)
		have += ps.src != NULL && ps.src[i] != NULL;
	if (rc == NT_EXIT_OK && new_office && have == 0)
		rc =
		    nt_cli_errorf(NT_EXIT_USAGE, "office",
				  "--new needs the office files of the network's offices (at least "
				  "one) for the peers of config.json");
	for (unsigned i = 0; rc == NT_EXIT_OK && !new_office && i < g->vals.n; i++) {
		if ((int)i == myidx || ps.src[i] != NULL)
			continue;
		if (missing++ == 0)
			fprintf(stderr, "notary office: no office file for these offices of the "
					"genesis (their p2p URL is needed for config.json):\n");
		char pk[65];
		nt_hex_encode(g->vals.keys[i].b, NT_PUBKEY_LEN, pk);
		fprintf(stderr, "  %3u  %s  ", i, pk);
		nt_cli_put_safe(stderr, g->vals.names[i]);
		fputc('\n', stderr);
	}
	if (missing > 0) {
		fprintf(stderr,
			"Give their office.json files (or a directory holding them) after "
			"the genesis file%s.\n",
			nargs == 1
			    ? " (none given: only the folder of the genesis file was searched)"
			    : "");
		rc = NT_EXIT_FAIL;
	}
	if (rc == NT_EXIT_OK)
		rc = write_home(home, args[0], gtext, glen, g, &me, myidx, &ps);
	for (size_t i = 0; i < ps.npaths; i++)
		free(ps.paths[i]);
	free(ps.paths);
	free(ps.o);
	free(ps.src);
	free(gtext);
	free(g);
	return rc;
}

/* ---- command ---- */

int nt_cmd_office(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"name", required_argument, NULL, 'n'},
	    {"p2p", required_argument, NULL, 'p'},
	    {"rpc", required_argument, NULL, 'r'},
	    {"http", required_argument, NULL, 'w'},
	    {"out", required_argument, NULL, 'o'},
	    {"home", required_argument, NULL, 'd'},
	    {"fingerprint", required_argument, NULL, 'f'},
	    {"new", no_argument, NULL, 'N'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *name = NULL, *p2p = NULL, *rpc = NULL, *http = NULL, *out = NULL;
	const char *home = NULL, *fpr = NULL;
	bool new_office = false;
	int c;
	while ((c = nt_cli_getopt(argc, argv, ":n:p:r:w:o:d:f:h", opts)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'p':
			p2p = optarg;
			break;
		case 'r':
			rpc = optarg;
			break;
		case 'w':
			http = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'd':
			home = optarg;
			break;
		case 'f':
			fpr = optarg;
			break;
		case 'N':
			new_office = true;
			break;
		case 'h':
			fputs(office_usage, stdout);
			return NT_EXIT_OK;
		default:
			return NT_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return nt_cli_usage_error("office", "give a subcommand: init or join");
	const char *sub = argv[optind];
	int nargs = argc - optind - 1;
	char **args = argv + optind + 1;
	if (strcmp(sub, "init") == 0) {
		if (nargs > 0)
			return nt_cli_usage_error("office", "unexpected argument '%s'", args[0]);
		if (home != NULL || fpr != NULL || new_office)
			return nt_cli_usage_error("office", "init takes --out DIR, not --home, "
							    "--fingerprint or --new");
		if (out == NULL || out[0] == '\0')
			return nt_cli_usage_error("office", "init needs --out DIR");
		if (name == NULL || !nt_str8u_valid(name, strlen(name)))
			return nt_cli_usage_error("office",
						  "init needs --name NAME: 1-%d bytes of UTF-8 "
						  "without control characters",
						  NT_VALIDATOR_NAME_MAX);
		if (p2p == NULL || !nt_office_url_valid(p2p))
			return nt_cli_usage_error("office", "init needs --p2p URL, like "
							    "tcp://HOST:PORT");
		if (rpc != NULL && !nt_office_url_valid(rpc))
			return nt_cli_usage_error("office", "--rpc '%s' is not a URL like %s", rpc,
						  NT_CLI_DEFAULT_NODE);
		if (http != NULL && !nt_office_url_valid(http))
			return nt_cli_usage_error("office",
						  "--http '%s' is not a URL like "
						  "http://127.0.0.1:7480/",
						  http);
		nt_office o;
		memset(&o, 0, sizeof o);
		snprintf(o.name, sizeof o.name, "%s", name);
		snprintf(o.p2p, sizeof o.p2p, "%s", p2p);
		snprintf(o.rpc, sizeof o.rpc, "%s", rpc != NULL ? rpc : "");
		snprintf(o.http, sizeof o.http, "%s", http != NULL ? http : "");
		return office_init(out, &o);
	}
	if (strcmp(sub, "join") == 0) {
		if (name != NULL || p2p != NULL || rpc != NULL || http != NULL || out != NULL)
			return nt_cli_usage_error("office",
						  "join takes --home DIR and files; the office's "
						  "name and addresses come from DIR/office.json");
		if (home == NULL || home[0] == '\0')
			return nt_cli_usage_error("office", "join needs --home DIR");
		if (nargs < 1)
			return nt_cli_usage_error("office", "join needs the genesis file");
		return office_join(home, fpr, new_office, nargs, args);
	}
	return nt_cli_usage_error("office", "unknown subcommand '%s' (init or join)", sub);
}
