"""The site's hosting, generated: S3 + CloudFront with the emergency banner at the edge.

    python -m infra.aws.site            # rewrite infra/aws/site.json
    python -m infra.aws.site --check    # exit 1 when the file is out of date

    viewer ─▶ CloudFront ─┬─ pages (default) ─▶ edge function (Lambda function URL,
                          │                      infra/edge/page_origin.py: page from the bucket,
                          │                      current banner, Shift_JIS header for /m/)
                          ├─ *.css *.js *.jpg … feeds, search index ─▶ bucket
                          ├─ /api/publishing/*, /api/procedures/* ─▶ API Gateway (the apps'
                          │  stages; a CloudFront Function strips /api/<app>, no caching)
                          └─ /staff/* ─▶ the staff console's stage, path kept, no caching

A CloudFront Function maps directory URLs to index.html. The bucket is private: CloudFront
reaches it and the function URL with origin access control; the edge function may only read
the bucket. Upload the edge function's zip (`python -m infra.aws.site
--package edge.zip`: infra/edge/ as the package `edge`; boto3 is in the Lambda runtime) to
EdgeCodeBucket/EdgeCodeKey before creating the stack.

Security: every answer carries the headers of hiroba_core.security_headers (a response
headers policy on every behaviour); the API origins get the origin-verify secret as a header
so API Gateway can refuse whoever calls it around CloudFront; CloudFront's standard logs and
the bucket's access logs go to a log bucket that forgets them after LOG_DAYS; the web ACL of
waf.json (a CLOUDFRONT-scope WAF, which AWS only creates in us-east-1: deploy it there and
pass its ARN as WebAclArn) filters every request before it reaches an origin.
"""

import argparse
import sys
import zipfile
from pathlib import Path

from hiroba_core import emergency_region as banner
from hiroba_core import security_headers
from infra.aws import template as generated
from infra.edge import headers

OUTPUT = Path(__file__).with_name("site.json")
WAF_OUTPUT = Path(__file__).with_name("waf.json")
# Access logs hold viewers' addresses (personal data): kept long enough to look into an
# incident, then deleted by the bucket's lifecycle.
LOG_DAYS = 90
ORIGIN_VERIFY_HEADER = "X-Hiroba-Origin-Verify"
# Requests per viewer address in WAF's 5-minute window: a person reading the site or
# sending a form stays far below; a scraper or a flood of posts does not. Mobile carriers'
# shared addresses (CGNAT) are why the site-wide limit is high.
RATE_LIMIT_SITE = 3000
RATE_LIMIT_API = 300
# the managed policies CloudFront documents: CachingOptimized honours the origin's
# Cache-Control (pages say max-age=60); CORS-S3Origin forwards nothing personal
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
# (anything else that is not a page is passed through by the edge function as well)
STATIC_PATTERNS = [
    "/theme/*",
    "/pagefind/*",
    "/feeds/*",
    "/images/*",
    "/documents/*",
    "/media/files/*",
    "/emergency/cap/*",
    f"/{banner.FOLDER}/*",
    "*.xml",
    "*.json",
    "*.jpg",
    "*.jpeg",
    "*.png",
    "*.gif",
    "*.svg",
    "*.webp",
    "*.webm",
    "*.mp4",
    "*.vtt",
    "*.pdf",
    "*.csv",
    "*.txt",
]
INDEX_FUNCTION = """function handler(event) {
  var request = event.request;
  if (request.uri.endsWith('/')) {
    request.uri += 'index.html';
  } else if (request.uri.lastIndexOf('.') < request.uri.lastIndexOf('/')) {
    request.uri += '/index.html';
  }
  return request;
}
"""


