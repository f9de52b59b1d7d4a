/* The verdict for people (tools/verdict.h): the message table in English
 * and Chinese and the lines of a verdict built from it. Formatting only:
 * the caller verifies, hashes and reads the time zone. */
#include "tools/verdict.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "base/hex.h"
#include "crypto/digest.h"

/* One text per message and language. The arguments of a format are the
 * same, in the same order, in both languages. */
static const char *const msgs[NT_VM_COUNT][NT_LANG_COUNT] = {
    [NT_VM_VALID_FILE] = {"VALID: this record is part of chain \"%s\" at block %llu, and "
			  "the file matches it.",
			  "有效：该记录属于链“%s”第 %llu 号区块，文件与记录一致。"},
    [NT_VM_VALID_NO_FILE] = {"VALID: this record is part of chain \"%s\" at block %llu; the "
			     "file was NOT checked (no file given).",
			     "有效：该记录属于链“%s”第 %llu 号区块；未核对文件（未提供文件）。"},
    [NT_VM_INVALID] = {"INVALID: %s", "无效：%s"},
    [NT_VM_INVALID_FILE] = {"INVALID: the file does not match the record.",
			    "无效：文件与记录不符（文件摘要不同）。"},
    [NT_VM_INVALID_NETWORK] = {"INVALID: the receipt belongs to another network",
			       "无效：收据属于另一个网络，不是所给创世文件的网络。"},
    [NT_VM_INVALID_RECEIPT] = {"INVALID: the receipt does not verify", "无效：收据未通过验证。"},
    [NT_VM_NETWORK_L] = {"Network:", "网络："},
    [NT_VM_NETWORK_V2] = {"%s, fingerprint %s", "%s，指纹 %s"},
    [NT_VM_NETWORK_V1] = {"%s (a version 1 network: compare the genesis file itself with the "
			  "published one)",
			  "%s（版本 1 网络：请将创世文件本身与公布的文件核对）"},
    [NT_VM_COMPARE] = {"Compare this fingerprint with the one the court or the network "
		       "published: if they differ, the receipt is not from that network.",
		       "请将此指纹与法院或该网络公布的指纹核对：若不一致，收据就不属于该网络。"},
    [NT_VM_RECEIPT_NETWORK_L] = {"Receipt's network:", "收据所属网络："},
    [NT_VM_GENESIS_GIVEN] = {"%s, fingerprint %s (the genesis file given)",
			     "%s，指纹 %s（所给的创世文件）"},
    [NT_VM_GENESIS_GIVEN_V1] = {"%s (the genesis file given)", "%s（所给的创世文件）"},
    [NT_VM_FILE_L] = {"File:", "文件："},
    [NT_VM_FILE_MATCHES] = {"%s, %llu bytes, matches the record", "%s，%llu 字节，与记录一致"},
    [NT_VM_FILE_NOT_CHECKED] = {"not checked (no file given)", "未核对（未提供文件）"},
    [NT_VM_FILE_STATED_SIZE] = {"; the record states %llu bytes", "；记录所载大小 %llu 字节"},
    [NT_VM_FILE_DIFFERS] = {"%s does NOT match the record", "%s 与记录不符"},
    [NT_VM_DIGEST_L] = {"The file's digest:", "文件摘要："},
    [NT_VM_SALTED_L] = {"Digest on the ledger:", "账本上的摘要："},
    [NT_VM_SALTED_V] = {"%s %s (salted: D(salt || the file's digest))",
			"%s %s（加盐：D(salt || 文件摘要)）"},
    [NT_VM_EXPECTED_L] = {"Expected (the record):", "应为（记录所载）："},
    [NT_VM_FOUND_L] = {"Found (this file):", "实为（此文件）："},
    [NT_VM_SIZE_BYTES] = {"%llu bytes", "%llu 字节"},
    [NT_VM_SIZE_UNDISCLOSED] = {"size not disclosed", "大小未公开"},
    [NT_VM_TIME_L] = {"Existed no later than:", "存在时间不晚于："},
    [NT_VM_TIME_LOCAL_L] = {"  local time:", "  当地时间："},
    [NT_VM_SIGNERS_L] = {"Signed by:", "签名机构："},
    [NT_VM_SIGNERS_COUNT] = {"%u of %u offices: ", "%u 个（共 %u 个）："},
    [NT_VM_LIST_SEP] = {", ", "、"},
    [NT_VM_VALSET_L] = {"Validator set:", "验证者集合："},
    [NT_VM_VALSET_GENESIS] = {"the genesis set (never changed before this block)",
			      "创世集合（此区块之前从未变更）"},
    [NT_VM_VALSET_CHANGES] = {"reached from the genesis set through %zu checked change(s)",
			      "由创世集合经 %zu 次已核验的变更而来"},
    [NT_VM_PRIVATE_L] = {"Private record:", "隐私记录："},
    [NT_VM_PRIVATE_SALTED] = {"digest salted", "摘要已加盐"},
    [NT_VM_PRIVATE_SALT_USED] = {" (file checked with the receipt's salt)",
				 "（已用收据中的盐核对文件）"},
    [NT_VM_PRIVATE_META_OK] = {"metadata committed; the clear metadata below matched the "
			       "commitment",
			       "元数据已承诺；下列明文元数据与承诺一致"},
    [NT_VM_PRIVATE_META_HIDDEN] = {"metadata committed and not disclosed in this receipt",
				   "元数据已承诺，本收据未披露"},
    [NT_VM_SUBMITTER_L] = {"Submitted by:", "提交者："},
    [NT_VM_SUBMITTER_V] = {"key %s (client time %s)", "公钥 %s（客户端时间 %s）"},
    [NT_VM_CASE_L] = {"Case:", "案号："},
    [NT_VM_TITLE_L] = {"Title:", "标题："},
    [NT_VM_MEDIA_TYPE_L] = {"Media type:", "媒体类型："},
    [NT_VM_FILE_NAME_L] = {"File name:", "文件名："},
    [NT_VM_META_OTHER_L] = {"Meta %.30s:", "元数据 %.30s："},
    [NT_VM_RECORD_ID_L] = {"Record id:", "记录编号："},
    [NT_VM_RECORD_ID_V] = {"%s (the record's id on the ledger, not the file's digest)",
			   "%s（账本上的记录编号，不是文件摘要）"},
    [NT_VM_BLOCK_L] = {"Block:", "区块："},
    [NT_VM_BLOCK_V] = {"%llu, hash %s", "第 %llu 号，哈希 %s"},
    [NT_VM_REASON_L] = {"Reason:", "原因："},
    [NT_VM_BRIEF_VALID] = {"VALID    %s (record %.16s..., block %llu, no later than %s)",
			   "有效  %s（记录 %.16s…，第 %llu 号区块，不晚于 %s）"},
    [NT_VM_BRIEF_INVALID] = {"INVALID  %s: %s", "无效  %s：%s"},
    [NT_VM_BRIEF_ERROR] = {"ERROR    %s: %s", "错误  %s：%s"},
    [NT_VM_KIND_FILE] = {"the file does not match the record", "文件与记录不符"},
    [NT_VM_KIND_NETWORK] = {"the receipt belongs to another network", "收据属于另一个网络"},
    [NT_VM_KIND_RECEIPT] = {"the receipt does not verify", "收据未通过验证"},
    [NT_VM_SUMMARY] = {"%zu files: %zu valid, %zu INVALID",
		       "共 %zu 个文件：%zu 个有效，%zu 个无效"},
    [NT_VM_SUMMARY_ERRORS] = {", %zu not checked (error)", "，%zu 个未能核对（出错）"},
};

