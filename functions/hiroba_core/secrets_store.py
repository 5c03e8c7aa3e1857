"""Where production secrets come from: AWS Secrets Manager or SSM Parameter Store.

A secret id names one of them:

    arn:aws:secretsmanager:…:secret:hiroba/secret-AbCdEf   or a plain name  hiroba/secret
    arn:aws:ssm:…:parameter/hiroba/secret                   or  ssm:/hiroba/secret

Parameter Store values must be SecureString (a String parameter is readable by anyone who
may list parameters, and is refused). The value is either the key itself or JSON with the
key and the keys it replaced: {"current": "…", "previous": ["…"]}, so a rotated key keeps
verifying links and tickets issued before the rotation.

boto3 is imported here, on first use, like the store does: the Lambda runtime provides it.
The endpoint is HIROBA_SECRETS_ENDPOINT when set (the tests' loopback server), AWS else.
"""

import json
import os


class SecretUnavailable(RuntimeError):
    """The secret could not be read, or is not what production may run with."""


def _client(service, region, endpoint):
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 2})
    options = {"region_name": region, "config": config}
    if endpoint:
        options["endpoint_url"] = endpoint
        if not os.environ.get("AWS_ACCESS_KEY_ID"):
            # a loopback server accepts any credentials; never real ones
            options.update(aws_access_key_id="local", aws_secret_access_key="local")
    return boto3.client(service, **options)


def _parameter_name(secret_id):
    if secret_id.startswith("ssm:"):
        return secret_id[4:]
    if secret_id.startswith("arn:") and ":ssm:" in secret_id:
        return "/" + secret_id.split(":parameter/", 1)[1]
    return None


def read(secret_id, *, region, endpoint=None):
    """The raw text stored under `secret_id`; SecretUnavailable naming the id otherwise."""
    import botocore.exceptions

    parameter = _parameter_name(secret_id)
    try:
        if parameter is not None:
            answer = _client("ssm", region, endpoint).get_parameter(
                Name=parameter, WithDecryption=True
            )["Parameter"]
            if answer.get("Type") != "SecureString":
                raise SecretUnavailable(f"{secret_id} must be an SSM SecureString parameter")
            return answer["Value"]
        answer = _client("secretsmanager", region, endpoint).get_secret_value(SecretId=secret_id)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        raise SecretUnavailable(f"cannot read {secret_id}: {type(error).__name__}") from None
    if "SecretString" not in answer:
        raise SecretUnavailable(f"{secret_id} holds no text (SecretString)")
    return answer["SecretString"]


def keys(text):
    """(current, *previous) from a stored value: the key itself, or JSON with both."""
    text = (text or "").strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            raise SecretUnavailable("the secret is not valid JSON") from None
        current = data.get("current") if isinstance(data, dict) else None
        previous = data.get("previous", []) if isinstance(data, dict) else None
        if not isinstance(current, str) or not isinstance(previous, list):
            raise SecretUnavailable('the secret must be {"current": "…", "previous": ["…"]}')
        if not all(isinstance(p, str) for p in previous):
            raise SecretUnavailable("every previous key must be text")
        return (current, *previous)
    return (text,)
