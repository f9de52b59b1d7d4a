/* Passphrase files (node/passfile.h). */
#include "node/passfile.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

nt_err nt_passfile_read(const char *path, uint8_t *buf, size_t *len, nt_why *why)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return nt_fail(why, errno == ENOENT ? NT_ERR_NOT_FOUND : NT_ERR_IO,
			       "cannot open passphrase file %s: %s", path, strerror(errno));
	struct stat st;
	nt_err e = NT_OK;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		e = nt_fail(why, NT_ERR_IO, "passphrase file %s is not a regular file", path);
	else if ((st.st_mode & 077) != 0)
		e = nt_fail(why, NT_ERR_PERM,
			    "passphrase file %s is accessible by others (mode %04o); run: chmod "
			    "600 %s",
			    path, (unsigned)(st.st_mode & 07777), path);
	size_t n = 0;
	while (e == NT_OK && n < NT_PASSPHRASE_MAX + 2) {
		ssize_t r = read(fd, buf + n, NT_PASSPHRASE_MAX + 2 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			e = nt_fail(why, NT_ERR_IO, "cannot read passphrase file %s: %s", path,
				    strerror(errno));
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (e != NT_OK)
		return e;
	size_t l = 0;
	while (l < n && buf[l] != '\n')
		l++;
	if (l > 0 && buf[l - 1] == '\r')
		l--;
	if (l == 0)
		return nt_fail(why, NT_ERR_ARG, "passphrase file %s is empty", path);
	if (l > NT_PASSPHRASE_MAX)
		return nt_fail(why, NT_ERR_RANGE, "passphrase in %s is longer than %d bytes", path,
			       NT_PASSPHRASE_MAX);
	*len = l;
	return NT_OK;
}

nt_err nt_key_load(const char *key_path, const char *pass_path, nt_seckey **out, nt_why *why)
{
	if (pass_path == NULL || pass_path[0] == '\0')
		return nt_keyfile_read(key_path, out, why);
	uint8_t pass[NT_PASSPHRASE_MAX + 2];
	size_t pl = 0;
	nt_err e = nt_passfile_read(pass_path, pass, &pl, why);
	if (e == NT_OK)
		e = nt_keyfile_read_pass(key_path, pass, pl, out, why);
	OPENSSL_cleanse(pass, sizeof pass);
	return e;
}