/* The label column of nt_verdict_write, in display columns. */
#define LABEL_COLS 23

struct nt_verdict {
	nt_lang lang;
	size_t n, cap;
	nt_verdict_line *lines;
	bool failed; /* out of memory on the way */
};

const char *nt_verdict_msg(nt_vmsg m, nt_lang lang)
{
	if ((unsigned)m >= NT_VM_COUNT || (unsigned)lang >= NT_LANG_COUNT)
		return "";
	const char *s = msgs[m][lang];
	return s != NULL ? s : msgs[m][NT_LANG_EN] != NULL ? msgs[m][NT_LANG_EN] : "";
}

/* Replaces terminal control characters and Unicode bidi overrides with '?'
 * in place (the rules of nt_cli_put_safe), so that metadata chosen by a
 * submitter cannot rewrite what a judge sees. */
static void make_safe(char *s)
{
	unsigned char *p = (unsigned char *)s, *w = p;
	while (*p != '\0') {
		size_t skip = 0;
		if (*p < 0x20 || *p == 0x7f)
			skip = 1;
		else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			skip = 2;
		else if (p[0] == 0xe2 && p[1] == 0x80 &&
			 ((p[2] >= 0x8e && p[2] <= 0x8f) || (p[2] >= 0xaa && p[2] <= 0xae)))
			skip = 3;
		else if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
			skip = 3;
		if (skip > 0) {
			*w++ = '?';
			p += skip;
		} else {
			*w++ = *p++;
		}
	}
	*w = '\0';
}

