/* notary submit: the prepared records to the node and their receipts back
 * (submit_internal.h). A single file is sent in one `submit` that waits for
 * its block. Several are sent in JSON-RPC batches without waiting, then
 * their receipts are collected with batches of `receipt` calls that wait,
 * and each batch's receipts are written together (nt_cli_write_files). A
 * node that refuses batches gets one request per file, as before batches
 * existed. A request the node refuses for a fair limit (-32007, -32008) is
 * sent again after the wait the node asks for, while the total wait stays
 * within --retry-for (tools/cli_retry.c); the requests of a batch it took
 * are not sent again. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/hex.h"
#include "core/receipt.h"
#include "tools/cli.h"
#include "tools/submit_internal.h"

/* Several files go to the node in JSON-RPC batches (docs/RPC.md): one message
 * per batch instead of one round trip per file, which is what bounded a
 * folder's speed. A batch stays well under the node's 1 MiB request limit. */
#define SUBMIT_BATCH_MAX 64
#define SUBMIT_BATCH_BYTES (512u * 1024)
/* An upper bound on one request's JSON besides the record's hex. */
#define SUBMIT_REQ_OVERHEAD 160u

/* A progress line is on stderr's last line (only ever on a terminal). */
static bool progress_active;

static void item_fail(item *it, const char *fmt, ...) NT_PRINTF(2, 3);
static void item_fail(item *it, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (progress_active)
		fputs("\r\033[K", stderr);
	fprintf(stderr, "%s  %s: ", it->id_hex, it->path);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	it->state = ST_FAILED;
}

/* A "committed" answer: check the receipt is for exactly our record, then
 * keep it for save_receipts. */
