/* The certificate's PDF (tools/cert_pdf.h): cairo's PDF surface, pango
 * for the text (its font fallback finds a CJK font for Chinese), and
 * libqrencode for the QR code, drawn as cairo rectangles.
 *
 * Units are PDF points (1/72 inch); A4 is 595.28 x 841.89. */
#include "tools/cert_pdf.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>
#include <qrencode.h>
#include <stdio.h>
#include <string.h>

#define PAGE_W 595.28
#define PAGE_H 841.89
#define MARGIN 48.0
#define CONTENT_W (PAGE_W - 2 * MARGIN)
#define BOTTOM (PAGE_H - 40.0) /* the footer goes below this line */
#define LABEL_W 165.0
#define ROW_GAP 3.0
/* 6 cm: a phone reads a version 25 code at this size on paper. A code
 * of version 10 or less (a reference, "NRID:") is printed at 4 cm. */
#define QR_SIDE (6.0 / 2.54 * 72.0)
#define QR_SIDE_SMALL (4.0 / 2.54 * 72.0)
#define QR_QUIET 4 /* modules of white around the code (ISO/IEC 18004) */

/* Latin from DejaVu, Chinese from the packaged WenQuanYi Zen Hei (the
 * names after it are fallbacks for systems that have another CJK font). */
#define FONT_SANS "DejaVu Sans,WenQuanYi Zen Hei,Noto Sans CJK SC,Noto Sans CJK,sans-serif"
#define FONT_MONO "DejaVu Sans Mono,WenQuanYi Zen Hei Mono,monospace"
/* The machine-readable block: small, but every character must come back
 * out of pdftotext exactly. */
#define BLOCK_PT 4.0

typedef struct {
	cairo_t *cr;
	const nt_cert_doc *doc;
	int page; /* pages begun so far */
} ctx;

static void set_rgb(cairo_t *cr, unsigned rgb)
{
	cairo_set_source_rgb(cr, ((rgb >> 16) & 255) / 255.0, ((rgb >> 8) & 255) / 255.0,
			     (rgb & 255) / 255.0);
}

static PangoLayout *layout_new(cairo_t *cr, const char *family, double pt, bool bold, double width,
			       bool break_anywhere, const char *text)
{
	PangoLayout *l = pango_cairo_create_layout(cr);
	PangoFontDescription *fd = pango_font_description_from_string(family);
	pango_font_description_set_absolute_size(fd, pt * PANGO_SCALE);
	pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	pango_layout_set_font_description(l, fd);
	pango_font_description_free(fd);
	if (width > 0) {
		pango_layout_set_width(l, (int)(width * PANGO_SCALE));
		pango_layout_set_wrap(l, break_anywhere ? PANGO_WRAP_CHAR : PANGO_WRAP_WORD_CHAR);
	}
	/* Plain text, never markup: metadata is the submitter's text. */
	pango_layout_set_text(l, text != NULL ? text : "", -1);
	return l;
}

/* Draws text at (x, y) and returns its height. */
static double text_at(cairo_t *cr, double x, double y, const char *family, double pt, bool bold,
		      unsigned rgb, double width, bool break_anywhere, const char *text)
{
	PangoLayout *l = layout_new(cr, family, pt, bold, width, break_anywhere, text);
	int w, h;
	pango_layout_get_size(l, &w, &h);
	set_rgb(cr, rgb);
	cairo_move_to(cr, x, y);
	pango_cairo_show_layout(cr, l);
	g_object_unref(l);
	return (double)h / PANGO_SCALE;
}

static double text_height(cairo_t *cr, const char *family, double pt, bool bold, double width,
			  bool break_anywhere, const char *text)
{
	PangoLayout *l = layout_new(cr, family, pt, bold, width, break_anywhere, text);
	int w, h;
	pango_layout_get_size(l, &w, &h);
	g_object_unref(l);
	return (double)h / PANGO_SCALE;
}