/* A new string of message m formatted with the arguments (the table's
 * formats are fixed, so -Wformat cannot check them here: each caller
 * passes what its entry's comment in verdict.h says). */
static char *vformat(nt_lang lang, nt_vmsg m, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, nt_verdict_msg(m, lang), ap) < 0)
		return NULL;
	return s;
}

static char *format(nt_lang lang, nt_vmsg m, ...)
{
	va_list ap;
	va_start(ap, m);
	char *s = vformat(lang, m, ap);
	va_end(ap);
	return s;
}

char *nt_verdict_format(nt_lang lang, nt_vmsg m, ...)
{
	va_list ap;
	va_start(ap, m);
	char *s = vformat(lang, m, ap);
	va_end(ap);
	if (s != NULL)
		make_safe(s);
	return s;
}

/* Appends a line; takes ownership of label and value (NULL marks the
 * verdict failed). */
static void add_owned(nt_verdict *v, nt_vfield f, char *label, char *value)
{
	if (label == NULL || value == NULL || v->failed) {
		free(label);
		free(value);
		v->failed = true;
		return;
	}
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 32;
		nt_verdict_line *l = realloc(v->lines, cap * sizeof *l);
		if (l == NULL) {
			free(label);
			free(value);
			v->failed = true;
			return;
		}
		v->lines = l;
		v->cap = cap;
	}
	make_safe(label);
	make_safe(value);
	v->lines[v->n++] = (nt_verdict_line){f, label, value};
}

/* A line labelled by message lab (NT_VM_COUNT: no label) whose value is
 * message m formatted with the arguments. */
static void add(nt_verdict *v, nt_vfield f, nt_vmsg lab, nt_vmsg m, ...)
{
	va_list ap;
	va_start(ap, m);
	char *value = vformat(v->lang, m, ap);
	va_end(ap);
	add_owned(v, f, strdup(lab == NT_VM_COUNT ? "" : nt_verdict_msg(lab, v->lang)), value);
}

/* A line with a value given as text. */
static void add_text(nt_verdict *v, nt_vfield f, nt_vmsg lab, const char *text)
{
	add_owned(v, f, strdup(lab == NT_VM_COUNT ? "" : nt_verdict_msg(lab, v->lang)),
		  strdup(text));
}

/* ---- time ---- */

void nt_verdict_time_utc(uint64_t ms, char buf[40])
{
	char iso[32];
	nt_time_format(ms, iso);
	/* "2026-11-29T16:00:00.123Z" -> "2026-11-29 16:00:00.123 UTC" */
	size_t n = strlen(iso);
	if (n == 24 && iso[10] == 'T' && iso[23] == 'Z') {
		iso[10] = ' ';
		iso[23] = '\0';
		snprintf(buf, 40, "%s UTC", iso);
	} else {
		snprintf(buf, 40, "%s", iso);
	}
}