# /api/<app>/… → the app's API Gateway stage; the handset Accept rule of headers.py
API_FUNCTION = f"""function handler(event) {{
  var request = event.request;
  if (request.uri.indexOf('{headers.HANDSET_API_PREFIX}') === 0) {{
    request.headers['accept'] = {{ value: '{headers.HANDSET_ACCEPT}' }};
  }}
  var parts = request.uri.split('/');
  request.uri = '/' + parts.slice(3).join('/');
  return request;
}}
"""
API_APPS = {
    "publishing": "PublishingApiDomain",
    "procedures": "ProceduresApiDomain",
    "console": "ConsoleApiDomain",
}
# the staff console's pages are its own paths (/staff/…), on the site's origin so its
# cookies are first-party; its behaviour keeps the path (no ApiPathFunction)
CONSOLE_PREFIX = "/staff/"
# managed policies: nothing cached, every viewer header but Host sent on (the apps need
# Idempotency-Key, Authorization, Origin, Sec-Fetch-Site, Content-Type) together with the
# CloudFront headers, CloudFront-Viewer-Address among them: the viewer's own address, which
# the apps' per-client limits key on. No custom policy can do this: CloudFront refuses
# Authorization in an origin request policy's list, and the policies that add CloudFront
# headers to all viewer headers also send Host, which API Gateway answers with 403.
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
# site behaviours: the policy replaces whatever an origin sent; API behaviours: the apps
# send the same headers (or the feature-phone policy for their Shift_JIS pages) and keep
# them, CloudFront adds them to answers that lack them (API Gateway's own 403 and 429)
HEADER_POLICIES = {
    "SiteResponseHeaders": (security_headers.SECURITY_HEADERS, True),
    "MobileResponseHeaders": (security_headers.MOBILE_SECURITY_HEADERS, True),
    "AdminResponseHeaders": (security_headers.ADMIN_SECURITY_HEADERS, True),
    "ApiResponseHeaders": (security_headers.SECURITY_HEADERS, False),
}


def sub(text):
    return {"Fn::Sub": text}


def response_headers_config(headers, override):
    """A ResponseHeadersPolicyConfig sending `headers` (a hiroba_core.security_headers
    mapping); a header CloudFront has no security setting for goes out as a custom one."""
    security, custom = {}, []
    for name, value in headers.items():
        key = name.lower()
        if key == "content-security-policy":
            security["ContentSecurityPolicy"] = {
                "ContentSecurityPolicy": value,
                "Override": override,
            }
        elif key == "strict-transport-security":
            parts = [p.strip() for p in value.split(";")]
            max_age = next(int(p.split("=", 1)[1]) for p in parts if p.startswith("max-age="))
            security["StrictTransportSecurity"] = {
                "AccessControlMaxAgeSec": max_age,
                "IncludeSubdomains": "includeSubDomains" in parts,
                "Preload": "preload" in parts,
                "Override": override,
            }
        elif key == "x-content-type-options":
            if value != "nosniff":
                raise ValueError(f"CloudFront sends X-Content-Type-Options: nosniff, not {value}")
            security["ContentTypeOptions"] = {"Override": override}
        elif key == "x-frame-options":
            security["FrameOptions"] = {"FrameOption": value, "Override": override}
        elif key == "referrer-policy":
            security["ReferrerPolicy"] = {"ReferrerPolicy": value, "Override": override}
        else:
            custom.append({"Header": name, "Value": value, "Override": override})
    config = {"SecurityHeadersConfig": security}
    if custom:
        config["CustomHeadersConfig"] = {"Items": custom}
    return config


# Every bucket of the site is private and encrypted: CloudFront reads through origin access
# control, nobody reads them directly.
PRIVATE_BUCKET = {
    "PublicAccessBlockConfiguration": {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    },
    "BucketEncryption": {
        "ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        ]
    },
}


def log_bucket_resources():
    site_bucket_arn = {"Fn::GetAtt": ["SiteBucket", "Arn"]}
    return {
        "LogBucket": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                **PRIVATE_BUCKET,
                # CloudFront's standard logs are delivered with an object ACL
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]},
                "LifecycleConfiguration": {
                    "Rules": [
                        {
                            "Id": "ForgetAccessLogs",
                            "Status": "Enabled",
                            "ExpirationInDays": LOG_DAYS,
                            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                        }
                    ]
                },
            },
        },
        "LogBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "LogBucket"},
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "SiteBucketAccessLogs",
                            "Effect": "Allow",
                            "Principal": {"Service": "logging.s3.amazonaws.com"},
                            "Action": "s3:PutObject",
                            "Resource": sub("${LogBucket.Arn}/s3/*"),
                            "Condition": {
                                "ArnLike": {"aws:SourceArn": site_bucket_arn},
                                "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                            },
                        },
                        {
                            "Sid": "OnlyOverTls",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [
                                {"Fn::GetAtt": ["LogBucket", "Arn"]},
                                sub("${LogBucket.Arn}/*"),
                            ],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        },
                    ],
                },
            },
        },
    }


