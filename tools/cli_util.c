/* Helpers shared by the notary subcommands: options, files, printing and the
 * JSON-RPC call over net/rpc_client.h. */
#include "tools/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/hex.h"
#include "core/genesis.h"
#include "crypto/digest.h"
#include "crypto/keys.h"
#include "net/rpc_client.h"
#include "node/rpc.h"
#include "tools/cli_tls.h"

/* ---- options ---- */

int nt_cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	opterr = 0; /* our own messages name the subcommand */
	int c = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (c != '?' && c != ':')
		return c;
	const char *opt = (optind > 0 && optind <= argc) ? argv[optind - 1] : "?";
	if (c == ':') {
		nt_cli_usage_error(argv[0], "option '%s' needs a value", opt);
	} else if (optopt != 0) {
		nt_cli_usage_error(argv[0], "unknown option '-%c'", optopt);
	} else {
		nt_cli_usage_error(argv[0], "unknown option '%s'", opt);
	}
	return '?';
}

static void vmsg(const char *cmd, const char *fmt, va_list ap)
{
	fprintf(stderr, "notary %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int nt_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(cmd, fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'notary %s --help'.\n", cmd);
	return NT_EXIT_USAGE;
}

int nt_cli_errorf(int code, const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(cmd, fmt, ap);
	va_end(ap);
	return code;
}

/* Read once per process; freed at exit with the process. */
static nt_cli_settings settings;
static bool settings_loaded;

int nt_cli_settings_load(const char *cmd)
{
	if (settings_loaded)
		return -1;
	char *path = nt_cli_settings_path(NULL);
	if (path == NULL) {
		settings_loaded = true;
		return -1;
	}
	char *text = NULL;
	size_t len = 0;
	nt_why why = {{0}};
	/* A settings file is a few lines; 64 KiB is generous. */
	nt_err e = nt_cli_read_file(path, 64 * 1024, &text, &len, &why);
	if (e == NT_OK)
		e = nt_cli_settings_parse(path, text, len, &settings, &why);
	free(text);
	free(path);
	if (e == NT_ERR_NOT_FOUND)
		e = NT_OK; /* no file: nothing set */
	if (e != NT_OK)
		return nt_cli_errorf(NT_EXIT_USAGE, cmd, "client settings: %s",
				     why.msg[0] ? why.msg : nt_strerror(e));
	settings_loaded = true;
	return -1;
}

const nt_cli_settings *nt_cli_settings_get(void)
{
	return &settings;
}

const char *nt_cli_default_node(void)
{
	return nt_cli_settings_pick(NULL, "NOTARY_NODE", settings.node, NT_CLI_DEFAULT_NODE, NULL);
}