void nt_verdict_time_local(uint64_t ms, const nt_verdict_zone *z, nt_lang lang,
			   char buf[NT_VERDICT_TIME_MAX])
{
	long off = z != NULL ? z->offset_s : 0;
	int64_t secs = (int64_t)(ms / 1000u) + off;
	time_t t = (time_t)secs;
	struct tm tm;
	if (secs < 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, NT_VERDICT_TIME_MAX, "(time out of range)");
		return;
	}
	long a = off < 0 ? -off : off;
	char zone[112];
	const char *abbr = z != NULL ? z->abbr : "";
	const char *name = z != NULL ? z->name : "";
	bool zh = lang == NT_LANG_ZH;
	if (name[0] != '\0')
		snprintf(zone, sizeof zone,
			 zh ? "（UTC%c%02ld:%02ld，%s）" : " (UTC%c%02ld:%02ld, %s)",
			 off < 0 ? '-' : '+', a / 3600, a / 60 % 60, name);
	else
		snprintf(zone, sizeof zone, zh ? "（UTC%c%02ld:%02ld）" : " (UTC%c%02ld:%02ld)",
			 off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
	snprintf(buf, NT_VERDICT_TIME_MAX, "%04u-%02u-%02u %02u:%02u:%02u.%03u%s%s%s",
		 (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)(tm.tm_mon + 1) % 100u,
		 (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u,
		 (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u, (unsigned)(ms % 1000u),
		 abbr[0] != '\0' ? " " : "", abbr, zone);
}

nt_err nt_verdict_zone_here(uint64_t ms, const char *name, nt_verdict_zone *out)
{
	time_t t = (time_t)(ms / 1000u);
	struct tm tm;
	tzset();
	if (localtime_r(&t, &tm) == NULL)
		return NT_ERR_RANGE;
	nt_verdict_zone z = {.offset_s = tm.tm_gmtoff};
	snprintf(z.abbr, sizeof z.abbr, "%s", tm.tm_zone != NULL ? tm.tm_zone : "");
	snprintf(z.name, sizeof z.name, "%s", name != NULL ? name : "");
	*out = z;
	return NT_OK;
}

/* ---- languages ---- */

bool nt_verdict_lang_parse(const char *s, nt_lang *out)
{
	if (s == NULL)
		return false;
	if (strncmp(s, "zh", 2) == 0 && (s[2] == '\0' || s[2] == '_' || s[2] == '-')) {
		*out = NT_LANG_ZH;
		return true;
	}
	if (strncmp(s, "en", 2) == 0 && (s[2] == '\0' || s[2] == '_' || s[2] == '-')) {
		*out = NT_LANG_EN;
		return true;
	}
	return false;
}

nt_lang nt_verdict_lang_env(const char *lc_all, const char *lc_messages, const char *lang)
{
	const char *s = lc_all;
	if (s == NULL || s[0] == '\0')
		s = lc_messages;
	if (s == NULL || s[0] == '\0')
		s = lang;
	return s != NULL && strncmp(s, "zh", 2) == 0 ? NT_LANG_ZH : NT_LANG_EN;
}

/* ---- the lines ---- */

static const char *signer_name(const nt_valset *s, unsigned i, char *buf, size_t cap)
{
	if (i < s->n && s->names[i][0] != '\0')
		return s->names[i];
	snprintf(buf, cap, "validator %u", i);
	return buf;
}

static void add_network(nt_verdict *v, const nt_verdict_in *in)
{
	const nt_genesis *g = in->genesis;
	char fp[NT_FINGERPRINT_LEN + 1] = "";
	bool v2 = nt_genesis_is_v2(g);
	if (v2)
		nt_genesis_fingerprint(&g->genesis_hash, fp);
	if (in->status == NT_VERDICT_VALID || in->status == NT_VERDICT_FILE_MISMATCH) {
		if (v2)
			add(v, NT_VF_NETWORK, NT_VM_NETWORK_L, NT_VM_NETWORK_V2, g->chain_id, fp);
		else
			add(v, NT_VF_NETWORK, NT_VM_NETWORK_L, NT_VM_NETWORK_V1, g->chain_id);
	} else if (v2) {
		add(v, NT_VF_NETWORK, NT_VM_NETWORK_L, NT_VM_GENESIS_GIVEN, g->chain_id, fp);
	} else {
		add(v, NT_VF_NETWORK, NT_VM_NETWORK_L, NT_VM_GENESIS_GIVEN_V1, g->chain_id);
	}
	const nt_receipt *r = in->receipt;
	if (in->status == NT_VERDICT_OTHER_NETWORK && r != NULL) {
		if (r->header.version >= 2) {
			char theirs[NT_FINGERPRINT_LEN + 1];
			nt_genesis_fingerprint(&r->header.genesis_hash, theirs);
			add(v, NT_VF_RECEIPT_NETWORK, NT_VM_RECEIPT_NETWORK_L, NT_VM_NETWORK_V2,
			    r->header.chain_id, theirs);
		} else {
			add_text(v, NT_VF_RECEIPT_NETWORK, NT_VM_RECEIPT_NETWORK_L,
				 r->header.chain_id);
		}
	}
	if (v2)
		add(v, NT_VF_COMPARE, NT_VM_COUNT, NT_VM_COMPARE);
}

static char *size_text(nt_lang lang, uint64_t size)
{
	return size != 0 ? format(lang, NT_VM_SIZE_BYTES, (unsigned long long)size)
			 : format(lang, NT_VM_SIZE_UNDISCLOSED);
}

/* "sha256 <hex>"; nothing when d is NULL. */
static void add_digest(nt_verdict *v, nt_vfield f, nt_vmsg lab, const char *alg, const uint8_t *d,
		       size_t len)
{
	char hex[2 * NT_DIGEST_MAX + 1];
	if (d == NULL || len > NT_DIGEST_MAX)
		return;
	nt_hex_encode(d, len, hex);
	char *val = NULL;
	if (asprintf(&val, "%s %s", alg, hex) < 0)
		val = NULL;
	add_owned(v, f, strdup(nt_verdict_msg(lab, v->lang)), val);
}

static void add_file(nt_verdict *v, const nt_verdict_in *in)
{
	const nt_record *rec = &in->receipt->record;
	const char *alg = nt_digest_name(rec->alg) != NULL ? nt_digest_name(rec->alg) : "?";
	char hex[2 * NT_DIGEST_MAX + 1], fhex[2 * NT_DIGEST_MAX + 1];
	bool salted = (rec->flags & NT_RECORD_FLAG_SALTED) != 0;
	nt_hex_encode(rec->digest, rec->digest_len, hex);
	if (in->status == NT_VERDICT_FILE_MISMATCH) {
		add(v, NT_VF_FILE, NT_VM_FILE_L, NT_VM_FILE_DIFFERS, in->file);
		bool zh = v->lang == NT_LANG_ZH;
		const char *sep = zh ? "，" : ", ";
		const char *salt_note = zh ? "（加盐）" : " (salted)";
		/* A salted record holds D(salt || file digest): compare like with
		 * like, the file's digest salted with the receipt's salt. */
		const uint8_t *found = salted ? in->file_salted : in->file_digest;
		size_t found_len = salted ? in->file_salted_len : in->file_digest_len;
		char *es = size_text(v->lang, rec->size);
		char *val = NULL;
		if (es != NULL &&
		    asprintf(&val, "%s %s%s%s%s", alg, hex, salted ? salt_note : "", sep, es) < 0)
			val = NULL;
		free(es);
		add_owned(v, NT_VF_EXPECTED, strdup(nt_verdict_msg(NT_VM_EXPECTED_L, v->lang)),
			  val);
		if (found != NULL && found_len * 2 < sizeof fhex) {
			nt_hex_encode(found, found_len, fhex);
			char *fs = size_text(v->lang, in->file_size);
			val = NULL;
			if (fs != NULL && asprintf(&val, "%s %s%s%s%s", alg, fhex,
						   salted ? salt_note : "", sep, fs) < 0)
				val = NULL;
			free(fs);
			add_owned(v, NT_VF_FOUND, strdup(nt_verdict_msg(NT_VM_FOUND_L, v->lang)),
				  val);
		}
		if (salted)
			add_digest(v, NT_VF_DIGEST, NT_VM_DIGEST_L, alg, in->file_digest,
				   in->file_digest_len);
		return;
	}
	if (in->file != NULL) {
		add(v, NT_VF_FILE, NT_VM_FILE_L, NT_VM_FILE_MATCHES, in->file,
		    (unsigned long long)in->file_size);
	} else {
		char *a = format(v->lang, NT_VM_FILE_NOT_CHECKED);
		char *b = rec->size != 0 ? format(v->lang, NT_VM_FILE_STATED_SIZE,
						  (unsigned long long)rec->size)
					 : strdup("");
		char *val = NULL;
		if (a != NULL && b != NULL && asprintf(&val, "%s%s", a, b) < 0)
			val = NULL;
		free(a);
		free(b);
		add_owned(v, NT_VF_FILE, strdup(nt_verdict_msg(NT_VM_FILE_L, v->lang)), val);
	}
	if (!salted) {
		add_digest(v, NT_VF_DIGEST, NT_VM_DIGEST_L, alg, rec->digest, rec->digest_len);
		return;
	}
	add_digest(v, NT_VF_DIGEST, NT_VM_DIGEST_L, alg, in->file_digest, in->file_digest_len);
	add(v, NT_VF_SALTED_DIGEST, NT_VM_SALTED_L, NT_VM_SALTED_V, alg, hex);
}

static void add_time(nt_verdict *v, const nt_verdict_in *in)
{
	uint64_t ms = nt_commit_time(&in->receipt->commit);
	char t[40], lt[NT_VERDICT_TIME_MAX];
	nt_verdict_time_utc(ms, t);
	add_text(v, NT_VF_TIME, NT_VM_TIME_L, t);
	if (in->zone != NULL) {
		nt_verdict_time_local(ms, in->zone, v->lang, lt);
		add_text(v, NT_VF_TIME_LOCAL, NT_VM_TIME_LOCAL_L, lt);
	}
}

/* "3 of 4 offices: A (0123456789abcdef...), B (...)" */
static void add_signers(nt_verdict *v, const nt_verdict_in *in)
{
	const nt_receipt *r = in->receipt;
	const nt_valset *set = &in->result->set;
	char *s = format(v->lang, NT_VM_SIGNERS_COUNT, (unsigned)r->commit.count, (unsigned)set->n);
	for (unsigned i = 0; s != NULL && i < r->commit.count; i++) {
		unsigned idx = r->commit.sigs[i].index;
		if (idx >= set->n)
			continue; /* cannot happen after nt_commit_verify */
		char pk[65], nb[32], *next = NULL;
		nt_hex_encode(set->keys[idx].b, 32, pk);
		pk[16] = '\0';
		if (asprintf(&next, "%s%s%s (%s...)", s,
			     i > 0 ? nt_verdict_msg(NT_VM_LIST_SEP, v->lang) : "",
			     signer_name(set, idx, nb, sizeof nb), pk) < 0)
			next = NULL;
		free(s);
		s = next;
	}
	add_owned(v, NT_VF_SIGNERS, strdup(nt_verdict_msg(NT_VM_SIGNERS_L, v->lang)), s);
	if (in->result->format == 2) {
		if (in->result->changes == 0)
			add(v, NT_VF_VALSET, NT_VM_VALSET_L, NT_VM_VALSET_GENESIS);
		else
			add(v, NT_VF_VALSET, NT_VM_VALSET_L, NT_VM_VALSET_CHANGES,
			    in->result->changes);
	}
}

static void add_private(nt_verdict *v, const nt_verdict_in *in)
{
	const nt_receipt_verdict *res = in->result;
	if (!res->salted && !res->meta_committed)
		return;
	const char *sep = v->lang == NT_LANG_ZH ? "；" : "; ";
	char *val = NULL;
	if (asprintf(
		&val, "%s%s%s%s", res->salted ? nt_verdict_msg(NT_VM_PRIVATE_SALTED, v->lang) : "",
		res->salted && in->file != NULL && in->status == NT_VERDICT_VALID
		    ? nt_verdict_msg(NT_VM_PRIVATE_SALT_USED, v->lang)
		    : "",
		res->salted && res->meta_committed ? sep : "",
		!res->meta_committed  ? ""
		: res->meta_disclosed ? nt_verdict_msg(NT_VM_PRIVATE_META_OK, v->lang)
				      : nt_verdict_msg(NT_VM_PRIVATE_META_HIDDEN, v->lang)) < 0)
		val = NULL;
	add_owned(v, NT_VF_PRIVATE, strdup(nt_verdict_msg(NT_VM_PRIVATE_L, v->lang)), val);
}

static void add_submitter(nt_verdict *v, const nt_verdict_in *in)
{
	const nt_record *rec = &in->receipt->record;
	char pk[65], t[40];
	nt_hex_encode(rec->submitter.b, 32, pk);
	nt_verdict_time_utc(rec->client_time, t);
	add(v, NT_VF_SUBMITTER, NT_VM_SUBMITTER_L, NT_VM_SUBMITTER_V, pk, t);
}

static void add_meta_member(nt_verdict *v, char *label, json_t *val)
{
	char *text = json_is_string(val) ? strdup(json_string_value(val))
					 : json_dumps(val, JSON_COMPACT | JSON_ENCODE_ANY);
	add_owned(v, NT_VF_META, label, text);
}

/* The case metadata: the clear text that matched a private record's
 * commitment, or a public record's own; nothing when not disclosed. */
static void add_meta(nt_verdict *v, const nt_verdict_in *in)
{
	const nt_receipt *r = in->receipt;
	json_t *meta = NULL;
	if (in->result->meta_disclosed)
		meta = json_loadb(r->meta, r->meta_len, 0, NULL);
	else if (!in->result->meta_committed && r->record.meta_len > 0)
		meta = json_loadb((const char *)r->record.meta, r->record.meta_len, 0, NULL);
	if (!json_is_object(meta)) {
		json_decref(meta);
		return;
	}
	static const struct {
		const char *key;
		nt_vmsg label;
	} known[] = {{"case", NT_VM_CASE_L},
		     {"title", NT_VM_TITLE_L},
		     {"media_type", NT_VM_MEDIA_TYPE_L},
		     {"file_name", NT_VM_FILE_NAME_L}};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		json_t *val = json_object_get(meta, known[i].key);
		if (val != NULL)
			add_meta_member(v, strdup(nt_verdict_msg(known[i].label, v->lang)), val);
	}
	const char *key;
	json_t *val;
	json_object_foreach(meta, key, val)
	{
		bool seen = false;
		for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
			seen |= strcmp(key, known[i].key) == 0;
		if (!seen)
			add_meta_member(v, format(v->lang, NT_VM_META_OTHER_L, key), val);
	}
	json_decref(meta);
}

static void add_record(nt_verdict *v, const nt_verdict_in *in)
{
	const nt_receipt *r = in->receipt;
	char hex[65];
	nt_hex_encode(r->record_id.b, 32, hex);
	add(v, NT_VF_RECORD_ID, NT_VM_RECORD_ID_L, NT_VM_RECORD_ID_V, hex);
	nt_hash bh;
	if (in->status == NT_VERDICT_INVALID || nt_header_hash(&r->header, &bh) != NT_OK)
		return;
	nt_hex_encode(bh.b, 32, hex);
	add(v, NT_VF_BLOCK, NT_VM_BLOCK_L, NT_VM_BLOCK_V, (unsigned long long)r->height, hex);
}

static void add_verdict_line(nt_verdict *v, const nt_verdict_in *in)
{
	const nt_receipt *r = in->receipt;
	if (in->status == NT_VERDICT_VALID) {
		add(v, NT_VF_VERDICT, NT_VM_COUNT,
		    in->file != NULL ? NT_VM_VALID_FILE : NT_VM_VALID_NO_FILE, r->header.chain_id,
		    (unsigned long long)r->height);
		return;
	}
	/* English keeps the library's reason in the first line, as scripts and
	 * people read it; Chinese says the kind of failure and gives the
	 * (English) reason on its own line. */
	if (v->lang == NT_LANG_EN) {
		add(v, NT_VF_VERDICT, NT_VM_COUNT, NT_VM_INVALID, in->why);
		return;
	}
	nt_vmsg m = in->status == NT_VERDICT_FILE_MISMATCH   ? NT_VM_INVALID_FILE
		    : in->status == NT_VERDICT_OTHER_NETWORK ? NT_VM_INVALID_NETWORK
							     : NT_VM_INVALID_RECEIPT;
	add(v, NT_VF_VERDICT, NT_VM_COUNT, m);
	add_text(v, NT_VF_REASON, NT_VM_REASON_L, in->why);
}

nt_err nt_verdict_build(const nt_verdict_in *in, nt_lang lang, nt_verdict **out)
{
	if (in == NULL || in->genesis == NULL || (unsigned)lang >= NT_LANG_COUNT || out == NULL)
		return NT_ERR_ARG;
	bool full = in->status == NT_VERDICT_VALID || in->status == NT_VERDICT_FILE_MISMATCH;
	if ((full && (in->receipt == NULL || in->result == NULL)) ||
	    (in->status != NT_VERDICT_VALID && in->why == NULL) ||
	    (in->status == NT_VERDICT_FILE_MISMATCH && in->file == NULL))
		return NT_ERR_ARG;
	nt_verdict *v = calloc(1, sizeof *v);
	if (v == NULL)
		return NT_ERR_NOMEM;
	v->lang = lang;
	add_verdict_line(v, in);
	add_network(v, in);
	if (full) {
		add_file(v, in);
		add_time(v, in);
		add_signers(v, in);
		add_private(v, in);
		add_submitter(v, in);
		add_meta(v, in);
	}
	if (in->receipt != NULL)
		add_record(v, in);
	if (v->failed) {
		nt_verdict_free(v);
		return NT_ERR_NOMEM;
	}
	*out = v;
	return NT_OK;
}

void nt_verdict_free(nt_verdict *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->n; i++) {
		free((char *)v->lines[i].label);
		free((char *)v->lines[i].value);
	}
	free(v->lines);
	free(v);
}