static void footer(ctx *c)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s %d", c->doc->page_label, c->page);
	cairo_set_line_width(c->cr, 0.5);
	set_rgb(c->cr, 0x999999);
	cairo_move_to(c->cr, MARGIN, BOTTOM + 6);
	cairo_line_to(c->cr, PAGE_W - MARGIN, BOTTOM + 6);
	cairo_stroke(c->cr);
	text_at(c->cr, MARGIN, BOTTOM + 10, FONT_SANS, 7, false, 0x555555, CONTENT_W - 60, false,
		c->doc->footer);
	PangoLayout *l = layout_new(c->cr, FONT_SANS, 7, false, 0, false, buf);
	int w, h;
	pango_layout_get_size(l, &w, &h);
	set_rgb(c->cr, 0x555555);
	cairo_move_to(c->cr, PAGE_W - MARGIN - (double)w / PANGO_SCALE, BOTTOM + 10);
	pango_cairo_show_layout(c->cr, l);
	g_object_unref(l);
}

/* Ends the current page (if any) and begins the next; returns the y where
 * content starts. */
static double new_page(ctx *c, const char *title)
{
	if (c->page > 0) {
		footer(c);
		cairo_show_page(c->cr);
	}
	c->page++;
	double y = MARGIN;
	y += text_at(c->cr, MARGIN, y, FONT_SANS, 20, true, 0x1a1a1a, CONTENT_W, false, title);
	y += 4;
	cairo_set_line_width(c->cr, 1.2);
	set_rgb(c->cr, 0x1a1a1a);
	cairo_move_to(c->cr, MARGIN, y);
	cairo_line_to(c->cr, PAGE_W - MARGIN, y);
	cairo_stroke(c->cr);
	return y + 10;
}

int nt_cert_qr_version(const char *text)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (q == NULL)
		return 0;
	int v = q->version;
	QRcode_free(q);
	return v;
}

/* The QR code in a side x side square at (x, y), quiet zone included. */
static nt_err draw_qr(cairo_t *cr, double x, double y, double side, const char *text, nt_why *why)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (q == NULL)
		return nt_fail(why, NT_ERR_RANGE, "the QR text does not fit in a QR code");
	double m = side / (q->width + 2 * QR_QUIET);
	set_rgb(cr, 0xffffff);
	cairo_rectangle(cr, x, y, side, side);
	cairo_fill(cr);
	set_rgb(cr, 0x000000);
	/* Rows of dark modules as single rectangles: fewer seams when a
	 * rasteriser anti-aliases the edges. */
	for (int r = 0; r < q->width; r++) {
		int c = 0;
		while (c < q->width) {
			if (!(q->data[r * q->width + c] & 1)) {
				c++;
				continue;
			}
			int s = c;
			while (c < q->width && (q->data[r * q->width + c] & 1))
				c++;
			cairo_rectangle(cr, x + (QR_QUIET + s) * m, y + (QR_QUIET + r) * m,
					(c - s) * m, m);
		}
	}
	cairo_fill(cr);
	QRcode_free(q);
	return NT_OK;
}

static double draw_verdict(ctx *c, const nt_cert_page *p, double y)
{
	cairo_t *cr = c->cr;
	unsigned fg = p->valid ? 0x1b5e20 : 0xb71c1c, bg = p->valid ? 0xe8f5e9 : 0xffebee;
	double pad = 8, inner = CONTENT_W - 2 * pad;
	double h = text_height(cr, FONT_SANS, 8, false, inner, false, p->verdict_head) +
		   text_height(cr, FONT_SANS, 18, true, inner, false, p->verdict) +
		   text_height(cr, FONT_SANS, 9, false, inner, false, p->verdict_text) + 2 * pad;
	set_rgb(cr, bg);
	cairo_rectangle(cr, MARGIN, y, CONTENT_W, h);
	cairo_fill(cr);
	set_rgb(cr, fg);
	cairo_set_line_width(cr, 1.5);
	cairo_rectangle(cr, MARGIN, y, CONTENT_W, h);
	cairo_stroke(cr);
	double ty = y + pad;
	ty += text_at(cr, MARGIN + pad, ty, FONT_SANS, 8, false, 0x444444, inner, false,
		      p->verdict_head);
	ty += text_at(cr, MARGIN + pad, ty, FONT_SANS, 18, true, fg, inner, false, p->verdict);
	text_at(cr, MARGIN + pad, ty, FONT_SANS, 9, false, fg, inner, false, p->verdict_text);
	return y + h + 10;
}

