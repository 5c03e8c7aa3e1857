"""Electronic signatures: documents the 団体 issues signed (PAdES), and signatures residents
and businesses send checked (PAdES or detached CMS). Framework-free; see docs/signatures.md.

    trust      the configured trust anchors, intermediates and CRLs
    verify     verify_pdf / verify_detached -> Verdict (valid, cause, signer, chain, ...)
    signer     the one interface the issuer signs through: a PKCS#12 file or AWS KMS
    kms        the AWS KMS signer (pyHanko external signer over KMS Sign)
    documents  the PDF of an issued document, laid out from a template per procedure
    issuance   issue, store and hand out a completed application's document
"""
