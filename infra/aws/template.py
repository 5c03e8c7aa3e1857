"""The AWS resources the functions need, generated from the one table definition.

    python -m infra.aws.template            # rewrite infra/aws/template.json
    python -m infra.aws.template --check    # exit 1 when the file is out of date

template.json holds one DynamoDB table per app (TTL on `expires_at`, point-in-time
recovery, encryption), the functions' secrets in Secrets Manager (generated there, never
in the repository) and one IAM managed policy per app that names only that app's table
and those secrets. infra/aws/package.py writes the same policy into each app's Chalice
config, so the Lambda role of an app can reach its own table and nothing else, and merges
`stage_settings(app)` into the SAM template `chalice package` writes, so API Gateway
throttles each app's stage before Lambda or DynamoDB see the load.
"""

import argparse
import json
import sys
from pathlib import Path

from hiroba_core.settings import Settings
from hiroba_core.store.tables import TABLES

ROOT = Path(__file__).resolve().parents[2]

OUTPUT = Path(__file__).with_name("template.json")
# No DeleteItem: the apps never delete (records end by TTL or change state). The one
# delete in the store, NewsletterStore.release (a Delete in its unit of work), runs in
# `python -m infra.tools newsletter send` with the operator's credentials, not in an app's
# Lambda (tests/unit/test_hosting.py checks).
DYNAMODB_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
]
# Requests per second (steady) and burst for every method of an app's stage: far above a
# prefecture's real traffic, low enough that a flood is refused by API Gateway (429) before
# it runs up Lambda concurrency and DynamoDB capacity. Per-client limits stay in the apps.
STAGE_THROTTLE = {"ThrottlingRateLimit": 50, "ThrottlingBurstLimit": 100}


def mail_from(app):
    """The address the app sends from in production (its prod stage, else the default)."""
    config = json.loads((ROOT / "functions" / app / ".chalice" / "config.json").read_text("utf-8"))
    env = config["stages"]["prod"].get("environment_variables", {})
    return env.get("HIROBA_MAIL_FROM", Settings.mail_from)


# Issued documents (docs/signatures.md): the procedures app writes and reads them in their
# private bucket, and signs with the one KMS key carrying this alias.
DOCUMENT_SIGNING_ALIAS = "alias/hiroba-document-signing"
DOCUMENT_DAYS_KEPT = 35  # the download period (HIROBA_DOCUMENT_DAYS, 30) and a margin


def documents_bucket():
    """The private bucket of issued documents; they expire after DOCUMENT_DAYS_KEPT."""
    from infra.aws.site import PRIVATE_BUCKET  # site.py imports this module

    return {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "BucketName": Settings.documents_bucket,
            **PRIVATE_BUCKET,
            "LifecycleConfiguration": {
                "Rules": [
                    {
                        "Id": "issued-documents-expire",
                        "Status": "Enabled",
                        "Prefix": "documents/",
                        "ExpirationInDays": DOCUMENT_DAYS_KEPT,
                    }
                ]
            },
        },
    }


# Residents' attachments (services/attachments.py): uploaded to drafts/ by a presigned POST,
# moved to applications/ at submit. A draft lives at most 7 days (its resume link), so its
# files are deleted one day after that whatever happens to the draft.
ATTACHMENT_DRAFT_DAYS_KEPT = 8


def attachments_bucket():
    """The private bucket of residents' attachments; drafts' files expire."""
    from infra.aws.site import PRIVATE_BUCKET

    return {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "BucketName": Settings.attachments_bucket,
            **PRIVATE_BUCKET,
            # only buckets' owners' objects: an upload cannot hand its object to another account
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "LifecycleConfiguration": {
                "Rules": [
                    {
                        "Id": "draft-attachments-expire",
                        "Status": "Enabled",
                        "Prefix": "drafts/",
                        "ExpirationInDays": ATTACHMENT_DRAFT_DAYS_KEPT,
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                    }
                ]
            },
        },
    }


def extra_statements(app):
    """What each app may do beyond its tables. The console approves 完了 (which issues the
    signed document, as the procedures app does) and mails 補正依頼 to applicants."""
    if app == "procedures":
        return [*_document_statements(), *_attachment_statements()]
    if app == "console":
        return [*_document_statements(), _mail_statement(app), *_staff_attachment_statements()]
    if app != "publishing":
        return []
    return [_mail_statement(app)]


