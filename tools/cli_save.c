/* nt_cli_write_files: many small files made durable together.
 *
 * Writing receipts one by one costs an fsync of each file and of its
 * directory, one after the other; for a folder of evidence that was most of
 * the time `notary submit` took once the records travel in batches. Here all
 * files are written first, their writeback is started together so that the
 * disk sees them at once, then each is fsynced (mostly already done by then)
 * and renamed, and each directory is fsynced once at the end. Every file is
 * still complete on disk before its name points at it. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/cli.h"

typedef struct {
	char *tmp;
	int fd;
} pending;

/* The length of path's directory part, with its slash (0: the current one). */
static size_t dir_len(const char *path)
{
	return (size_t)(nt_cli_basename(path) - path);
}

/* Gives up on a file: closes and removes its temporary file. */
static void drop(pending *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	if (p->tmp != NULL)
		unlink(p->tmp);
}

/* Creates f's temporary file and writes the data (no fsync yet). */
static void start_file(nt_cli_wfile *f, pending *p, mode_t mode)
{
	size_t plen = strlen(f->path);
	if (plen == 0 || f->path[plen - 1] == '/') {
		f->err = nt_fail(&f->why, NT_ERR_ARG, "'%s' is not a file name", f->path);
		return;
	}
	size_t dlen = dir_len(f->path);
	p->tmp = malloc(plen + 32);
	char *dir = dlen > 0 ? strndup(f->path, dlen) : strdup(".");
	if (p->tmp == NULL || dir == NULL) {
		free(dir);
		f->err = nt_fail(&f->why, NT_ERR_NOMEM, "out of memory");
		return;
	}
	snprintf(p->tmp, plen + 32, "%.*s.%s.tmp-XXXXXX", (int)dlen, f->path,
		 nt_cli_basename(f->path));
	p->fd = mkstemp(p->tmp);
	if (p->fd < 0) {
		int err = errno;
		free(p->tmp);
		p->tmp = NULL; /* nothing to remove */
		f->err = nt_fail(&f->why, err == ENOENT ? NT_ERR_NOT_FOUND : NT_ERR_IO,
				 "cannot create a file in %s: %s", dir, strerror(err));
		free(dir);
		return;
	}
	free(dir);
	if (fchmod(p->fd, mode) != 0 || nt_cli_write_all(p->fd, f->data, f->len) != NT_OK) {
		int err = errno;
		drop(p);
		f->err = nt_fail(&f->why, NT_ERR_IO, "cannot write %s: %s", p->tmp, strerror(err));
		return;
	}
#ifdef SYNC_FILE_RANGE_WRITE
	/* Start the writeback now, for all files, instead of file by file in
	 * the fsyncs below (only a hint: the fsync is what counts). */
	(void)sync_file_range(p->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
}

static void sync_dir(const char *path, size_t dlen)
{
	char *dir = dlen > 0 ? strndup(path, dlen) : strdup(".");
	if (dir == NULL)
		return;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

void nt_cli_write_files(nt_cli_wfile *files, size_t n, mode_t mode)
{
	pending *ps = calloc(n > 0 ? n : 1, sizeof *ps);
	for (size_t i = 0; i < n; i++) {
		files[i].err = NT_OK;
		memset(&files[i].why, 0, sizeof files[i].why);
		if (ps == NULL)
			files[i].err = nt_fail(&files[i].why, NT_ERR_NOMEM, "out of memory");
	}
	if (ps == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		ps[i].fd = -1;
		start_file(&files[i], &ps[i], mode);
	}
	for (size_t i = 0; i < n; i++) {
		nt_cli_wfile *f = &files[i];
		pending *p = &ps[i];
		if (f->err != NT_OK)
			continue;
		int rc = fsync(p->fd);
		int err = errno;
		if (rc == 0) {
			rc = close(p->fd);
			err = errno;
			p->fd = -1;
		}
		if (rc != 0) {
			drop(p);
			f->err = nt_fail(&f->why, NT_ERR_IO, "cannot write %s: %s", p->tmp,
					 strerror(err));
			continue;
		}
		if (rename(p->tmp, f->path) != 0) {
			err = errno;
			drop(p);
			f->err = nt_fail(&f->why, NT_ERR_IO, "cannot rename %s to %s: %s", p->tmp,
					 f->path, strerror(err));
		}
	}
	/* One fsync per directory, after all its renames. */
	for (size_t i = 0; i < n; i++) {
		if (files[i].err != NT_OK || ps[i].tmp == NULL)
			continue;
		size_t dlen = dir_len(files[i].path);
		bool first = true;
		for (size_t j = 0; j < i && first; j++)
			if (files[j].err == NT_OK && ps[j].tmp != NULL &&
			    dir_len(files[j].path) == dlen &&
			    memcmp(files[j].path, files[i].path, dlen) == 0)
				first = false;
		if (first)
			sync_dir(files[i].path, dlen);
	}
	for (size_t i = 0; i < n; i++)
		free(ps[i].tmp);
	free(ps);
}
