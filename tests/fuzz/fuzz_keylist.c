/* Fuzz target: nd_access_read_keys (node/access.h), the access lists an
 * office edits by hand (access.submitters, access.clients), re-read on
 * SIGHUP. The input is the file, written into a private scratch
 * directory.
 *
 * Properties: a refusal says why and returns no list; an accepted list is
 * sorted strictly ascending (deduplicated), NULL exactly when empty, and
 * has at most one key per input line. */
#include "node/access.h"
#include "tests/fuzz/fuzz.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[128];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (path[0] == '\0')
		fz_scratch_path("keylist", "submitters.txt", path, sizeof path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fz_check(fd >= 0);
	fz_check(size == 0 || write(fd, data, size) == (ssize_t)size);
	close(fd);

	nt_pubkey *v = (nt_pubkey *)&path; /* must be replaced or left alone */
	size_t n = 12345;
	nt_why why = {""};
	nt_err e = nd_access_read_keys(path, &v, &n, &why);
	if (e != NT_OK) {
		fz_check(v == (nt_pubkey *)&path && n == 12345);
		fz_check(e == NT_ERR_NOMEM || why.msg[0] != '\0');
		return 0;
	}
	size_t lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	fz_check(n <= lines);
	fz_check((v == NULL) == (n == 0));
	for (size_t i = 1; i < n; i++)
		fz_check(memcmp(v[i - 1].b, v[i].b, NT_PUBKEY_LEN) < 0);
	free(v);
	return 0;
}