bool nt_cli_parse_u64(const char *s, uint64_t *out)
{
	if (s == NULL || s[0] < '0' || s[0] > '9')
		return false;
	uint64_t v = 0;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return false;
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* ---- time ---- */

uint64_t nt_cli_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t nt_cli_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void nt_cli_time_human(uint64_t ms, char buf[40])
{
	char iso[32];
	nt_time_format(ms, iso);
	/* "2026-11-29T16:00:00.123Z" -> "2026-11-29 16:00:00.123 UTC" */
	size_t n = strlen(iso);
	if (n > 0 && iso[n - 1] == 'Z')
		iso[n - 1] = '\0';
	char *t = strchr(iso, 'T');
	if (t != NULL)
		*t = ' ';
	snprintf(buf, 40, "%s UTC", iso);
}

void nt_cli_iso_human(const char *iso, char buf[64])
{
	uint64_t ms;
	if (iso != NULL && nt_time_parse(iso, &ms) == NT_OK) {
		char tmp[40];
		nt_cli_time_human(ms, tmp);
		snprintf(buf, 64, "%s", tmp);
	} else {
		snprintf(buf, 64, "%s", iso != NULL ? iso : "(unknown)");
	}
}

/* ---- files ---- */

nt_err nt_cli_read_file(const char *path, size_t max, char **out, size_t *len, nt_why *why)
{
	/* O_NONBLOCK so that a FIFO is refused by the check below instead of
	 * blocking in open() until someone writes to it. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		return nt_fail(why, err == ENOENT ? NT_ERR_NOT_FOUND : NT_ERR_IO,
			       "cannot open %s: %s", path, strerror(err));
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return nt_fail(why, NT_ERR_IO, "%s is not a regular file", path);
	}
	/* Do not trust st_size alone (the file may grow): read up to max+1. */
	size_t cap = (size_t)st.st_size < max ? (size_t)st.st_size + 1 : max + 1;
	char *buf = malloc(cap + 1);
	if (buf == NULL) {
		close(fd);
		return nt_fail(why, NT_ERR_NOMEM, "out of memory reading %s", path);
	}
	size_t n = 0;
	for (;;) {
		if (n == cap) {
			if (cap > max)
				break;
			size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			char *nb = realloc(buf, ncap + 1);
			if (nb == NULL) {
				free(buf);
				close(fd);
				return nt_fail(why, NT_ERR_NOMEM, "out of memory reading %s", path);
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = errno;
			free(buf);
			close(fd);
			return nt_fail(why, NT_ERR_IO, "cannot read %s: %s", path, strerror(err));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > max) {
		free(buf);
		return nt_fail(why, NT_ERR_RANGE, "%s is larger than %zu bytes", path, max);
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return NT_OK;
}

nt_err nt_cli_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return NT_ERR_IO;
		p += w;
		len -= (size_t)w;
	}
	return NT_OK;
}

static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

nt_err nt_cli_write_file(const char *path, const void *data, size_t len, mode_t mode,
			 bool overwrite, nt_why *why)
{
	size_t plen = strlen(path);
	if (plen == 0 || path[plen - 1] == '/')
		return nt_fail(why, NT_ERR_ARG, "'%s' is not a file name", path);
	const char *base = nt_cli_basename(path);
	size_t dlen = (size_t)(base - path); /* directory part, with its slash */
	char *dir = dlen > 0 ? strndup(path, dlen) : strdup(".");
	char *tmp = malloc(plen + 32);
	if (dir == NULL || tmp == NULL) {
		free(dir);
		free(tmp);
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	}
	snprintf(tmp, plen + 32, "%.*s.%s.tmp-XXXXXX", (int)dlen, path, base);
	const char *dirname = dir;

	nt_err e = NT_OK;
	int fd = mkstemp(tmp);
	if (fd < 0) {
		e = nt_fail(why, errno == ENOENT ? NT_ERR_NOT_FOUND : NT_ERR_IO,
			    "cannot create a file in %s: %s", dirname, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) != 0 || nt_cli_write_all(fd, data, len) != NT_OK || fsync(fd) != 0) {
		int err = errno;
		close(fd);
		unlink(tmp);
		e = nt_fail(why, NT_ERR_IO, "cannot write %s: %s", tmp, strerror(err));
		goto out;
	}
	if (close(fd) != 0) {
		unlink(tmp);
		e = nt_fail(why, NT_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (overwrite) {
		if (rename(tmp, path) != 0) {
			int err = errno;
			unlink(tmp);
			e = nt_fail(why, NT_ERR_IO, "cannot rename %s to %s: %s", tmp, path,
				    strerror(err));
			goto out;
		}
	} else {
		/* link() fails with EEXIST instead of replacing: no check-then-act race. */
		int rc = link(tmp, path);
		int err = errno;
		unlink(tmp);
		if (rc != 0) {
			e = nt_fail(why, err == EEXIST ? NT_ERR_EXISTS : NT_ERR_IO, "%s: %s", path,
				    err == EEXIST ? "already exists; refusing to overwrite it"
						  : strerror(err));
			goto out;
		}
	}
	sync_dir(dirname);
out:
	free(dir);
	free(tmp);
	return e;
}

bool nt_cli_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

const char *nt_cli_basename(const char *path)
{
	const char *s = strrchr(path, '/');
	return s != NULL ? s + 1 : path;
}

int nt_cli_mkdirs(const char *path, mode_t mode)
{
	char *p = strdup(path);
	if (p == NULL)
		return -1;
	for (char *s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	int rc = mkdir(p, mode);
	free(p);
	if (rc != 0 && errno != EEXIST)
		return -1;
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

char *nt_cli_path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *s = malloc(n);
	if (s != NULL)
		snprintf(s, n, "%s/%s", dir, name);
	return s;
}

/* ---- node homes ---- */

nt_err nt_cli_write_json(const char *path, const json_t *j, mode_t mode, bool overwrite,
			 nt_why *why)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (s == NULL)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	size_t n = strlen(s);
	char *s2 = realloc(s, n + 2);
	if (s2 == NULL) {
		free(s);
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	}
	memcpy(s2 + n, "\n", 2);
	nt_err e = nt_cli_write_file(path, s2, n + 1, mode, overwrite, why);
	free(s2);
	return e;
}

/* ---- printing ---- */

void nt_cli_put_safe(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p != '\0') {
		if (*p < 0x20 || *p == 0x7f) {
			fputc('?', f);
			p++;
		} else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			/* C1 control characters (U+0080..U+009F) */
			fputc('?', f);
			p += 2;
		} else if (p[0] == 0xe2 && p[1] == 0x80 &&
			   ((p[2] >= 0x8e && p[2] <= 0x8f) || (p[2] >= 0xaa && p[2] <= 0xae))) {
			/* LRM, RLM, LRE..RLO: could make "gpj.exe" read as "exe.jpg" */
			fputc('?', f);
			p += 3;
		} else if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9) {
			/* LRI..PDI */
			fputc('?', f);
			p += 3;
		} else {
			fputc(*p, f);
			p++;
		}
	}
}

void nt_cli_put_json(FILE *f, const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (s != NULL) {
		fputs(s, f);
		fputc('\n', f);
		free(s);
	}
}

void nt_cli_hex32(const uint8_t *h, char buf[65])
{
	nt_hex_encode(h, 32, buf);
}

/* ---- JSON-RPC ---- */

struct nt_cli_rpc {
	nt_rpc_client *client;
	char *url;
	json_int_t next_id;
};

nt_err nt_cli_rpc_open(const char *url, nt_cli_rpc **out, nt_why *why)
{
	nt_cli_rpc *c = calloc(1, sizeof *c);
	if (c == NULL)
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	c->url = strdup(url);
	if (c->url == NULL) {
		free(c);
		return nt_fail(why, NT_ERR_NOMEM, "out of memory");
	}
	nt_tls_opts tls;
	char *hold = NULL;
	nt_err e = nt_cli_tls_client(url, &tls, &hold, why);
	if (e == NT_OK)
		e = nt_rpc_client_open_ex(url, &tls, &c->client, why);
	free(hold);
	if (e != NT_OK) {
		free(c->url);
		free(c);
		return e;
	}
	c->next_id = 1;
	*out = c;
	return NT_OK;
}

void nt_cli_rpc_close(nt_cli_rpc *c)
{
	if (c == NULL)
		return;
	nt_rpc_client_close(c->client);
	free(c->url);
	free(c);
}

const char *nt_cli_rpc_url(const nt_cli_rpc *c)
{
	return c->url;
}

static nt_rpc_outcome transport(nt_rpc_status *st, const char *fmt, ...) NT_PRINTF(2, 3);
static nt_rpc_outcome transport(nt_rpc_status *st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->message, sizeof st->message, fmt, ap);
	va_end(ap);
	st->outcome = NT_RPC_TRANSPORT;
	st->code = 0;
	return NT_RPC_TRANSPORT;
}

