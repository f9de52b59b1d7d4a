#include "node/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static atomic_int min_level = NT_LOG_INFO;

void nt_log_set_level(nt_log_level level)
{
	atomic_store(&min_level, (int)level);
}

nt_log_level nt_log_get_level(void)
{
	return (nt_log_level)atomic_load(&min_level);
}

nt_err nt_log_parse_level(const char *name, nt_log_level *out)
{
	static const struct {
		const char *name;
		nt_log_level level;
	} names[] = {
	    {"debug", NT_LOG_DEBUG},  {"info", NT_LOG_INFO},   {"warn", NT_LOG_WARN},
	    {"warning", NT_LOG_WARN}, {"error", NT_LOG_ERROR},
	};
	if (name == NULL)
		return NT_ERR_ARG;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcasecmp(name, names[i].name) == 0) {
			*out = names[i].level;
			return NT_OK;
		}
	}
	return NT_ERR_ARG;
}

void nt_log(nt_log_level level, const char *fmt, ...)
{
	static const char *const tags[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
	if ((int)level < atomic_load(&min_level) || (unsigned)level > NT_LOG_ERROR)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);

	/* Format the whole line first so one write puts it out: lines from
	 * different threads never interleave. */
	char line[2048];
	size_t n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(line + n, sizeof line - n, ".%03ldZ %s ", ts.tv_nsec / 1000000L,
			      tags[level]);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof line - n, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n = (size_t)m >= sizeof line - n ? sizeof line - 2 : n + (size_t)m;
	line[n++] = '\n';
	flockfile(stderr);
	fwrite(line, 1, n, stderr);
	fflush(stderr);
	funlockfile(stderr);
}
