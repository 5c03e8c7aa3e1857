"""What runs in front of the static site: the emergency banner put into pages as they are
served (banner.py), in production by an S3 Object Lambda behind CloudFront
(object_lambda.py) and locally by the development server (infra/local/stack.py)."""