/* One JSON-RPC response object (alone or an element of a batch answer) to an
 * outcome. A result must carry the id we sent; an error is taken whatever its
 * id (a node answers a request it could not parse with id null). */
static nt_rpc_outcome take_answer(const nt_cli_rpc *c, json_t *doc, json_int_t id, json_t **result,
				  nt_rpc_status *st)
{
	if (!json_is_object(doc))
		return transport(st, "the node at %s answered with something that is not JSON-RPC",
				 c->url);
	json_t *err = json_object_get(doc, "error");
	json_t *res = json_object_get(doc, "result");
	if (json_is_object(err)) {
		st->outcome = NT_RPC_ERROR;
		json_t *code = json_object_get(err, "code");
		st->code = json_is_integer(code) ? (long)json_integer_value(code) : 0;
		const char *msg = nt_cli_jstr(err, "message", "(no message)");
		snprintf(st->message, sizeof st->message, "%s", msg);
		st->retry_after_ms = 0;
		nt_cli_ju64(json_object_get(err, "data"), "retry_after_ms", &st->retry_after_ms);
		return NT_RPC_ERROR;
	}
	json_t *rid = json_object_get(doc, "id");
	if (res == NULL || !json_is_integer(rid) || json_integer_value(rid) != id)
		return transport(st, "the node at %s sent a malformed JSON-RPC answer", c->url);
	*result = json_incref(res);
	st->outcome = NT_RPC_RESULT;
	return NT_RPC_RESULT;
}

