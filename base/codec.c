#include "base/codec.h"

#include <string.h>

void nt_writer_init(nt_writer *w, uint8_t *buf, size_t cap)
{
	w->p = buf;
	w->cap = cap;
	w->len = 0;
	w->ok = true;
}

void nt_put_bytes(nt_writer *w, const void *b, size_t n)
{
	if (!w->ok || w->cap - w->len < n) {
		w->ok = false;
		return;
	}
	if (n > 0)
		memcpy(w->p + w->len, b, n);
	w->len += n;
}

void nt_put_u8(nt_writer *w, uint8_t v) { nt_put_bytes(w, &v, 1); }

void nt_put_u16(nt_writer *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	nt_put_bytes(w, b, 2);
}

void nt_put_u32(nt_writer *w, uint32_t v)
{
	uint8_t b[4];
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (24 - 8 * i));
	nt_put_bytes(w, b, 4);
}

void nt_put_u64(nt_writer *w, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	nt_put_bytes(w, b, 8);
}

void nt_reader_init(nt_reader *r, const uint8_t *buf, size_t len)
{
	r->p = buf;
	r->len = len;
	r->pos = 0;
	r->ok = true;
}

const uint8_t *nt_get_view(nt_reader *r, size_t n)
{
	if (!r->ok || r->len - r->pos < n) {
		r->ok = false;
		return NULL;
	}
	const uint8_t *v = r->p + r->pos;
	r->pos += n;
	return v;
}

void nt_get_bytes(nt_reader *r, void *out, size_t n)
{
	const uint8_t *v = nt_get_view(r, n);
	if (v != NULL && out != NULL && n > 0)
		memcpy(out, v, n);
}

static uint64_t get_be(nt_reader *r, int n)
{
	const uint8_t *v = nt_get_view(r, (size_t)n);
	uint64_t x = 0;
	if (v == NULL)
		return 0;
	for (int i = 0; i < n; i++)
		x = x << 8 | v[i];
	return x;
}

uint8_t nt_get_u8(nt_reader *r) { return (uint8_t)get_be(r, 1); }
uint16_t nt_get_u16(nt_reader *r) { return (uint16_t)get_be(r, 2); }
uint32_t nt_get_u32(nt_reader *r) { return (uint32_t)get_be(r, 4); }
uint64_t nt_get_u64(nt_reader *r) { return get_be(r, 8); }

bool nt_reader_done(const nt_reader *r) { return r->ok && r->pos == r->len; }
