/* Fuzz target: nt_home_state_load (node/home_state.h), DIR/node_state read
 * at every start of a node. The input is the file, in a private directory
 * on /dev/shm (or /tmp) created once and reused.
 *
 * Properties: a refusal is NT_ERR_CORRUPT with a reason naming the file
 * and leaves the output untouched; an accepted file has a chain_id of
 * 1..NT_CHAIN_ID_MAX bytes without a NUL, is a JSON object with version 1
 * and the same facts, and nt_home_state_save of it followed by a load
 * gives the same state back. */
#include "node/home_state.h"
#include "tests/fuzz/fuzz.h"

#include <fcntl.h>
#include <jansson.h>
#include <unistd.h>

static char path[128], path2[128];

static void setup(void)
{
	if (path[0] != '\0')
		return;
	fz_scratch_path("ns", "node_state", path, sizeof path);
	fz_scratch_path("ns", "node_state.again", path2, sizeof path2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fz_check(fd >= 0);
	fz_check(size == 0 || write(fd, data, size) == (ssize_t)size);
	close(fd);

	nt_home_state st, blank;
	memset(&st, 0x5A, sizeof st);
	blank = st;
	nt_why why = {""};
	nt_err e = nt_home_state_load(path, &st, &why);
	if (e != NT_OK) {
		fz_check(e == NT_ERR_CORRUPT || e == NT_ERR_NOMEM);
		fz_check(e == NT_ERR_NOMEM || strstr(why.msg, path) != NULL);
		fz_check(memcmp(&st, &blank, sizeof st) == 0);
		return 0;
	}
	size_t n = strnlen(st.chain_id, sizeof st.chain_id);
	fz_check(n >= 1 && n <= NT_CHAIN_ID_MAX);

	json_t *root = json_loadb((const char *)data, size, 0, NULL);
	fz_check(json_is_object(root));
	fz_check(json_integer_value(json_object_get(root, "version")) == 1);
	fz_check(json_is_true(json_object_get(root, "had_blocks")) == st.had_blocks);
	fz_check(json_is_true(json_object_get(root, "has_signed")) == st.has_signed);
	fz_check(strcmp(json_string_value(json_object_get(root, "chain_id")), st.chain_id) == 0);
	json_decref(root);

	nt_home_state again;
	fz_check(nt_home_state_save(path2, &st, &why) == NT_OK);
	fz_check(nt_home_state_load(path2, &again, &why) == NT_OK);
	fz_check(strcmp(again.chain_id, st.chain_id) == 0);
	fz_check(memcmp(again.validators_hash.b, st.validators_hash.b, NT_HASH_LEN) == 0);
	fz_check(again.had_blocks == st.had_blocks && again.has_signed == st.has_signed);
	return 0;
}
