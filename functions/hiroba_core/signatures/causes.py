"""Why a signature is not accepted: one cause each, in the order verification checks them,
with what the person who sent the file can do about it. The problem types of the APIs are
`signature-<cause>` (hiroba_core.problems)."""

# cause -> (Japanese, English): what the person who sent the file can act on
CAUSES = {
    "not-pdf": (
        "PDFファイルではありません。署名したPDFファイルを選んでください。",
        "The file is not a PDF. Choose the signed PDF file.",
    ),
    "damaged": (
        "PDFファイルが壊れているか、途中で切れています。署名したファイルをもう一度保存して送ってください。",
        "The PDF file is damaged or truncated. Save the signed file again and send it.",
    ),
    "not-a-signature": (
        "署名ファイルを読み取れません。CMS（PKCS#7）形式の署名ファイル（.p7s など）を選んでください。",
        "The signature file cannot be read. Choose a CMS (PKCS#7) signature file such as a .p7s.",
    ),
    "unsigned": (
        "このPDFには電子署名がありません。署名してから送ってください。",
        "The PDF has no electronic signature. Sign it, then send it.",
    ),
    "not-matching": (
        "署名はこのファイルに対するものではありません。署名したファイルと、その署名ファイルを組み合わせて送ってください。",
        "The signature was not made over this file. Send the file together with its own signature.",
    ),
    "modified": (
        "署名した後に文書が変更されています。変更前の、署名したままのファイルを送ってください。",
        "The document was changed after it was signed. Send the file exactly as it was signed.",
    ),
    "bad-signature": (
        "署名の値が正しくありません。署名をし直してください。",
        "The signature value is not correct. Sign the document again.",
    ),
    "untrusted": (
        "署名に使われた証明書が、信頼する認証局（マイナンバーカードの署名用電子証明書、LGPKI など）のものであることを確かめられません。",
        "The signing certificate does not chain to a trusted certification authority (such as the My Number Card's signing certificate or LGPKI).",
    ),
    "expired": (
        "署名した時点で、署名に使われた証明書の有効期間が過ぎていたか、まだ始まっていませんでした。有効な証明書で署名し直してください。",
        "The signing certificate was expired, or not yet valid, when the document was signed. Sign again with a valid certificate.",
    ),
    "revoked": (
        "署名に使われた証明書は失効しています。有効な証明書で署名し直してください。",
        "The signing certificate has been revoked. Sign again with a valid certificate.",
    ),
    "revocation-unknown": (
        "署名に使われた証明書が失効していないかを確かめられませんでした。時間をおいてもう一度送ってください。",
        "Whether the signing certificate has been revoked could not be checked. Please try again later.",
    ),
}
