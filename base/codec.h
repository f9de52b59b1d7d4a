/* Big-endian fixed-width writers and readers for the wire formats.
 *
 * Both keep a sticky failure flag: after the first overrun every later call
 * is a no-op and `ok` stays false, so an encoder or decoder can run its whole
 * field list and check once at the end. Nothing here allocates. */
#ifndef NT_CODEC_H
#define NT_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint8_t *p;
	size_t cap;
	size_t len;
	bool ok;
} nt_writer;

typedef struct {
	const uint8_t *p;
	size_t len;
	size_t pos;
	bool ok;
} nt_reader;

void nt_writer_init(nt_writer *w, uint8_t *buf, size_t cap);
void nt_put_u8(nt_writer *w, uint8_t v);
void nt_put_u16(nt_writer *w, uint16_t v);
void nt_put_u32(nt_writer *w, uint32_t v);
void nt_put_u64(nt_writer *w, uint64_t v);
void nt_put_bytes(nt_writer *w, const void *b, size_t n);

void nt_reader_init(nt_reader *r, const uint8_t *buf, size_t len);
uint8_t nt_get_u8(nt_reader *r);
uint16_t nt_get_u16(nt_reader *r);
uint32_t nt_get_u32(nt_reader *r);
uint64_t nt_get_u64(nt_reader *r);
/* Copies n bytes to out (if out is not NULL) and advances. */
void nt_get_bytes(nt_reader *r, void *out, size_t n);
/* Returns a pointer to the next n bytes inside the buffer and advances,
 * or NULL (and fails) when fewer remain. */
const uint8_t *nt_get_view(nt_reader *r, size_t n);
/* True when every byte was consumed and nothing overran. */
bool nt_reader_done(const nt_reader *r);

#endif
