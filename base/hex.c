#include "base/hex.h"

#include <string.h>

void nt_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

nt_err nt_hex_decode(const char *hex, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(hex);
	if (n % 2 != 0)
		return NT_ERR_DECODE;
	if (n / 2 > cap)
		return NT_ERR_RANGE;
	for (size_t i = 0; i < n; i++)
		if (nibble(hex[i]) < 0)
			return NT_ERR_DECODE;
	for (size_t i = 0; i < n / 2; i++)
		out[i] = (uint8_t)(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
	*len = n / 2;
	return NT_OK;
}

nt_err nt_hex_decode32(const char *hex, uint8_t out[32])
{
	uint8_t tmp[32];
	size_t n;
	if (strlen(hex) != 64)
		return NT_ERR_DECODE;
	nt_err e = nt_hex_decode(hex, tmp, sizeof tmp, &n);
	if (e != NT_OK)
		return e;
	memcpy(out, tmp, 32);
	return NT_OK;
}
