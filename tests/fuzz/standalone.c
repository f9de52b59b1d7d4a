/* Runs a fuzz target without libFuzzer: every file of the directories (or
 * the files) named on the command line goes through LLVMFuzzerTestOneInput
 * once, in name order. make test builds each target with gcc and
 * ASan+UBSan against this driver so that the seed corpora and the saved
 * crash regressions stay regression tests on machines without clang.
 *
 *   build/asan/fuzz/fuzz_record tests/fuzz/corpus/record tests/fuzz/regressions/record
 *
 * A directory that does not exist is skipped (a target may have no
 * regressions yet). Exit 0 when every input ran; a sanitizer or a failed
 * property aborts the process, naming the input on stderr first. */
#include "tests/fuzz/fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "standalone: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);
	while (buf != NULL) {
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (len < cap)
			break;
		uint8_t *nb = realloc(buf, cap * 2);
		if (nb == NULL) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = nb;
		cap *= 2;
	}
	int bad = ferror(f) || buf == NULL;
	fclose(f);
	if (bad) {
		fprintf(stderr, "standalone: %s: read failed\n", path);
		free(buf);
		return -1;
	}
	/* Print first so that a crash report can be traced to its input. */
	fprintf(stderr, "standalone: running %s (%zu bytes)\n", path, len);
	/* An exact-size copy, so ASan sees reads one past the end, as libFuzzer would. */
	uint8_t *exact = malloc(len ? len : 1);
	if (exact == NULL) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int run_dir(const char *dir, unsigned *count)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, by_name);
	if (n < 0) {
		fprintf(stderr, "standalone: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;
		if (names[i]->d_name[0] != '.') {
			snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				if (run_file(path) != 0)
					rc = -1;
				else
					(*count)++;
			}
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	int rc = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			if (errno == ENOENT)
				continue;
			fprintf(stderr, "standalone: %s: %s\n", argv[i], strerror(errno));
			rc = 1;
		} else if (S_ISDIR(st.st_mode)) {
			if (run_dir(argv[i], &count) != 0)
				rc = 1;
		} else if (run_file(argv[i]) != 0) {
			rc = 1;
		} else {
			count++;
		}
	}
	printf("standalone: %u inputs ran%s\n", count, rc ? ", some unreadable" : "");
	return rc;
}