static const nt_seckey *signer;

void nt_cli_rpc_sign_with(const nt_seckey *k)
{
	signer = k;
}

const char *nt_cli_passphrase_file(const char *opt)
{
	if (opt != NULL)
		return opt;
	const char *env = getenv("NOTARY_PASSPHRASE_FILE");
	return env != NULL && env[0] != '\0' ? env : NULL;
}

void nt_cli_key_fingerprint(const nt_pubkey *pk, char out[36])
{
	nt_hash h;
	nt_sha256(pk->b, NT_PUBKEY_LEN, &h);
	nt_genesis_fingerprint(&h, out);
}

/* A request object; params is stolen (NULL for none). NULL when out of memory. */
static json_t *request_json(const char *method, json_t *params, json_int_t id)
{
	if (signer != NULL && strcmp(method, "submit") != 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t now = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
		if (params == NULL)
			params = json_object();
		if (params == NULL || nt_rpc_auth_add(params, method, signer, now) != NT_OK) {
			json_decref(params);
			return NULL;
		}
	}
	json_t *req = json_pack("{s:s, s:I, s:s}", "jsonrpc", "2.0", "id", id, "method", method);
	if (req == NULL) {
		json_decref(params);
		return NULL;
	}
	if (params != NULL && json_object_set_new(req, "params", params) != 0) {
		json_decref(req);
		return NULL;
	}
	return req;
}

/* Sends req (a request object or an array of them; reference stolen) and
 * parses the answer into *doc. */
static nt_rpc_outcome exchange(nt_cli_rpc *c, json_t *req, int timeout_ms, json_t **doc,
			       nt_rpc_status *st)
{
	char *body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (body == NULL)
		return transport(st, "out of memory");

	char *resp = NULL;
	size_t resp_len = 0;
	nt_why why = {{0}};
	nt_err e =
	    nt_rpc_client_call(c->client, body, strlen(body), timeout_ms, &resp, &resp_len, &why);
	free(body);
	if (e != NT_OK) {
		if (why.msg[0] != '\0')
			return transport(st, "%s", why.msg);
		return transport(st, "no answer from a node at %s within %d s (%s)", c->url,
				 timeout_ms / 1000, nt_strerror(e));
	}
	json_error_t jerr;
	*doc = json_loadb(resp, resp_len, 0, &jerr);
	free(resp);
	if (*doc == NULL)
		return transport(st, "the node at %s answered with something that is not JSON-RPC",
				 c->url);
	return NT_RPC_RESULT;
}

nt_rpc_outcome nt_cli_rpc_call(nt_cli_rpc *c, const char *method, json_t *params, int timeout_ms,
			       json_t **result, nt_rpc_status *st)
{
	memset(st, 0, sizeof *st);
	json_int_t id = c->next_id++;
	json_t *req = request_json(method, params, id);
	if (req == NULL)
		return transport(st, "out of memory");
	json_t *doc = NULL;
	if (exchange(c, req, timeout_ms, &doc, st) != NT_RPC_RESULT)
		return NT_RPC_TRANSPORT;
	nt_rpc_outcome oc = take_answer(c, doc, id, result, st);
	json_decref(doc);
	return oc;
}

static void batch_status_all(nt_cli_rpc_req *reqs, size_t n, const nt_rpc_status *st)
{
	for (size_t i = 0; i < n; i++)
		reqs[i].st = *st;
}

