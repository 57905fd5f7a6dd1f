"""HTTPS listeners with IAM server certificates: a certificate made with openssl and uploaded
with the AWS CLI (`aws iam upload-server-certificate`), an HTTPS listener naming its ARN,
and curl getting the target's answer over TLS (HTTP/1.1 and HTTP/2) by the load balancer's
DNS name, verifying the certificate; bad uploads and unknown ARNs refused as IAM and ELB do."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from ctutil import unique
from test_elbv2_api import default_subnets, default_vpc
from test_elbv2_traffic import elb, resolves, states, targets, wait_for  # noqa: F401 (fixtures)
from test_iam import client, code


def openssl_cert(work: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for `name` and its RSA key, PEM."""
    cert, key = work / f"{name}.crt", work / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
         "-addext", f"subjectAltName=DNS:{name}", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60)
    return cert, key


def curl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["curl", "-s", "-m", "5", *args], capture_output=True, text=True, timeout=15)


def test_an_https_listener_serves_an_uploaded_certificate(server, aws, elb, targets, tmp_path):  # noqa: F811
    a = targets("a")
    lb = elb.create_load_balancer(Name=unique("tls")[:32], Subnets=default_subnets()[:2])["LoadBalancers"][0]
    name = lb["DNSName"]
    cert, key = openssl_cert(tmp_path, name)
    uploaded = aws("iam", "upload-server-certificate", "--server-certificate-name", unique("cert"),
                   "--certificate-body", f"file://{cert}", "--private-key", f"file://{key}")
    meta = uploaded["ServerCertificateMetadata"]
    assert meta["Arn"].startswith("arn:aws:iam::") and ":server-certificate/" in meta["Arn"]
    assert meta["ServerCertificateId"].startswith("ASCA")

    tg = elb.create_target_group(
        Name=unique("tg")[:32], Protocol="HTTP", Port=80, VpcId=default_vpc(), TargetType="ip",
        HealthCheckPath="/health", HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
        HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1", "Port": a.port}])
    listener = elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=443,
        Certificates=[{"CertificateArn": meta["Arn"]}],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])["Listeners"][0]
    assert listener["Protocol"] == "HTTPS" and listener["SslPolicy"]
    assert listener["Certificates"] == [{"CertificateArn": meta["Arn"]}]

    wait_for("the name in the hosts file", lambda: resolves(name))
    wait_for("the target healthy", lambda: all(h["State"] == "healthy" for h in states(elb, tg).values()))
    # curl verifies the certificate against the uploaded one, by the load balancer's name.
    url = f"https://{name}/secure"
    got = wait_for("the HTTPS listener serving", lambda: (lambda r: r if r.returncode == 0 else None)(
        curl("--cacert", str(cert), url)))
    assert got.stdout.startswith("a /secure"), got
    h2 = curl("--http2", "--cacert", str(cert), "-o", "/dev/null", "-w", "%{http_version}", url)
    assert h2.stdout == "2", h2
    h1 = curl("--http1.1", "--cacert", str(cert), "-o", "/dev/null", "-w", "%{http_version} %{http_code}", url)
    assert h1.stdout == "1.1 200", h1
    # Plain HTTP to the TLS port is no answer.
    assert curl(f"http://{name}:443/").stdout == ""
    # And a client checking another name refuses the certificate.
    other, _ = openssl_cert(tmp_path, "other.example")
    assert curl("--cacert", str(other), url).returncode != 0


def test_bad_uploads_and_unknown_certificates_are_refused(server, elb, tmp_path):  # noqa: F811
    iam = client("iam", server.endpoint)
    cert, _ = openssl_cert(tmp_path, "a.example")
    _, other_key = openssl_cert(tmp_path, "b.example")
    with pytest.raises(ClientError) as e:
        iam.upload_server_certificate(ServerCertificateName=unique("bad"), CertificateBody=cert.read_text(),
                                      PrivateKey=other_key.read_text())
    assert code(e) == "KeyPairMismatch"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as e:
        iam.upload_server_certificate(ServerCertificateName=unique("bad"), CertificateBody="not PEM",
                                      PrivateKey=other_key.read_text())
    assert code(e) == "MalformedCertificate"
    names = [c["ServerCertificateName"] for c in iam.list_server_certificates()["ServerCertificateMetadataList"]]
    assert not any(n.startswith("bad") for n in names)

    lb = elb.create_load_balancer(Name=unique("tls")[:32], Subnets=default_subnets()[:2])["LoadBalancers"][0]
    tg = elb.create_target_group(Name=unique("tg")[:32], Protocol="HTTP", Port=80, VpcId=default_vpc(),
                                 TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    missing = "arn:aws:iam::000000000000:server-certificate/missing"
    with pytest.raises(ClientError) as e:
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=443,
                            Certificates=[{"CertificateArn": missing}],
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    assert code(e) == "CertificateNotFound"
    assert elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"] == []