static void take_receipt(item *it, const submit_opts *o, json_t *res)
{
	json_t *rj = json_object_get(res, "receipt");
	const char *rid = nt_cli_jstr(res, "record_id", "");
	if (!json_is_object(rj) || strcmp(rid, it->id_hex) != 0) {
		item_fail(it, "%s", "the node's answer has no receipt for this record");
		return;
	}
	if (it->clear_meta != NULL &&
	    strcmp(nt_cli_jstr(rj, "format", ""), NT_RECEIPT_FORMAT_2) != 0) {
		/* A node that is not yet of version 2: its record was
		 * committed, but its receipt format cannot carry it. */
		item_fail(it,
			  "the node answers with %s receipts, which cannot hold a private "
			  "record (record version 2 needs notary-receipt/2)",
			  nt_cli_jstr(rj, "format", "unknown"));
		return;
	}
	if (it->clear_meta != NULL) {
		/* The party's copy of a private record's receipt: the node's
		 * receipt plus the salt and the clear metadata, which only this
		 * file will hold (FORMATS.md "Receipt, version 2"). */
		char salt_hex[2 * SALT_LEN + 1];
		nt_hex_encode(it->salt, SALT_LEN, salt_hex);
		int bad = json_object_set_new(rj, "salt", json_string(salt_hex)) |
			  json_object_set_new(rj, "meta", json_string(it->clear_meta));
		explicit_bzero(salt_hex, sizeof salt_hex);
		if (bad != 0) {
			item_fail(it, "%s", "out of memory");
			return;
		}
	}
	char *text = json_dumps(rj, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	size_t len = text != NULL ? strlen(text) : 0;
	char *t2 = text != NULL ? realloc(text, len + 2) : NULL;
	if (t2 == NULL) {
		free(text);
		item_fail(it, "%s", "out of memory");
		return;
	}
	text = t2;
	memcpy(text + len, "\n", 2);
	len++;

	nt_why why = {{0}};
	nt_receipt *r = NULL;
	if (nt_receipt_parse(text, len, &r, &why) != NT_OK) {
		free(text);
		item_fail(it, "the node sent a malformed receipt: %s", why.msg);
		return;
	}
	bool same = r->record_len == it->rec_len &&
		    memcmp(r->record_bytes, it->rec, it->rec_len) == 0 &&
		    memcmp(r->record_id.b, it->id.b, NT_HASH_LEN) == 0;
	if (!same) {
		free(r);
		free(text);
		item_fail(it, "%s", "the node's receipt is not for the record we sent; not saved");
		return;
	}
	if (o->genesis != NULL &&
	    nt_receipt_verify(r, o->genesis, it->digest, it->digest_len, &why) != NT_OK) {
		free(r);
		free(text);
		item_fail(it, "the receipt does not verify against --genesis: %s; not saved",
			  why.msg);
		return;
	}
	/* Written with the other receipts of its batch (save_receipts). */
	char t[40];
	nt_cli_time_human(nt_commit_time(&r->commit), t);
	it->height = r->height;
	snprintf(it->attested, sizeof it->attested, "%s", t);
	free(r);
	it->text = text;
	it->text_len = len;
	it->state = ST_SAVE;
}

/* Writes the receipts of the k items that have one to save; each is durable
 * when this returns. */
static void save_receipts(item **its, size_t k, mode_t mode)
{
	nt_cli_wfile files[SUBMIT_BATCH_MAX];
	item *which[SUBMIT_BATCH_MAX];
	size_t m = 0;
	for (size_t i = 0; i < k && m < SUBMIT_BATCH_MAX; i++) {
		if (its[i]->state != ST_SAVE)
			continue;
		which[m] = its[i];
		files[m] = (nt_cli_wfile){
		    .path = its[i]->out_path, .data = its[i]->text, .len = its[i]->text_len};
		m++;
	}
	if (m == 0)
		return;
	nt_cli_write_files(files, m, mode);
	for (size_t i = 0; i < m; i++) {
		item *it = which[i];
		free(it->text);
		it->text = NULL;
		if (files[i].err == NT_OK)
			it->state = ST_DONE;
		else
			item_fail(it, "cannot save the receipt: %s", files[i].why.msg);
	}
}

/* Handles one submit/receipt answer; a refusal for a limit reaches here
 * only once retry is spent. Returns false if the node is gone. */
static bool handle(item *it, const submit_opts *o, const nt_cli_retry *retry, nt_rpc_outcome oc,
		   json_t *res, const nt_rpc_status *st)
{
	if (oc == NT_RPC_TRANSPORT) {
		it->at_node = true; /* unknown: it may have arrived */
		item_fail(it, "error: %s", st->message);
		return false;
	}
	if (oc == NT_RPC_ERROR) {
		char msg[600];
		snprintf(msg, sizeof msg, "%s (code %ld)", st->message, st->code);
		if (st->code == NT_RPC_E_NOT_FOUND)
			item_fail(it, "the node no longer knows this record (%s); submit again",
				  msg);
		else if (st->code == NT_RPC_E_BUSY)
			item_fail(it, "the node is busy, try again later: %s", msg);
		else if (nt_cli_rpc_retryable(st) && o->retry_for_ms == 0)
			item_fail(it, "%s; not retried (--retry-for 0): %s",
				  nt_cli_rpc_limit_name(st), msg);
		else if (nt_cli_rpc_retryable(st))
			item_fail(it,
				  "%s; gave up after waiting %.1f s in all (--retry-for %llu): %s",
				  nt_cli_rpc_limit_name(st), (double)retry->waited_ms / 1000.0,
				  (unsigned long long)(o->retry_for_ms / 1000), msg);
		else
			item_fail(it, "error: %s", msg);
		return true;
	}
	const char *status = nt_cli_jstr(res, "status", "");
	if (strcmp(status, "committed") == 0) {
		it->at_node = true;
		take_receipt(it, o, res);
	} else if (strcmp(status, "pending") == 0) {
		it->at_node = true;
		it->state = ST_PENDING;
	} else {
		item_fail(it, "the node answered with an unknown status '%s'", status);
	}
	return true;
}

static int wait_ms_left(uint64_t deadline)
{
	uint64_t now = nt_cli_mono_ms();
	uint64_t left = deadline > now ? deadline - now : 0;
	return (int)(left > NT_CLI_MAX_WAIT_MS ? NT_CLI_MAX_WAIT_MS : left);
}

typedef struct {
	nt_cli_rpc *c;
	const submit_opts *o;
	bool alive;	    /* false once the node is gone */
	bool batches;	    /* false once the node refused a batch as a whole */
	bool progress;	    /* stderr is a terminal and there are many files */
	size_t n, done;	    /* for the progress line */
	uint64_t deadline;  /* for the commit, on the monotonic clock */
	nt_cli_retry retry; /* the waits on the node's limits so far (--retry-for) */
} session;

static void progress_show(session *s, const char *what)
{
	if (!s->progress)
		return;
	fprintf(stderr, "\r\033[Knotary submit: %s %zu/%zu", what, s->done, s->n);
	fflush(stderr);
}

static void progress_clear(const session *s)
{
	if (s->progress)
		fputs("\r\033[K", stderr);
}

/* The params of a submit (the record) or receipt (its id) for it. On out of
 * memory the item has failed and *oom is set. */
static json_t *params_for(item *it, bool submit, int wait, bool *oom)
{
	if (!submit)
		return json_pack("{s:s, s:i}", "record_id", it->id_hex, "wait_ms", wait);
	char *hex = malloc(2 * it->rec_len + 1);
	if (hex == NULL) {
		item_fail(it, "%s", "out of memory");
		*oom = true;
		return NULL;
	}
	nt_hex_encode(it->rec, it->rec_len, hex);
	json_t *params = json_pack("{s:s, s:i}", "record", hex, "wait_ms", wait);
	free(hex);
	return params;
}

/* Waits out a refusal for a limit before its n requests go again, within
 * --retry-for; false: give up. The commit timeout counts from when the node
 * takes a record, so the wait moves it on. */
static bool retry_wait(session *s, const nt_rpc_status *st, unsigned attempt, size_t n)
{
	if (!nt_cli_rpc_retryable(st))
		return false;
	uint64_t before = s->retry.waited_ms;
	progress_clear(s);
	if (!nt_cli_retry_wait(&s->retry, "submit", st, attempt, n))
		return false;
	s->deadline += s->retry.waited_ms - before;
	return true;
}

/* One request for it, sent again while the node refuses it for a limit.
 * Returns false if the node is gone. */
static bool send_one(session *s, item *it, const char *method, int wait)
{
	bool submit = strcmp(method, "submit") == 0;
	for (unsigned attempt = 1;; attempt++) {
		bool oom = false;
		json_t *params = params_for(it, submit, wait, &oom);
		if (oom)
			return true;
		it->sent = true;
		json_t *res = NULL;
		nt_rpc_status st;
		nt_rpc_outcome oc =
		    nt_cli_rpc_call(s->c, method, params, wait + NT_CLI_CONNECT_MS * 2, &res, &st);
		if (oc == NT_RPC_ERROR && retry_wait(s, &st, attempt + 1, 1)) {
			if (!submit)
				wait = wait_ms_left(s->deadline);
			continue;
		}
		bool alive = handle(it, s->o, &s->retry, oc, res, &st);
		json_decref(res);
		return alive;
	}
}

/* One request per item, as the CLI always did: for a single file, and for
 * nodes that do not take batches. Stops at the first item the node is gone
 * for (the rest stay unsent), and receipts when the time is up. */
static void send_each(session *s, item **its, size_t k, const char *method, int wait)
{
	bool submit = strcmp(method, "submit") == 0;
	for (size_t i = 0; i < k && s->alive; i++) {
		if (!submit && (wait = wait_ms_left(s->deadline)) == 0)
			break;
		s->alive = send_one(s, its[i], method, wait);
	}
}

/* One round of a batch: sends go[0..n) as one message and handles the
 * answers. Returns how many items it moved to the front of go to be sent
 * again: those the node refused for a limit, once the wait it asked for is
 * over (the longest of them: one wait per round, not one per request). */
static size_t batch_round(session *s, item **go, size_t n, nt_cli_rpc_req *reqs, const char *method,
			  int wait, unsigned attempt)
{
	bool submit = strcmp(method, "submit") == 0;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		bool oom = false;
		json_t *params = params_for(go[i], submit, wait, &oom);
		if (oom)
			continue;
		go[m] = go[i]; /* compact: items that failed above are not sent */
		reqs[m].method = method;
		reqs[m].params = params;
		if (submit)
			go[m]->sent = true;
		m++;
	}
	if (m == 0)
		return 0;
	nt_rpc_status st;
	nt_rpc_outcome oc = nt_cli_rpc_batch(s->c, reqs, m, wait + NT_CLI_CONNECT_MS * 2, &st);
	if (oc == NT_RPC_ERROR && !nt_cli_rpc_retryable(&st)) {
		/* Nothing was executed (e.g. -32600 from a node without batches):
		 * one request per file from here on. */
		s->batches = false;
		send_each(s, go, m, method, wait);
		return 0;
	}
	/* The connection's own limit answers the whole message: nothing was
	 * executed, so all of it goes again. */
	if (oc == NT_RPC_ERROR && retry_wait(s, &st, attempt + 1, m))
		return m;
	size_t limited = 0;
	const nt_rpc_status *longest = NULL;
	for (size_t i = 0; i < m; i++) {
		if (oc == NT_RPC_RESULT && nt_cli_rpc_retryable(&reqs[i].st)) {
			if (longest == NULL || reqs[i].st.retry_after_ms > longest->retry_after_ms)
				longest = &reqs[i].st;
			limited++;
		} else if (!handle(go[i], s->o, &s->retry, reqs[i].st.outcome, reqs[i].result,
				   &reqs[i].st)) {
			s->alive = false;
		}
		json_decref(reqs[i].result);
		reqs[i].result = NULL;
	}
	bool again = limited > 0 && s->alive && retry_wait(s, longest, attempt + 1, limited);
	size_t k = 0;
	for (size_t i = 0; i < m && limited > 0; i++) {
		if (oc != NT_RPC_RESULT || !nt_cli_rpc_retryable(&reqs[i].st))
			continue;
		if (again)
			go[k++] = go[i];
		else
			handle(go[i], s->o, &s->retry, reqs[i].st.outcome, NULL, &reqs[i].st);
	}
	return k;
}

