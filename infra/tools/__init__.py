"""Command-line tools for developers and the deploy pipeline (not shipped to Lambda).

    python -m infra.tools <command> --help

tables       create the tables on the DynamoDB endpoint (local stack, tests)
sync         load content/consultations/*.md into the publishing table (window, questions,
             personal fields): the API's only source of truth about consultations
token        mint a development staff token (HS256, HIROBA_JWT_SECRET)
results      write 意見の概要と県の考え方 of a consultation into content/consultations/
indicator    write the submitters-per-consultation open data (JSON, CSV) and its page, and
             the e-application indicators (JSON, CSV) that /procedures/indicators/ shows
openapi      copy each app's OpenAPI description onto the site (content/documents/api/)
newsletter   send ISSUE: send a built issue (output/newsletter/ISSUE/issue.json) to its
             subscribers, each exactly once; emergency: send the live emergency notices to
             防災 subscribers now (see docs/functions.md)
"""
