"""The JMA poller: 防災情報XML from the Japan Meteorological Agency to emergency notices.

Locally `make jma` (python -m infra.jma); in production a scheduled function (see
docs/content.md and infra/aws/template.py).
"""