/* The k items as one batch of `method` requests, in rounds while the node
 * refuses some for a limit; falls back to send_each (now and for the rest
 * of the run) when the node refuses the batch. its is left as it was. */
static void send_batch(session *s, item **its, size_t k, const char *method, int wait)
{
	if (!s->batches || k == 1) {
		send_each(s, its, k, method, wait);
		return;
	}
	bool submit = strcmp(method, "submit") == 0;
	nt_cli_rpc_req *reqs = calloc(k, sizeof *reqs);
	item **go = malloc(k * sizeof *go);
	if (reqs == NULL || go == NULL) {
		free(reqs);
		free(go);
		send_each(s, its, k, method, wait);
		return;
	}
	memcpy(go, its, k * sizeof *go);
	size_t n = k;
	for (unsigned attempt = 1; n > 0 && s->alive; attempt++) {
		n = batch_round(s, go, n, reqs, method, wait, attempt);
		if (!submit)
			wait = wait_ms_left(s->deadline);
	}
	free(reqs);
	free(go);
}

/* The next batch: up to SUBMIT_BATCH_MAX items from items[*from] on that
 * pass keep(), within SUBMIT_BATCH_BYTES of JSON. Advances *from past the
 * items looked at. */
static size_t next_batch(item *items, size_t n, size_t *from, bool (*keep)(const item *),
			 size_t hex_bytes_each, item **out)
{
	size_t k = 0, bytes = 2;
	size_t i = *from;
	for (; i < n && k < SUBMIT_BATCH_MAX; i++) {
		if (!keep(&items[i]))
			continue;
		size_t b =
		    (hex_bytes_each ? hex_bytes_each : 2 * items[i].rec_len) + SUBMIT_REQ_OVERHEAD;
		if (k > 0 && bytes + b > SUBMIT_BATCH_BYTES)
			break;
		bytes += b;
		out[k++] = &items[i];
	}
	*from = i;
	return k;
}

