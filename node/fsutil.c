#include "node/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int nt_fs_open_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (slash == path)
		return open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t n = (size_t)(slash - path);
	char *dir = malloc(n + 1);
	if (dir == NULL) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(dir, path, n);
	dir[n] = '\0';
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int saved = errno;
	free(dir);
	errno = saved;
	return fd;
}