static double draw_rows(ctx *c, const nt_cert_page *p, double y)
{
	cairo_t *cr = c->cr;
	double vx = MARGIN + LABEL_W, vw = CONTENT_W - LABEL_W;
	for (size_t i = 0; i < p->nrows; i++) {
		const nt_cert_row *r = &p->rows[i];
		double lh = text_at(cr, MARGIN, y, FONT_SANS, 8, true, 0x555555, LABEL_W - 8, false,
				    r->label);
		double vh = text_at(cr, vx, y, r->mono ? FONT_MONO : FONT_SANS, r->mono ? 8 : 9,
				    false, 0x000000, vw, r->mono, r->value);
		y += (lh > vh ? lh : vh) + ROW_GAP;
		set_rgb(cr, 0xdddddd);
		cairo_set_line_width(cr, 0.4);
		cairo_move_to(cr, MARGIN, y - ROW_GAP / 2);
		cairo_line_to(cr, PAGE_W - MARGIN, y - ROW_GAP / 2);
		cairo_stroke(cr);
	}
	return y + 6;
}

/* The block, line by line; a line that does not fit begins a new page. */
static double draw_block(ctx *c, const nt_cert_page *p, double y)
{
	cairo_t *cr = c->cr;
	y += text_at(cr, MARGIN, y, FONT_SANS, 7, true, 0x555555, CONTENT_W, false,
		     p->block_caption);
	const char *s = p->block;
	char line[512];
	while (*s != '\0') {
		const char *nl = strchr(s, '\n');
		size_t n = nl != NULL ? (size_t)(nl - s) : strlen(s);
		if (n >= sizeof line)
			n = sizeof line - 1;
		memcpy(line, s, n);
		line[n] = '\0';
		double h = text_height(cr, FONT_MONO, BLOCK_PT, false, 0, false, line);
		if (y + h > BOTTOM) {
			char t[300];
			snprintf(t, sizeof t, "%s (%s)", c->doc->title, p->block_caption);
			y = new_page(c, t);
		}
		y += text_at(cr, MARGIN, y, FONT_MONO, BLOCK_PT, false, 0x000000, 0, false, line);
		s = nl != NULL ? nl + 1 : s + n;
	}
	return y;
}

static nt_err draw_page(ctx *c, const nt_cert_page *p, nt_why *why)
{
	cairo_t *cr = c->cr;
	double y = new_page(c, c->doc->title);
	y = draw_verdict(c, p, y);
	y = draw_rows(c, p, y);
	if (p->qr_text != NULL) {
		int ver = nt_cert_qr_version(p->qr_text);
		double side = ver > 0 && ver <= 10 ? QR_SIDE_SMALL : QR_SIDE;
		if (y + side > BOTTOM)
			y = new_page(c, c->doc->title);
		nt_err e = draw_qr(cr, MARGIN, y, side, p->qr_text, why);
		if (e != NT_OK)
			return e;
		double tx = MARGIN + side + 14, tw = CONTENT_W - side - 14;
		double ty = y + 10;
		ty +=
		    text_at(cr, tx, ty, FONT_SANS, 9, true, 0x1a1a1a, tw, false, p->qr_caption) + 6;
		text_at(cr, tx, ty, FONT_SANS, 8, false, 0x333333, tw, false, p->how_to);
		y += side + 8;
	} else if (p->qr_caption != NULL) {
		y += text_at(cr, MARGIN, y, FONT_SANS, 9, true, 0x1a1a1a, CONTENT_W, false,
			     p->qr_caption) +
		     6;
	}
	if (p->block != NULL)
		draw_block(c, p, y);
	return NT_OK;
}