static bool is_unsent(const item *it)
{
	return !it->sent && it->state == ST_PENDING;
}

/* What a person needs to know about a committed record, labelled: the
 * first line of its output is for scripts. */
static void print_labels(const submit_opts *o, const item *it)
{
	char hex[2 * NT_DIGEST_MAX + 1];
	const char *alg = nt_digest_name(o->alg) != NULL ? nt_digest_name(o->alg) : "?";
	nt_hex_encode(it->digest, it->digest_len, hex);
	printf("    Record id:          %s\n"
	       "                        (names the record on the ledger; it is not the file's "
	       "digest)\n",
	       it->id_hex);
	printf("    The file's digest:  %s %s%s\n", alg, hex,
	       it->clear_meta != NULL ? " (private: only its salted digest is on the ledger)" : "");
	printf("    Keep and hand over: %s, with the file %s\n", it->out_path, it->path);
	size_t pl = strlen(it->path);
	bool beside = strncmp(it->out_path, it->path, pl) == 0 &&
		      strcmp(it->out_path + pl, ".receipt.json") == 0;
	printf("                        a judge checks them with: notary verify --genesis "
	       "GENESIS %s%s%s%s\n",
	       beside ? "" : "--receipt ", beside ? "" : it->out_path, beside ? "" : " ", it->path);
}

