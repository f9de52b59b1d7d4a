#include "core/jsonx.h"

#include <stdlib.h>
#include <string.h>

#include "base/hex.h"

json_t *nt_json_hex(const uint8_t *b, size_t n)
{
	char *s = malloc(2 * n + 1);
	if (s == NULL)
		return NULL;
	nt_hex_encode(b, n, s);
	json_t *j = json_string(s);
	free(s);
	return j;
}

nt_err nt_json_dump_pretty(const json_t *root, char **out)
{
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text == NULL)
		return NT_ERR_NOMEM;
	size_t n = strlen(text);
	char *res = realloc(text, n + 2);
	if (res == NULL) {
		free(text);
		return NT_ERR_NOMEM;
	}
	res[n] = '\n';
	res[n + 1] = '\0';
	*out = res;
	return NT_OK;
}
