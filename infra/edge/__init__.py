"""What runs in front of the static site: the emergency banner put into pages as they are
served (banner.py), in production by the function CloudFront asks for pages
(page_origin.py) and locally by the development server (infra/local/stack.py)."""