def managed_rules(priority, name, overrides=()):
    return {
        "Name": name,
        "Priority": priority,
        "OverrideAction": {"None": {}},
        "Statement": {
            "ManagedRuleGroupStatement": {
                "VendorName": "AWS",
                "Name": name,
                **(
                    {
                        "RuleActionOverrides": [
                            {"Name": rule, "ActionToUse": {"Count": {}}} for rule in overrides
                        ]
                    }
                    if overrides
                    else {}
                ),
            }
        },
        "VisibilityConfig": visibility(name),
    }


def visibility(name):
    return {
        "SampledRequestsEnabled": True,
        "CloudWatchMetricsEnabled": True,
        "MetricName": f"hiroba-{name}",
    }


def rate_rule(priority, name, limit, scope=None):
    statement = {"Limit": limit, "EvaluationWindowSec": 300, "AggregateKeyType": "IP"}
    if scope:
        statement["ScopeDownStatement"] = scope
    return {
        "Name": name,
        "Priority": priority,
        "Action": {"Block": {"CustomResponse": {"ResponseCode": 429}}},
        "Statement": {"RateBasedStatement": statement},
        "VisibilityConfig": visibility(name),
    }


def waf_template():
    """The web ACL in front of the distribution (CLOUDFRONT scope: created in us-east-1)."""
    api_paths = {
        "ByteMatchStatement": {
            "FieldToMatch": {"UriPath": {}},
            "PositionalConstraint": "STARTS_WITH",
            "SearchString": "/api/",
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
        }
    }
    rules = [
        rate_rule(0, "RateLimitSite", RATE_LIMIT_SITE),
        rate_rule(1, "RateLimitApi", RATE_LIMIT_API, api_paths),
        # the common rules refuse bodies over 8 KB; a resident's comment or application
        # may be longer (the apps accept 64 KB and check it themselves), so that one rule
        # only counts
        managed_rules(2, "AWSManagedRulesCommonRuleSet", ["SizeRestrictions_BODY"]),
        managed_rules(3, "AWSManagedRulesKnownBadInputsRuleSet"),
    ]
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Hiroba: the WAF web ACL of the site's CloudFront distribution; deploy in us-east-1 (generated by infra/aws/site.py; do not edit)",
        "Resources": {
            "SiteWebAcl": {
                "Type": "AWS::WAFv2::WebACL",
                "Properties": {
                    "Name": sub("${AWS::StackName}-site"),
                    "Scope": "CLOUDFRONT",
                    "DefaultAction": {"Allow": {}},
                    "Rules": rules,
                    "VisibilityConfig": visibility("site"),
                },
            }
        },
        "Outputs": {"WebAclArn": {"Value": {"Fn::GetAtt": ["SiteWebAcl", "Arn"]}}},
    }


