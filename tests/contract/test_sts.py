"""STS over AWS Query through boto3, the AWS CLI and raw signed forms: who is calling, and
XML errors for what is malformed or not served."""

from __future__ import annotations

import os

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ctutil import REGION, SECRET_KEY
from test_protocols_unserved import FORM, send


def sts_client(endpoint: str, access_key: str = "test"):
    session = boto3.session.Session(
        aws_access_key_id=access_key, aws_secret_access_key=SECRET_KEY, region_name=REGION
    )
    return session.client("sts", endpoint_url=endpoint,
                          config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))


def test_get_caller_identity_names_the_signer(server):
    me = sts_client(server.endpoint).get_caller_identity()
    assert me["Account"] == "000000000000"
    assert me["Arn"] == "arn:aws:iam::000000000000:root"
    assert me["UserId"] == "000000000000"
    other = sts_client(server.endpoint, access_key="123456789012").get_caller_identity()
    assert other["Account"] == "123456789012"
    assert other["Arn"] == "arn:aws:iam::123456789012:root"


def test_the_aws_cli_asks_who_it_is(aws):
    assert aws("sts", "get-caller-identity")["Account"] == "000000000000"


def test_the_answer_is_query_xml(server, endpoint):
    status, headers, data = send(endpoint, b"Action=GetCallerIdentity&Version=2011-06-15", FORM, "sts")
    assert status == 200, data
    assert headers["content-type"].startswith("text/xml")
    assert data.startswith(b"<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"), data
    assert b"<GetCallerIdentityResult><Arn>arn:aws:iam::000000000000:root</Arn>" in data or \
        b"<Arn>arn:aws:iam::000000000000:root</Arn>" in data, data
    assert b"<RequestId>" in data


@pytest.mark.parametrize(
    "body,code",
    [
        (b"Action=NoSuchThing&Version=2011-06-15", b"InvalidAction"),
        (b"Action=GetFederationToken&Version=2011-06-15&Name=x", b"InvalidAction"),
        (b"Version=2011-06-15", b"MissingAction"),
        (b"%%%&&==", None),
        (os.urandom(64), None),
    ],
    ids=["unknown", "not-yet", "no-action", "bad-escapes", "random"],
)
def test_bad_requests_get_xml_4xx_errors(server, endpoint, body, code):
    status, headers, data = send(endpoint, body, FORM, "sts")
    assert 400 <= status < 500, (status, data[:300])
    assert headers.get("content-type", "").startswith("text/xml"), headers
    assert b"<ErrorResponse>" in data and b"<Type>Sender</Type>" in data, data[:300]
    if code:
        assert b"<Code>" + code + b"</Code>" in data, data[:300]
    assert server.alive()


def test_boto3_reads_errors_as_typed_codes(server):
    sts = sts_client(server.endpoint)
    with pytest.raises(ClientError) as e:
        sts.get_federation_token(Name="fed")
    assert e.value.response["Error"]["Code"] == "InvalidAction"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