static void draw_summary(ctx *c, const nt_cert_summary *s)
{
	cairo_t *cr = c->cr;
	double y = new_page(c, s->title);
	y += text_at(cr, MARGIN, y, FONT_SANS, 10, false, 0x1a1a1a, CONTENT_W, false, s->subtitle) +
	     10;
	/* file, digest, time, verdict */
	static const double colw[4] = {170, 110, 135, 80};
	double x[4] = {MARGIN, 0, 0, 0};
	for (int i = 1; i < 4; i++)
		x[i] = x[i - 1] + colw[i - 1];
	double hh = 0;
	for (int i = 0; i < 4; i++) {
		double h = text_at(cr, x[i], y, FONT_SANS, 8, true, 0x333333, colw[i] - 6, false,
				   s->cols[i]);
		hh = h > hh ? h : hh;
	}
	y += hh + 3;
	cairo_set_line_width(cr, 0.8);
	set_rgb(cr, 0x1a1a1a);
	cairo_move_to(cr, MARGIN, y);
	cairo_line_to(cr, PAGE_W - MARGIN, y);
	cairo_stroke(cr);
	y += 4;
	for (size_t r = 0; r < s->n; r++) {
		const nt_cert_sum_row *row = &s->rows[r];
		const char *cell[4] = {row->file, row->digest, row->time, row->verdict};
		double h = 0;
		for (int i = 0; i < 4; i++) {
			double t = text_height(cr, i == 1 ? FONT_MONO : FONT_SANS, 8, i == 3,
					       colw[i] - 6, i == 1, cell[i]);
			h = t > h ? t : h;
		}
		if (y + h > BOTTOM)
			y = new_page(c, s->title);
		for (int i = 0; i < 4; i++) {
			unsigned rgb = i == 3 ? (row->valid ? 0x1b5e20 : 0xb71c1c) : 0x000000;
			text_at(cr, x[i], y, i == 1 ? FONT_MONO : FONT_SANS, 8, i == 3, rgb,
				colw[i] - 6, i == 1, cell[i]);
		}
		y += h + 3;
		set_rgb(cr, 0xdddddd);
		cairo_set_line_width(cr, 0.4);
		cairo_move_to(cr, MARGIN, y - 1.5);
		cairo_line_to(cr, PAGE_W - MARGIN, y - 1.5);
		cairo_stroke(cr);
	}
}

nt_err nt_cert_pdf_write(const char *path, const nt_cert_doc *doc, const nt_cert_summary *sum,
			 const nt_cert_page *pages, size_t n, nt_why *why)
{
	if (path == NULL || doc == NULL || (pages == NULL && n > 0))
		return NT_ERR_ARG;
	cairo_surface_t *s = cairo_pdf_surface_create(path, PAGE_W, PAGE_H);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
		nt_err e = nt_fail(why, NT_ERR_IO, "cannot write %s: %s", path,
				   cairo_status_to_string(cairo_surface_status(s)));
		cairo_surface_destroy(s);
		return e;
	}
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, doc->pdf_title);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "notary certificate");
	if (doc->pdf_subject != NULL)
		cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_SUBJECT, doc->pdf_subject);
	cairo_t *cr = cairo_create(s);
	ctx c = {.cr = cr, .doc = doc, .page = 0};
	nt_err e = NT_OK;
	if (sum != NULL)
		draw_summary(&c, sum);
	for (size_t i = 0; i < n && e == NT_OK; i++)
		e = draw_page(&c, &pages[i], why);
	if (c.page > 0)
		footer(&c);
	cairo_show_page(cr);
	cairo_destroy(cr);
	cairo_surface_finish(s);
	cairo_status_t st = cairo_surface_status(s);
	cairo_surface_destroy(s);
	if (e == NT_OK && st != CAIRO_STATUS_SUCCESS)
		e = nt_fail(why, NT_ERR_IO, "cannot write %s: %s", path,
			    cairo_status_to_string(st));
	return e;
}