def template():
    distribution_arn = sub(
        "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${SiteDistribution}"
    )
    bucket_arn = {"Fn::GetAtt": ["SiteBucket", "Arn"]}
    resources = {
        "SiteBucket": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                **PRIVATE_BUCKET,
                "VersioningConfiguration": {"Status": "Enabled"},
                "LoggingConfiguration": {
                    "DestinationBucketName": {"Ref": "LogBucket"},
                    "LogFilePrefix": "s3/site/",
                },
            },
        },
        **log_bucket_resources(),
        **{
            name: {
                "Type": "AWS::CloudFront::ResponseHeadersPolicy",
                "Properties": {
                    "ResponseHeadersPolicyConfig": {
                        "Name": sub("${AWS::StackName}-" + name),
                        "Comment": "hiroba_core.security_headers",
                        **response_headers_config(headers_, override),
                    }
                },
            }
            for name, (headers_, override) in HEADER_POLICIES.items()
        },
        "SiteBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "SiteBucket"},
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "StaticFilesToCloudFront",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudfront.amazonaws.com"},
                            "Action": "s3:GetObject",
                            "Resource": sub("${SiteBucket.Arn}/*"),
                            "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
                        },
                        {
                            # a missing file is then 404 Not Found, not 403 (no error page
                            # rule: it would also rewrite the APIs' own 403 answers)
                            "Sid": "MissingFilesAreNotFound",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudfront.amazonaws.com"},
                            "Action": "s3:ListBucket",
                            "Resource": bucket_arn,
                            "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
                        },
                    ],
                },
            },
        },
        "EdgeFunctionRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                **generated.LAMBDA_ROLE,
                "Policies": [
                    {
                        "PolicyName": "edge-include",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Sid": "ReadPagesAndBannerRegions",
                                    "Effect": "Allow",
                                    "Action": "s3:GetObject",
                                    "Resource": sub("${SiteBucket.Arn}/*"),
                                },
                                {
                                    "Sid": "NoSuchKeyRatherThanDenied",
                                    "Effect": "Allow",
                                    "Action": "s3:ListBucket",
                                    "Resource": bucket_arn,
                                },
                            ],
                        },
                    }
                ],
            },
        },
        "EdgeFunction": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Description": "Hiroba: pages with the current emergency banner (CloudFront origin)",
                "Runtime": "python3.12",
                "Handler": "edge.page_origin.handler",
                "Role": {"Fn::GetAtt": ["EdgeFunctionRole", "Arn"]},
                "Code": {"S3Bucket": {"Ref": "EdgeCodeBucket"}, "S3Key": {"Ref": "EdgeCodeKey"}},
                "MemorySize": 256,
                "Timeout": 10,
                "Environment": {
                    "Variables": {
                        "HIROBA_SITE_BUCKET": {"Ref": "SiteBucket"},
                        "HIROBA_REGIONS_TTL": "0",
                    }
                },
            },
        },
        "EdgeFunctionUrl": {
            "Type": "AWS::Lambda::Url",
            "Properties": {"TargetFunctionArn": {"Ref": "EdgeFunction"}, "AuthType": "AWS_IAM"},
        },
        # CloudFront signs its requests (origin access control); nobody else may call the URL
        "EdgeFunctionUrlForCloudFront": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunctionUrl",
                "FunctionName": {"Ref": "EdgeFunction"},
                "Principal": "cloudfront.amazonaws.com",
                "SourceArn": distribution_arn,
                "FunctionUrlAuthType": "AWS_IAM",
            },
        },
        "EdgeFunctionForCloudFront": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Ref": "EdgeFunction"},
                "Principal": "cloudfront.amazonaws.com",
                "SourceArn": distribution_arn,
            },
        },
        "PagesOriginAccess": {
            "Type": "AWS::CloudFront::OriginAccessControl",
            "Properties": {
                "OriginAccessControlConfig": {
                    "Name": sub("${AWS::StackName}-pages-origin-access"),
                    "OriginAccessControlOriginType": "lambda",
                    "SigningBehavior": "always",
                    "SigningProtocol": "sigv4",
                }
            },
        },
        "OriginAccess": {
            "Type": "AWS::CloudFront::OriginAccessControl",
            "Properties": {
                "OriginAccessControlConfig": {
                    "Name": sub("${AWS::StackName}-origin-access"),
                    "OriginAccessControlOriginType": "s3",
                    "SigningBehavior": "always",
                    "SigningProtocol": "sigv4",
                }
            },
        },
        "DirectoryIndexFunction": {
            "Type": "AWS::CloudFront::Function",
            "Properties": {
                "Name": sub("${AWS::StackName}-directory-index"),
                "AutoPublish": True,
                "FunctionConfig": {
                    "Comment": "/path/ -> /path/index.html",
                    "Runtime": "cloudfront-js-2.0",
                },
                "FunctionCode": INDEX_FUNCTION,
            },
        },
        "ApiPathFunction": {
            "Type": "AWS::CloudFront::Function",
            "Properties": {
                "Name": sub("${AWS::StackName}-api-path"),
                "AutoPublish": True,
                "FunctionConfig": {
                    "Comment": "/api/<app>/x -> /x on the app's stage; Accept for handsets",
                    "Runtime": "cloudfront-js-2.0",
                },
                "FunctionCode": API_FUNCTION,
            },
        },
        "SiteDistribution": {
            "Type": "AWS::CloudFront::Distribution",
            "Properties": {"DistributionConfig": distribution_config()},
        },
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Hiroba: the static site on S3 + CloudFront with the emergency banner at the edge (generated by infra/aws/site.py; do not edit)",
        "Parameters": {
            "EdgeCodeBucket": {
                "Type": "String",
                "Description": "bucket holding the edge function zip",
            },
            "EdgeCodeKey": {"Type": "String", "Description": "key of the edge function zip"},
            "PublishingApiDomain": {
                "Type": "String",
                "Description": "the publishing app's API Gateway domain (chalice package output)",
            },
            "ProceduresApiDomain": {
                "Type": "String",
                "Description": "the procedures app's API Gateway domain (chalice package output)",
            },
            "ConsoleApiDomain": {
                "Type": "String",
                "Description": "the staff console's API Gateway domain (chalice package output)",
            },
            "ApiStage": {"Type": "String", "Default": "api"},
            "OriginVerifySecretName": {
                "Type": "String",
                "Default": "hiroba/origin-verify",
                "Description": "the Secrets Manager secret (template.json) whose value CloudFront sends to the APIs as X-Hiroba-Origin-Verify",
            },
            "WebAclArn": {
                "Type": "String",
                "AllowedPattern": "arn:aws[a-z-]*:wafv2:us-east-1:[0-9]{12}:global/webacl/.+",
                "Description": "the web ACL of waf.json (stack in us-east-1): output WebAclArn",
            },
            "DomainAliases": {"Type": "CommaDelimitedList", "Default": ""},
            "CertificateArn": {"Type": "String", "Default": "", "Description": "ACM, us-east-1"},
        },
        "Conditions": {
            "HasCertificate": {"Fn::Not": [{"Fn::Equals": [{"Ref": "CertificateArn"}, ""]}]}
        },
        "Resources": resources,
        "Outputs": {
            "SiteBucketName": {"Value": {"Ref": "SiteBucket"}},
            "DistributionId": {"Value": {"Ref": "SiteDistribution"}},
            "DistributionDomain": {"Value": {"Fn::GetAtt": ["SiteDistribution", "DomainName"]}},
        },
    }


