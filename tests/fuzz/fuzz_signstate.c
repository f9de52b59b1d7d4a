/* Fuzz target: the validator's sign-state file (node/privval.h), read by
 * nt_privval_open and nt_privval_load at every start. The input is the
 * file; it lives in a private directory on /dev/shm (or /tmp) created once
 * and reused, next to a stale "sign_state.tmp" left as by a crashed save.
 *
 * Properties: open and load agree; a refusal says why and changes nothing
 * on disk (the stale .tmp is still there); an accepted file is exactly the
 * 22-byte encoding of FORMATS (recomputed here with the CRC-32C) of a
 * possible (height, round, step), the stale .tmp is gone, reopening gives
 * the same value, saving it again is a no-op (saving the all-zero "nothing
 * signed" value is refused as malformed), saving a lower value is
 * refused with a reason, and a higher value saved is what the file then
 * holds byte for byte and what a reopen returns. */
#include "base/codec.h"
#include "node/log.h"
#include "node/privval.h"
#include "node/wal.h"
#include "tests/fuzz/fuzz.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static char path[128], tmp[160];

static void setup(void)
{
	if (path[0] != '\0')
		return;
	fz_scratch_path("ss", "sign_state", path, sizeof path);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	/* Removing the stale .tmp is logged at INFO on every input. */
	nt_log_set_level(NT_LOG_ERROR);
}

static void put_file(const char *p, const uint8_t *data, size_t size)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fz_check(fd >= 0);
	fz_check(size == 0 || write(fd, data, size) == (ssize_t)size);
	close(fd);
}

/* The file as FORMATS.md lays it out, built independently of privval.c. */
static void encode(const nt_cons_hrs *h, uint8_t out[NT_PRIVVAL_FILE_SIZE])
{
	nt_writer w;
	nt_writer_init(&w, out, NT_PRIVVAL_FILE_SIZE);
	nt_put_bytes(&w, "NTSS", 4);
	nt_put_u8(&w, 1);
	nt_put_u64(&w, h->height);
	nt_put_u32(&w, h->round);
	nt_put_u8(&w, h->step);
	nt_put_u32(&w, nt_crc32c(0, out, NT_PRIVVAL_FILE_SIZE - 4));
	fz_check(w.ok && w.len == NT_PRIVVAL_FILE_SIZE);
}

static int same(const nt_cons_hrs *a, const nt_cons_hrs *b)
{
	return a->height == b->height && a->round == b->round && a->step == b->step;
}

/* The next value the engine could sign after h; 0 if there is none. */
static int next_hrs(const nt_cons_hrs *h, nt_cons_hrs *n)
{
	*n = *h;
	if (h->step == 0) {
		*n = (nt_cons_hrs){1, 0, NT_STEP_PROPOSE};
	} else if (h->step < NT_STEP_PRECOMMIT) {
		n->step++;
	} else if (h->round < UINT32_MAX) {
		n->round++;
		n->step = NT_STEP_PROPOSE;
	} else if (h->height < UINT64_MAX) {
		*n = (nt_cons_hrs){h->height + 1, 0, NT_STEP_PROPOSE};
	} else {
		return 0;
	}
	return 1;
}

static void check_file(const nt_cons_hrs *h)
{
	uint8_t want[NT_PRIVVAL_FILE_SIZE], got[NT_PRIVVAL_FILE_SIZE + 1];
	encode(h, want);
	int fd = open(path, O_RDONLY);
	fz_check(fd >= 0);
	ssize_t n = read(fd, got, sizeof got);
	close(fd);
	fz_check(n == NT_PRIVVAL_FILE_SIZE && memcmp(got, want, sizeof want) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	put_file(path, data, size);
	put_file(tmp, (const uint8_t *)"torn", 4);

	nt_privval *pv = NULL;
	nt_cons_hrs loaded = {7, 7, 7};
	nt_why why = {""}, why2 = {""};
	nt_err e = nt_privval_open(path, &pv, &why);
	nt_err e2 = nt_privval_load(path, &loaded, &why2);
	fz_check(e == e2);
	if (e != NT_OK) {
		fz_check(why.msg[0] != '\0' && why2.msg[0] != '\0' && pv == NULL);
		fz_check(e == NT_ERR_CORRUPT || e == NT_ERR_IO || e == NT_ERR_NOMEM);
		fz_check(loaded.height == 7 && loaded.round == 7 && loaded.step == 7);
		/* Refused before anything changed. */
		fz_check(access(tmp, F_OK) == 0);
		unlink(tmp);
		return 0;
	}
	fz_check(access(tmp, F_OK) != 0);
	nt_cons_hrs h = nt_privval_get(pv);
	fz_check(same(&h, &loaded));
	fz_check(size == NT_PRIVVAL_FILE_SIZE);
	fz_check(h.step <= NT_STEP_PRECOMMIT);
	fz_check(h.step == 0 ? h.height == 0 && h.round == 0 : h.height >= 1);
	uint8_t want[NT_PRIVVAL_FILE_SIZE];
	encode(&h, want);
	fz_check(memcmp(want, data, size) == 0);

	/* Saving the stored value: NT_OK, file untouched ({0,0,0} is no value
	 * to save: NT_ERR_ARG, documented). */
	if (h.step == 0) {
		fz_check(nt_privval_save(pv, &h, &why) == NT_ERR_ARG && why.msg[0] != '\0');
	} else {
		fz_check(nt_privval_save(pv, &h, &why) == NT_OK);
	}
	check_file(&h);
	nt_privval_free(pv);
	pv = NULL;
	fz_check(nt_privval_open(path, &pv, &why) == NT_OK);
	nt_cons_hrs again = nt_privval_get(pv);
	fz_check(same(&again, &h));

	/* Lower: refused with a reason, nothing changes. */
	if (h.step != 0) {
		nt_cons_hrs low = h;
		if (low.step > NT_STEP_PROPOSE)
			low.step--;
		else if (low.round > 0)
			low.round--;
		else if (low.height > 1)
			low.height--;
		if (nt_privval_cmp(&low, &h) < 0) {
			why.msg[0] = '\0';
			fz_check(nt_privval_save(pv, &low, &why) == NT_ERR_ARG);
			fz_check(why.msg[0] != '\0');
			again = nt_privval_get(pv);
			fz_check(same(&again, &h));
			check_file(&h);
		}
	}

	/* Higher: stored, byte for byte, and read back after a reopen. */
	nt_cons_hrs next;
	if (next_hrs(&h, &next)) {
		fz_check(nt_privval_cmp(&h, &next) < 0);
		e = nt_privval_save(pv, &next, &why);
		if (e != NT_OK)
			fprintf(stderr, "fuzz: save failed: %s\n", why.msg);
		fz_check(e == NT_OK);
		again = nt_privval_get(pv);
		fz_check(same(&again, &next));
		check_file(&next);
		nt_privval_free(pv);
		pv = NULL;
		fz_check(nt_privval_open(path, &pv, &why) == NT_OK);
		again = nt_privval_get(pv);
		fz_check(same(&again, &next));
	}
	nt_privval_free(pv);
	unlink(path);
	return 0;
}