static bool is_waiting(const item *it)
{
	return it->sent && it->state == ST_PENDING;
}

int nt_submit_run(const submit_opts *o, item *items, size_t n)
{
	nt_why why = {{0}};
	nt_cli_rpc *c = NULL;
	if (nt_cli_rpc_open(o->node, &c, &why) != NT_OK)
		return nt_cli_errorf(NT_EXIT_FAIL, "submit", "cannot use node URL %s: %s", o->node,
				     why.msg);
	/* A quick call first, so that a node that is not running is reported in
	 * seconds rather than after the whole commit timeout. */
	nt_rpc_status st;
	json_t *res = NULL;
	if (nt_cli_rpc_call(c, "status", NULL, NT_CLI_CONNECT_MS, &res, &st) == NT_RPC_TRANSPORT) {
		nt_cli_rpc_close(c);
		nt_cli_rpc_report("submit", &st);
		fprintf(stderr, "notary submit: nothing was submitted.\n");
		return NT_EXIT_FAIL;
	}
	json_decref(res);

	item **batch = malloc(SUBMIT_BATCH_MAX * sizeof *batch);
	if (batch == NULL) {
		nt_cli_rpc_close(c);
		return nt_cli_errorf(NT_EXIT_FAIL, "submit", "out of memory");
	}
	session s = {.c = c,
		     .o = o,
		     .alive = true,
		     .batches = true,
		     .progress = n > SUBMIT_BATCH_MAX && isatty(STDERR_FILENO),
		     .n = n,
		     .retry = {.budget_ms = o->retry_for_ms}};
	progress_active = s.progress;
	/* A private record's receipt holds its salt and clear metadata. */
	mode_t mode = o->private_rec ? 0600 : 0644;
	if (n == 1) {
		/* One file: wait in the submit itself. */
		s.deadline = nt_cli_mono_ms() + o->timeout_ms;
		batch[0] = &items[0];
		send_each(&s, batch, 1, "submit", wait_ms_left(s.deadline));
		save_receipts(batch, 1, mode);
	} else {
		/* Several: send all without waiting, then collect, so that the
		 * first wait covers the block shared by many of them. */
		size_t from = 0;
		while (s.alive && from < n) {
			size_t k = next_batch(items, n, &from, is_unsent, 0, batch);
			if (from >= n) /* the timeout counts from the last record sent */
				s.deadline = nt_cli_mono_ms() + o->timeout_ms;
			if (k == 0)
				break;
			send_batch(&s, batch, k, "submit", 0);
			save_receipts(batch, k, mode);
			s.done = from;
			progress_show(&s, "sent");
		}
	}
	for (size_t i = 0; i < n; i++)
		if (!items[i].sent && items[i].state == ST_PENDING)
			item_fail(&items[i], "%s", "not submitted");
	/* Collect the receipts, the earliest files first; a batch answers when
	 * its last record is committed or the wait is up. */
	while (s.alive) {
		int wait = wait_ms_left(s.deadline);
		if (wait == 0)
			break;
		size_t from = 0;
		size_t k = next_batch(items, n, &from, is_waiting, 64, batch);
		if (k == 0)
			break;
		send_batch(&s, batch, k, "receipt", wait);
		save_receipts(batch, k, mode);
		s.done = 0;
		for (size_t i = 0; i < n; i++)
			s.done += items[i].state == ST_DONE;
		progress_show(&s, "committed");
	}
	progress_clear(&s);
	progress_active = false;
	free(batch);

	int rc = NT_EXIT_OK;
	for (size_t i = 0; i < n; i++) {
		item *it = &items[i];
		if (it->state == ST_DONE) {
			printf("%s  %s -> %s (block %llu, attested %s%s)\n", it->id_hex, it->path,
			       it->out_path, (unsigned long long)it->height, it->attested,
			       it->reused ? "; already notarized" : "");
			if (n == 1)
				print_labels(o, it);
		} else if (it->state == ST_FAILED) {
			rc = NT_EXIT_FAIL;
			/* The node has it, or may have: it may yet commit it. */
			if (it->clear_meta != NULL && it->at_node &&
			    (it->reused || nt_submit_write_pending(it)))
				printf("    %s: its salt and metadata are kept in %s; submitting "
				       "the same file again with the same options is safe and "
				       "completes its receipt.\n",
				       it->path, it->out_path);
		} else if (it->state == ST_PENDING) {
			if (rc == NT_EXIT_OK)
				rc = NT_EXIT_PENDING;
			printf("%s  %s: pending, not committed within %llu s.\n", it->id_hex,
			       it->path, (unsigned long long)(o->timeout_ms / 1000));
			if (it->clear_meta == NULL)
				printf("    Fetch the receipt later with: notary receipt --node %s "
				       "--out %s %s\n",
				       o->node, it->out_path, it->id_hex);
			else if (it->reused || nt_submit_write_pending(it))
				printf("    Its salt and metadata are kept in %s. To complete the "
				       "receipt, submit the same file again with the same options "
				       "(--private); `notary receipt` alone cannot add them.\n",
				       it->out_path);
			else
				rc = NT_EXIT_FAIL;
		}
	}
	size_t done = 0;
	for (size_t i = 0; i < n; i++)
		done += items[i].state == ST_DONE;
	/* For people, indented like every note below a file's line, so that
	 * scripts that read one line per file skip it. */
	if (n > 1 && done > 0)
		printf("    The first column is each record's id (it names the record on the "
		       "ledger; it is not the file's digest).\n"
		       "    Keep each FILE.receipt.json beside its file and hand both over; a "
		       "judge checks them with: notary verify --genesis GENESIS FILE...\n");
	bool any_private = false;
	for (size_t i = 0; i < n; i++)
		any_private |= items[i].state == ST_DONE && items[i].clear_meta != NULL;
	if (any_private)
		fprintf(stderr,
			"notary submit: private records: each receipt file is the only copy of "
			"its record's salt and metadata. Keep it safe, with a backup copy: "
			"without it nothing about the file can be proved.\n");
	if (!s.alive)
		fprintf(stderr,
			"notary submit: lost the node at %s; records marked failed may or "
			"may not have arrived (submitting again is safe).\n",
			o->node);
	nt_cli_rpc_close(c);
	return rc;
}