def distribution_config():
    # https://<id>.lambda-url.<region>.on.aws/ -> its host name
    pages_origin = {
        "Fn::Select": [2, {"Fn::Split": ["/", {"Fn::GetAtt": ["EdgeFunctionUrl", "FunctionUrl"]}]}]
    }
    static_origin = {"Fn::GetAtt": ["SiteBucket", "RegionalDomainName"]}

    def origin(origin_id, domain):
        return {
            "Id": origin_id,
            "DomainName": domain,
            "OriginAccessControlId": {"Fn::GetAtt": ["OriginAccess", "Id"]},
            "S3OriginConfig": {"OriginAccessIdentity": ""},
        }

    def headers_policy(name):
        return {"Ref": name}

    def behaviour(origin_id, pattern=None, policy="SiteResponseHeaders"):
        value = {
            "TargetOriginId": origin_id,
            "ViewerProtocolPolicy": "redirect-to-https",
            "AllowedMethods": ["GET", "HEAD"],
            "CachePolicyId": CACHING_OPTIMIZED,
            "ResponseHeadersPolicyId": headers_policy(policy),
            "Compress": True,
        }
        if pattern:
            value["PathPattern"] = pattern
        return value

    def api_origin(app, parameter):
        return {
            "Id": f"{app}-api",
            "DomainName": {"Ref": parameter},
            "OriginPath": sub("/${ApiStage}"),
            "OriginCustomHeaders": [
                {
                    "HeaderName": ORIGIN_VERIFY_HEADER,
                    "HeaderValue": sub(
                        "{{resolve:secretsmanager:${OriginVerifySecretName}:SecretString}}"
                    ),
                }
            ],
            "CustomOriginConfig": {
                "OriginProtocolPolicy": "https-only",
                "OriginSSLProtocols": ["TLSv1.2"],
            },
        }

    def api_behaviour(app):
        console = app == "console"
        value = {
            "PathPattern": CONSOLE_PREFIX + "*" if console else f"/api/{app}/*",
            "TargetOriginId": f"{app}-api",
            "ViewerProtocolPolicy": "redirect-to-https",
            "AllowedMethods": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
            "CachePolicyId": CACHING_DISABLED,
            "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST,
            "ResponseHeadersPolicyId": headers_policy("ApiResponseHeaders"),
            "FunctionAssociations": [
                {
                    "EventType": "viewer-request",
                    "FunctionARN": {
                        "Fn::GetAtt": ["ApiPathFunction", "FunctionMetadata.FunctionARN"]
                    },
                }
            ],
        }
        if console:
            del value["FunctionAssociations"]
        return value

    index = [
        {
            "EventType": "viewer-request",
            "FunctionARN": {
                "Fn::GetAtt": ["DirectoryIndexFunction", "FunctionMetadata.FunctionARN"]
            },
        }
    ]
    default = behaviour("pages")
    default["FunctionAssociations"] = index
    # ポケットみやぎ's pages: the same origin, the feature-phone policy (last, so its
    # images still match the static patterns above)
    mobile = behaviour("pages", security_headers.MOBILE_ROOT + "*", "MobileResponseHeaders")
    mobile["FunctionAssociations"] = index
    # the web editor (Decap CMS) cannot run under the site's policy: its page gets its own
    admin = behaviour("pages", security_headers.ADMIN_PREFIX + "*", "AdminResponseHeaders")
    admin["FunctionAssociations"] = index
    certificate = {
        "Fn::If": [
            "HasCertificate",
            {
                "AcmCertificateArn": {"Ref": "CertificateArn"},
                "SslSupportMethod": "sni-only",
                "MinimumProtocolVersion": "TLSv1.2_2021",
            },
            {"CloudFrontDefaultCertificate": True},
        ]
    }
    return {
        "Enabled": True,
        "Comment": "Hiroba site",
        "HttpVersion": "http2and3",
        "IPV6Enabled": True,
        "DefaultRootObject": "index.html",
        "Aliases": {
            "Fn::If": ["HasCertificate", {"Ref": "DomainAliases"}, {"Ref": "AWS::NoValue"}]
        },
        "ViewerCertificate": certificate,
        "WebACLId": {"Ref": "WebAclArn"},
        "Logging": {
            "Bucket": {"Fn::GetAtt": ["LogBucket", "DomainName"]},
            "Prefix": "cloudfront/",
            "IncludeCookies": False,
        },
        "Origins": [
            {
                "Id": "pages",
                "DomainName": pages_origin,
                "OriginAccessControlId": {"Fn::GetAtt": ["PagesOriginAccess", "Id"]},
                "CustomOriginConfig": {
                    "OriginProtocolPolicy": "https-only",
                    "OriginSSLProtocols": ["TLSv1.2"],
                },
            },
            origin("static", static_origin),
            *[api_origin(app, parameter) for app, parameter in API_APPS.items()],
        ],
        "DefaultCacheBehavior": default,
        "CacheBehaviors": [
            *[api_behaviour(app) for app in API_APPS],
            *[behaviour("static", p) for p in STATIC_PATTERNS],
            mobile,
            admin,
        ],
    }


def package(target):
    """The edge function's zip: the package `edge` (infra/edge/*.py) and the one module of the
    core it reads, hiroba_core.emergency_region (standard library only); boto3 is in the
    runtime."""
    edge = Path(__file__).resolve().parents[1] / "edge"
    core = Path(banner.__file__).resolve().parent
    files = [(f"edge/{source.name}", source) for source in sorted(edge.glob("*.py"))]
    files += [
        ("hiroba_core/__init__.py", core / "__init__.py"),
        ("hiroba_core/emergency_region.py", Path(banner.__file__)),
    ]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, source in files:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, source.read_bytes(), zipfile.ZIP_DEFLATED)
    return target


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--package", metavar="ZIP", help="write the edge function's zip")
    args = parser.parse_args()
    if args.package:
        print(f"wrote {package(Path(args.package))}")
        return 0
    return max(
        generated.write_or_check(output, generated.render(document), "infra.aws.site", args.check)
        for output, document in ((OUTPUT, template()), (WAF_OUTPUT, waf_template()))
    )


if __name__ == "__main__":
    sys.exit(main())