size_t nt_verdict_count(const nt_verdict *v)
{
	return v != NULL ? v->n : 0;
}

const nt_verdict_line *nt_verdict_line_at(const nt_verdict *v, size_t i)
{
	return v != NULL && i < v->n ? &v->lines[i] : NULL;
}

const char *nt_verdict_value(const nt_verdict *v, nt_vfield f)
{
	for (size_t i = 0; v != NULL && i < v->n; i++)
		if (v->lines[i].field == f)
			return v->lines[i].value;
	return NULL;
}

/* Display columns of UTF-8 text: a character of three or four bytes from
 * U+3000 up (CJK, full-width forms) takes two, any other one. */
static size_t columns(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p & 0xc0) == 0x80)
			continue;
		n += *p >= 0xe3 ? 2 : 1;
	}
	return n;
}

void nt_verdict_write_line(FILE *f, const char *label, const char *value)
{
	size_t w = columns(label);
	fputs(label, f);
	do
		fputc(' ', f);
	while (++w < LABEL_COLS);
	fprintf(f, "%s\n", value);
}

void nt_verdict_write(const nt_verdict *v, FILE *f)
{
	for (size_t i = 0; v != NULL && i < v->n; i++) {
		const nt_verdict_line *l = &v->lines[i];
		if (l->field == NT_VF_VERDICT) {
			fprintf(f, "%s\n", l->value);
			continue;
		}
		nt_verdict_write_line(f, l->label, l->value);
	}
}