def _document_statements():
    return [
        {
            "Sid": "IssuedDocuments",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:GetObject"],
            "Resource": {
                "Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{Settings.documents_bucket}/documents/*"
            },
        },
        {
            # the key is chosen by its alias: the 団体's signing key and no other
            "Sid": "DocumentSigning",
            "Effect": "Allow",
            "Action": ["kms:Sign", "kms:GetPublicKey"],
            "Resource": {
                "Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"
            },
            "Condition": {
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": DOCUMENT_SIGNING_ALIAS}
            },
        },
    ]


def _attachment_statements():
    attachments = f"arn:${{AWS::Partition}}:s3:::{Settings.attachments_bucket}"
    return [
        {
            # the presigned POST is signed with the Lambda role's credentials, so the role
            # may put drafts' uploads; it reads, copies and deletes its own prefixes only
            "Sid": "Attachments",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
            "Resource": [
                {"Fn::Sub": f"{attachments}/drafts/*"},
                {"Fn::Sub": f"{attachments}/applications/*"},
            ],
        },
        {
            "Sid": "AttachmentsList",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": {"Fn::Sub": attachments},
            "Condition": {"StringLike": {"s3:prefix": ["drafts/*", "applications/*"]}},
        },
    ]


def _staff_attachment_statements():
    """Staff read a submitted application's files (short-lived links signed with the
    console's role): get and list under applications/ only, never the drafts."""
    attachments = f"arn:${{AWS::Partition}}:s3:::{Settings.attachments_bucket}"
    return [
        {
            "Sid": "ApplicationAttachments",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": {"Fn::Sub": f"{attachments}/applications/*"},
        },
        {
            "Sid": "ApplicationAttachmentsList",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": {"Fn::Sub": attachments},
            "Condition": {"StringLike": {"s3:prefix": ["applications/*"]}},
        },
    ]


def _mail_statement(app):
    return {
        # only as the site's own sender: a bug or an injected header cannot make the
        # Lambda send as anyone else from the account's verified identities
        "Sid": "ConfirmationMail",
        "Effect": "Allow",
        "Action": ["ses:SendEmail", "ses:SendRawEmail"],
        "Resource": {
            "Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"
        },
        "Condition": {"StringEquals": {"ses:FromAddress": mail_from(app)}},
    }


def stage_settings(app):
    """Merged into the app's SAM template (chalice package --merge-template): throttling on
    every method of the stage chalice creates (the AWS::Serverless::Api `RestAPI`)."""
    return {
        "Resources": {
            "RestAPI": {
                "Properties": {
                    "MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*", **STAGE_THROTTLE}]
                }
            }
        }
    }


# Secrets Manager secrets the functions read at cold start (hiroba_core.secrets_store): the
# name is what each app's prod stage sets in HIROBA_SECRET_ID / HIROBA_ORIGIN_VERIFY_ID
# (.chalice/config.json). CloudFront reads the origin-verify value with a dynamic reference
# ({{resolve:secretsmanager:hiroba/origin-verify}}) for the header it adds.
SECRETS = {
    "FunctionSecret": (
        "hiroba/secret",
        "Hiroba: key of link tokens, form tickets and keyed hashes (HIROBA_SECRET);"
        ' rotate by storing {"current": new, "previous": [old]}',
    ),
    "OriginVerifySecret": (
        "hiroba/origin-verify",
        "Hiroba: the X-Hiroba-Origin-Verify value CloudFront sends to API Gateway",
    ),
}
# Secrets only some apps read (their roles name them; no other role does): the payment
# providers' keys, which the procedures app and the console read from HIROBA_PAYMENT_KEYS_ID.
APP_SECRETS = {
    "procedures": {
        "PaymentKeysSecret": (
            "hiroba/payment-keys",
            "Hiroba: the payment providers' keys, JSON {stripe_secret_key, stripe_webhook_secret,"
            " payeasy_key}; the procedures app refuses to start in production until all are set",
        ),
    },
}
# The console refunds and reconciles with the same providers (docs/staff.md): it reads the
# same keys; the public site's publishing app never does.
APP_SECRETS["console"] = APP_SECRETS["procedures"]


def secret_arn(name):
    # Secrets Manager appends a random suffix to every secret's ARN
    return {
        "Fn::Sub": f"arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{name}-*"
    }


def secret_resource(name, description):
    return {
        "Type": "AWS::SecretsManager::Secret",
        "Properties": {
            "Name": name,
            "Description": description,
            "GenerateSecretString": {"PasswordLength": 48, "ExcludePunctuation": True},
        },
    }


def payment_keys_resource(name, description):
    """The keys come from the providers (an operator stores them): the secret starts with
    a random Pay-easy key and empty Stripe keys, which production refuses."""
    return {
        "Type": "AWS::SecretsManager::Secret",
        "Properties": {
            "Name": name,
            "Description": description,
            "GenerateSecretString": {
                "SecretStringTemplate": '{"stripe_secret_key": "", "stripe_webhook_secret": ""}',
                "GenerateStringKey": "payeasy_key",
                "PasswordLength": 48,
                "ExcludePunctuation": True,
            },
        },
    }


# The properties every Lambda function's role starts from: Lambda may assume it, and it may
# write its own logs. Each role adds its own inline policy.
LAMBDA_ROLE = {
    "AssumeRolePolicyDocument": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    },
    "ManagedPolicyArns": [
        {
            "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        }
    ],
}


def table_arn(app):
    name = TABLES[app].default_name
    return {
        "Fn::Sub": f"arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/{name}"
    }


APPS = ("publishing", "procedures", "console")
# Whatever could change or remove an audit entry, or the table itself: denied explicitly, so
# no policy added later can allow it either.
AUDIT_DENIED = [
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
    "dynamodb:UpdateTable",
    "dynamodb:DeleteTable",
    "dynamodb:UpdateTimeToLive",
]


def _with_index(arn):
    return [arn, {"Fn::Sub": arn["Fn::Sub"] + "/index/*"}]


def table_statements(app):
    """The tables an app reaches. Each public app: its own table. The console (staff only,
    behind Cognito and TOTP): its sessions, the audit trail append-only, and the
    applications and comments it processes (docs/staff.md says why)."""
    if app != "console":
        return [
            {
                "Sid": "OwnTable",
                "Effect": "Allow",
                "Action": DYNAMODB_ACTIONS,
                "Resource": _with_index(table_arn(app)),
            }
        ]
    audit = table_arn("audit")
    return [
        {
            "Sid": "Sessions",
            "Effect": "Allow",
            "Action": DYNAMODB_ACTIONS,
            "Resource": _with_index(table_arn("console")),
        },
        {
            "Sid": "AuditAppendOnly",
            "Effect": "Allow",
            "Action": ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:Query"],
            "Resource": [audit],
        },
        {"Sid": "AuditNeverChanged", "Effect": "Deny", "Action": AUDIT_DENIED, "Resource": [audit]},
        {
            "Sid": "Applications",
            "Effect": "Allow",
            "Action": DYNAMODB_ACTIONS,
            "Resource": _with_index(table_arn("procedures")),
        },
        {
            "Sid": "Comments",
            "Effect": "Allow",
            "Action": DYNAMODB_ACTIONS,
            "Resource": _with_index(table_arn("publishing")),
        },
        {
            # the newsletter sender releases a claim when the mail server refused it, so the
            # next run retries that person (services/sending.py); sends' records only
            "Sid": "NewsletterClaimRelease",
            "Effect": "Allow",
            "Action": ["dynamodb:DeleteItem"],
            "Resource": [table_arn("publishing")],
            "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["ISSUE#*"]}},
        },
        {
            # sign-out revokes the member's refresh tokens (hiroba_core.cognito)
            "Sid": "StaffSignOut",
            "Effect": "Allow",
            "Action": ["cognito-idp:AdminUserGlobalSignOut"],
            "Resource": {
                "Fn::Sub": "arn:${AWS::Partition}:cognito-idp:${AWS::Region}:${AWS::AccountId}:userpool/*"
            },
        },
    ]


def policy(app):
    """The IAM policy document of one app's Lambda role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            *table_statements(app),
            {
                "Sid": "Secrets",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": [
                    secret_arn(name)
                    for name, _ in (*SECRETS.values(), *APP_SECRETS.get(app, {}).values())
                ],
            },
            {
                "Sid": "Logs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "arn:*:logs:*:*:*",
            },
            *extra_statements(app),
        ],
    }


def jma_poller():
    """The JMA poller (infra/jma/production.py): a function an EventBridge rule runs every
    minute. Its resources exist only when JmaPollerImageUri is given, so a stack without it
    is unchanged. Returns (parameters, conditions, resources)."""
    parameters = {
        "JmaPollerImageUri": {
            "Type": "String",
            "Default": "",
            "Description": "the poller's container image (infra/jma/Dockerfile); empty: no poller",
        },
        "SiteBucketName": {
            "Type": "String",
            "Default": "hiroba-site",
            "Description": "the site's bucket (infra/aws/site.json)",
        },
        "DistributionId": {"Type": "String", "Default": "", "Description": "CloudFront"},
        "JmaStateBucketName": {
            "Type": "String",
            "Default": "hiroba-jma-state",
            "Description": "a private bucket for the poller's state (jma/state.json)",
        },
        "GitRepository": {"Type": "String", "Default": "", "Description": "owner/name"},
        # the mails' preferences and unsubscribe links lead here (HIROBA_SITEURL)
        "SiteUrl": {
            "Type": "String",
            "Default": "https://www.pref.miyagi.example",
            "AllowedPattern": "^https://[^/]+$",
            "Description": "the site's https origin, as the apps' prod stage has it",
        },
        "GitTokenSecretName": {
            "Type": "String",
            "Default": "hiroba/git-token",
            "Description": "Secrets Manager secret: a Git host token that may write content/news/",
        },
    }
    conditions = {
        "JmaPollerEnabled": {"Fn::Not": [{"Fn::Equals": [{"Ref": "JmaPollerImageUri"}, ""]}]}
    }
    bucket = "arn:${AWS::Partition}:s3:::"
    statements = [
        {
            "Sid": "State",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": {"Fn::Sub": bucket + "${JmaStateBucketName}/jma/*"},
        },
        {
            "Sid": "NoSuchKeyRatherThanDenied",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": [
                {"Fn::Sub": bucket + "${JmaStateBucketName}"},
                {"Fn::Sub": bucket + "${SiteBucketName}"},
            ],
        },
        {
            "Sid": "PublishEmergencyFiles",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            "Resource": {"Fn::Sub": bucket + "${SiteBucketName}/*"},
        },
        {
            "Sid": "Invalidate",
            "Effect": "Allow",
            "Action": "cloudfront:CreateInvalidation",
            "Resource": {
                "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${DistributionId}"
            },
        },
        {
            "Sid": "GitToken",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": {
                "Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${GitTokenSecretName}-*"
            },
        },
        {
            # the mails' links are sealed with the apps' key (HIROBA_SECRET_ID), so the
            # publishing app can open them; a key of the poller's own would break every one
            "Sid": "LinkKey",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": secret_arn(SECRETS["FunctionSecret"][0]),
        },
        {
            "Sid": "BousaiSubscribers",
            "Effect": "Allow",
            # DeleteItem: the sender releases a claim when the mail failed for a while, so
            # the next report's run retries that person (services/sending.py)
            "Action": [*DYNAMODB_ACTIONS, "dynamodb:DeleteItem"],
            "Resource": [
                table_arn("publishing"),
                {"Fn::Sub": table_arn("publishing")["Fn::Sub"] + "/index/*"},
            ],
        },
        *extra_statements("publishing"),  # the mail, as the newsletter sends it
    ]
    enabled = {"Condition": "JmaPollerEnabled"}
    resources = {
        "JmaPollerRole": {
            "Type": "AWS::IAM::Role",
            **enabled,
            "Properties": {
                **LAMBDA_ROLE,
                "Policies": [
                    {
                        "PolicyName": "jma-poller",
                        "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                    }
                ],
            },
        },
        "JmaPollerFunction": {
            "Type": "AWS::Lambda::Function",
            **enabled,
            "Properties": {
                "Description": "Hiroba: JMA 防災情報XML to emergency notices, every minute",
                "PackageType": "Image",
                "Code": {"ImageUri": {"Ref": "JmaPollerImageUri"}},
                "Role": {"Fn::GetAtt": ["JmaPollerRole", "Arn"]},
                "MemorySize": 1024,
                "Timeout": 55,
                # one run at a time: the state object is read and written whole
                "ReservedConcurrentExecutions": 1,
                "EphemeralStorage": {"Size": 1024},
                "Environment": {
                    "Variables": {
                        "HIROBA_JMA_STATE_BUCKET": {"Ref": "JmaStateBucketName"},
                        "HIROBA_SITE_BUCKET": {"Ref": "SiteBucketName"},
                        "HIROBA_DISTRIBUTION_ID": {"Ref": "DistributionId"},
                        "HIROBA_GIT_REPOSITORY": {"Ref": "GitRepository"},
                        "HIROBA_GIT_TOKEN_SECRET": {"Ref": "GitTokenSecretName"},
                        "HIROBA_MAIL": "ses",
                        "HIROBA_SECRET_ID": SECRETS["FunctionSecret"][0],
                        "HIROBA_SITEURL": {"Ref": "SiteUrl"},
                        "HIROBA_PUBLISHING_TABLE": {"Ref": TABLES["publishing"].logical_id},
                    }
                },
            },
        },
        "JmaPollerSchedule": {
            "Type": "AWS::Events::Rule",
            **enabled,
            "Properties": {
                "Description": "Hiroba: poll JMA's feeds (JMA asks for at most once a minute)",
                "ScheduleExpression": "rate(1 minute)",
                "State": "ENABLED",
                "Targets": [
                    {"Arn": {"Fn::GetAtt": ["JmaPollerFunction", "Arn"]}, "Id": "jma-poller"}
                ],
            },
        },
        "JmaPollerInvokedBySchedule": {
            "Type": "AWS::Lambda::Permission",
            **enabled,
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Ref": "JmaPollerFunction"},
                "Principal": "events.amazonaws.com",
                "SourceArn": {"Fn::GetAtt": ["JmaPollerSchedule", "Arn"]},
            },
        },
    }
    return parameters, conditions, resources


def staff_pool():
    """The staff's Cognito user pool: TOTP required, the password policy `make run` uses
    too, accounts made by administrators only, and the console's app client (no secret,
    USER_PASSWORD_AUTH, no attribute a member could write)."""
    from infra.local.cognito import PASSWORD_POLICY

    return {
        "StaffUserPool": {
            "Type": "AWS::Cognito::UserPool",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "UserPoolName": "hiroba-staff",
                "MfaConfiguration": "ON",
                "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
                "Policies": {"PasswordPolicy": PASSWORD_POLICY},
                "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
                "AccountRecoverySetting": {
                    "RecoveryMechanisms": [{"Name": "admin_only", "Priority": 1}]
                },
                "UserPoolAddOns": {"AdvancedSecurityMode": "ENFORCED"},
                "DeletionProtection": "ACTIVE",
            },
        },
        "StaffConsoleClient": {
            "Type": "AWS::Cognito::UserPoolClient",
            "Properties": {
                "ClientName": "hiroba-console",
                "UserPoolId": {"Ref": "StaffUserPool"},
                "GenerateSecret": False,
                "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                "PreventUserExistenceErrors": "ENABLED",
                "EnableTokenRevocation": True,
                "ReadAttributes": ["email"],
                "WriteAttributes": [],
                "IdTokenValidity": 60,
                "AccessTokenValidity": 60,
                "RefreshTokenValidity": 8,
                "TokenValidityUnits": {
                    "IdToken": "minutes",
                    "AccessToken": "minutes",
                    "RefreshToken": "hours",
                },
            },
        },
    }


def template():
    resources, outputs = {}, {}
    for logical_id, (name, description) in SECRETS.items():
        resources[logical_id] = secret_resource(name, description)
    for logical_id, (name, description) in APP_SECRETS["procedures"].items():
        resources[logical_id] = payment_keys_resource(name, description)
        outputs[f"{logical_id}Arn"] = {"Value": {"Ref": logical_id}}
    for table in TABLES.values():
        resources[table.logical_id] = table.cloudformation()
        outputs[f"{table.logical_id}Name"] = {"Value": {"Ref": table.logical_id}}
    for app in APPS:
        policy_id = f"{app.capitalize()}FunctionPolicy"
        resources[policy_id] = {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {
                "Description": f"Hiroba {app} app: its DynamoDB tables and the functions' secrets",
                "PolicyDocument": policy(app),
            },
        }
        outputs[f"{policy_id}Arn"] = {"Value": {"Ref": policy_id}}
    resources.update(staff_pool())
    outputs["StaffUserPoolId"] = {"Value": {"Ref": "StaffUserPool"}}
    outputs["StaffConsoleClientId"] = {"Value": {"Ref": "StaffConsoleClient"}}
    resources["DocumentsBucket"] = documents_bucket()
    outputs["DocumentsBucketName"] = {"Value": {"Ref": "DocumentsBucket"}}
    resources["AttachmentsBucket"] = attachments_bucket()
    outputs["AttachmentsBucketName"] = {"Value": {"Ref": "AttachmentsBucket"}}
    parameters, conditions, poller_resources = jma_poller()
    resources.update(poller_resources)
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Hiroba: DynamoDB tables, the functions' secrets and per-app IAM policies (generated by infra/aws/template.py; do not edit)",
        "Parameters": parameters,
        "Conditions": conditions,
        "Resources": resources,
        "Outputs": outputs,
    }


def render(document):
    """A template as the committed file holds it."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def write_or_check(output, text, module, check):
    """Write a generated template, or with `check` exit 1 when the committed one differs."""
    if check:
        if not output.exists() or output.read_text("utf-8") != text:
            print(f"{output} is out of date: run python -m {module}", file=sys.stderr)
            return 1
        return 0
    output.write_text(text, "utf-8")
    print(f"wrote {output.relative_to(ROOT)}")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    return write_or_check(OUTPUT, render(template()), "infra.aws.template", args.check)


if __name__ == "__main__":
    sys.exit(main())
