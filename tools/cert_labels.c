/* The certificate's words (tools/cert_labels.h): one row per label,
 * Chinese and English side by side. */
#include "tools/cert_labels.h"

#include <stdio.h>
#include <string.h>

typedef struct {
	const char *zh;
	const char *en;
} label_row;

static const label_row labels[NT_L__COUNT] = {
    [NT_L_TITLE] = {"证据证书", "Evidence certificate"},
    [NT_L_SUMMARY_TITLE] = {"案件证据汇总", "Case evidence summary"},
    [NT_L_VALID] = {"有效", "VALID"},
    [NT_L_INVALID] = {"无效", "INVALID"},
    [NT_L_VALID_SENTENCE] = {"该记录已收录于下列网络的账本，全部签名与证明均已核验。",
			     "This record is part of the ledger of the network below; every "
			     "signature and proof was checked."},
    [NT_L_INVALID_SENTENCE] = {"该回执未通过核验，不能证明下列内容。",
			       "This receipt failed verification: it proves nothing below."},
    [NT_L_AS_OF] = {"核验结论（证书生成时）", "Verdict (when this certificate was made)"},
    [NT_L_NETWORK] = {"网络（链标识）", "Network (chain id)"},
    [NT_L_FINGERPRINT] = {"网络指纹", "Network fingerprint"},
    [NT_L_FP_HINT] = {"请与该网络公布的指纹逐位核对",
		      "compare it with the fingerprint the network publishes"},
    [NT_L_NO_FINGERPRINT] = {"无（第 1 版创世文件没有指纹）",
			     "none (a version 1 genesis file has no fingerprint)"},
    [NT_L_FP_OF_RECEIPT] = {"回执所属网络", "the receipt's network"},
    [NT_L_FP_OF_GENESIS] = {"所给创世文件的网络", "the genesis file given"},
    [NT_L_FILE] = {"证据文件", "Evidence file"},
    [NT_L_FILE_CHECKED] = {"已核对：文件与记录一致", "checked: the file matches the record"},
    [NT_L_FILE_NOT_CHECKED] = {"未核对文件（未提供文件）", "file not checked (no file given)"},
    [NT_L_FILE_MISMATCH] = {"不一致：所给文件与记录不符",
			    "does NOT match the record (the file given differs)"},
    [NT_L_FILE_DIGEST_FOUND] = {"所给文件的摘要（不符）", "Digest of the file given (differs)"},
    [NT_L_FILE_SIZE] = {"文件大小", "File size"},
    [NT_L_FILE_SIZE_STATED] = {"（提交人声明）", "(as stated by the submitter)"},
    [NT_L_BYTES] = {"字节", "bytes"},
    [NT_L_DIGEST] = {"文件摘要", "File digest"},
    [NT_L_SALTED] = {"（加盐摘要：D(salt || 文件摘要)）", "(salted: D(salt || file digest))"},
    [NT_L_TIME_UTC] = {"存证时间（UTC）", "Attested time (UTC)"},
    [NT_L_TIME_BEIJING] = {"存证时间（北京时间）", "Attested time (Beijing)"},
    [NT_L_NO_LATER] = {"不晚于", "no later than"},
    [NT_L_SIGNERS] = {"签署机构", "Signing offices"},
    [NT_L_NOT_ESTABLISHED] = {"未能确认", "not established"},
    [NT_L_SUBMITTER] = {"提交人公钥", "Submitter key"},
    [NT_L_CASE] = {"案号", "Case"},
    [NT_L_META_TITLE] = {"标题", "Title"},
    [NT_L_MEDIA_TYPE] = {"媒体类型", "Media type"},
    [NT_L_META_FILE_NAME] = {"原文件名", "File name (stated)"},
    [NT_L_META_OTHER] = {"元数据", "Metadata"},
    [NT_L_META_MATCHED] = {"私密记录：以下元数据与其承诺一致",
			   "private record: the metadata matched its commitment"},
    [NT_L_META_UNDISCLOSED] = {"私密记录：元数据未披露", "private record: metadata not disclosed"},
    [NT_L_META_UNVERIFIED] = {"回执所述，未经核验", "as the receipt states it, not verified"},
    [NT_L_RECORD_ID] = {"记录编号", "Record id"},
    [NT_L_BLOCK] = {"区块", "Block"},
    [NT_L_HEIGHT] = {"高度", "height"},
    [NT_L_BLOCK_HASH] = {"区块哈希", "Block hash"},
    [NT_L_MADE] = {"证书生成时间", "Certificate made"},
    [NT_L_QR_FULL] = {"二维码内含完整回执（NR1）", "The QR code holds the whole receipt (NR1)"},
    [NT_L_QR_REF] = {"二维码内含网络指纹、记录编号与高度；完整回执见下方数据块",
		     "The QR code holds the fingerprint, record id and height; the whole "
		     "receipt is in the block below"},
    [NT_L_QR_NONE] = {"回执内容自相矛盾，无法附带", "the receipt contradicts itself and is not "
						    "carried"},
    [NT_L_BLOCK_CAPTION] = {"机器可读回执", "Machine-readable receipt"},
    [NT_L_HOW_TO_CHECK] = {"复核：notary qr decode 扫描内容 > r.json；"
			   "notary verify --genesis 网络创世文件 --receipt r.json [文件]",
			   "To re-check: notary qr decode SCANNED-TEXT > r.json; "
			   "notary verify --genesis GENESIS --receipt r.json [FILE]"},
    [NT_L_PAGE] = {"页", "Page"},
    [NT_L_COL_FILE] = {"文件", "File"},
    [NT_L_COL_DIGEST] = {"摘要", "Digest"},
    [NT_L_COL_TIME] = {"存证时间（北京）", "Attested (Beijing)"},
    [NT_L_COL_VERDICT] = {"结论", "Verdict"},
    [NT_L_RECORDS] = {"记录数", "Records"},
    [NT_L_ALL_VALID] = {"全部有效", "all valid"},
    [NT_L_SOME_INVALID] = {"存在无效记录", "some records are INVALID"},
};

const char *nt_label(nt_label_id id, nt_cert_lang lang)
{
	if ((unsigned)id >= NT_L__COUNT)
		return "";
	return lang == NT_CERT_EN ? labels[id].en : labels[id].zh;
}

const char *nt_label_fmt(nt_label_id id, nt_cert_lang lang, char *buf, size_t cap)
{
	if (lang == NT_CERT_BOTH)
		snprintf(buf, cap, "%s / %s", nt_label(id, NT_CERT_ZH), nt_label(id, NT_CERT_EN));
	else
		snprintf(buf, cap, "%s", nt_label(id, lang));
	return buf;
}

nt_cert_lang nt_lang_parse(const char *s)
{
	if (strcmp(s, "en") == 0)
		return NT_CERT_EN;
	if (strcmp(s, "zh") == 0)
		return NT_CERT_ZH;
	if (strcmp(s, "both") == 0)
		return NT_CERT_BOTH;
	return 0;
}