nt_rpc_outcome nt_cli_rpc_batch(nt_cli_rpc *c, nt_cli_rpc_req *reqs, size_t n, int timeout_ms,
				nt_rpc_status *st)
{
	memset(st, 0, sizeof *st);
	json_t *arr = json_array();
	json_int_t first = c->next_id;
	c->next_id += (json_int_t)n;
	bool oom = arr == NULL;
	for (size_t i = 0; i < n; i++) {
		reqs[i].result = NULL;
		memset(&reqs[i].st, 0, sizeof reqs[i].st);
		json_t *params = reqs[i].params;
		reqs[i].params = NULL;
		if (oom) {
			json_decref(params);
			continue;
		}
		json_t *req = request_json(reqs[i].method, params, first + (json_int_t)i);
		if (req == NULL || json_array_append_new(arr, req) != 0)
			oom = true;
	}
	if (oom || n == 0) {
		json_decref(arr);
		transport(st, "%s", n == 0 ? "empty batch" : "out of memory");
		batch_status_all(reqs, n, st);
		return NT_RPC_TRANSPORT;
	}
	json_t *doc = NULL;
	if (exchange(c, arr, timeout_ms, &doc, st) != NT_RPC_RESULT) {
		batch_status_all(reqs, n, st);
		return NT_RPC_TRANSPORT;
	}
	nt_rpc_outcome oc;
	if (json_is_array(doc) && json_array_size(doc) == n) {
		/* The answer keeps the order of the requests (docs/RPC.md). */
		for (size_t i = 0; i < n; i++)
			take_answer(c, json_array_get(doc, i), first + (json_int_t)i,
				    &reqs[i].result, &reqs[i].st);
		st->outcome = oc = NT_RPC_RESULT;
	} else if (json_is_object(doc)) {
		/* One answer for the whole message: an error such as -32600 from a
		 * node without batches, or -32004 (too large). A result here is
		 * nonsense and take_answer says so. */
		json_t *ignored = NULL;
		oc = take_answer(c, doc, -1, &ignored, st);
		json_decref(ignored);
		if (oc == NT_RPC_RESULT)
			oc = transport(st, "the node at %s sent a malformed JSON-RPC answer",
				       c->url);
		batch_status_all(reqs, n, st);
	} else {
		oc = transport(st, "the node at %s sent a malformed JSON-RPC answer", c->url);
		batch_status_all(reqs, n, st);
	}
	json_decref(doc);
	return oc;
}

int nt_cli_rpc_report(const char *cmd, const nt_rpc_status *st)
{
	if (st->outcome == NT_RPC_ERROR) {
		fputs("error: ", stderr);
		nt_cli_put_safe(stderr, st->message);
		fprintf(stderr, " (code %ld)\n", st->code);
	} else {
		fprintf(stderr, "error: %s\n", st->message);
		fprintf(stderr,
			"notary %s: choose the node with --node URL, the NOTARY_NODE "
			"environment variable or notary client-config.\n",
			cmd);
	}
	return NT_EXIT_FAIL;
}

const char *nt_cli_jstr(const json_t *obj, const char *key, const char *dflt)
{
	const json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : dflt;
}

bool nt_cli_ju64(const json_t *obj, const char *key, uint64_t *out)
{
	const json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

nt_err nt_cli_read_stdin(size_t max, char **out, size_t *len)
{
	size_t cap = 1 << 16, n = 0, k;
	char *text = malloc(cap);
	if (text == NULL)
		return NT_ERR_NOMEM;
	while ((k = fread(text + n, 1, cap - n - 1, stdin)) > 0) {
		n += k;
		if (n + 1 < cap)
			continue;
		char *t = cap < max ? realloc(text, cap * 2) : NULL;
		if (t == NULL) {
			free(text);
			return cap < max ? NT_ERR_NOMEM : NT_ERR_RANGE;
		}
		text = t;
		cap *= 2;
	}
	if (ferror(stdin)) {
		free(text);
		return NT_ERR_IO;
	}
	text[n] = '\0';
	*out = text;
	if (len != NULL)
		*len = n;
	return NT_OK;
}
