import pytest

from ctutil import ACCOUNT, expect_error, kv_dict, unique

ROOT = f"arn:aws:iam::{ACCOUNT}:root"


def user_arn():
    return f"arn:aws:iam::{ACCOUNT}:user/{unique('user')}"


def list_settings(ecs, **kwargs):
    out = []
    token = None
    while True:
        call = dict(kwargs)
        if token:
            call["nextToken"] = token
        page = ecs.list_account_settings(**call)
        out += page["settings"]
        token = page.get("nextToken")
        if not token:
            return out


def test_put_account_setting_for_principal(ecs):
    principal = user_arn()
    setting = ecs.put_account_setting(
        name="containerInsights", value="enabled", principalArn=principal
    )["setting"]
    assert setting["name"] == "containerInsights"
    assert setting["value"] == "enabled"
    assert setting["principalArn"] == principal

    listed = list_settings(ecs, principalArn=principal)
    assert [(s["name"], s["value"], s["principalArn"]) for s in listed] == [
        ("containerInsights", "enabled", principal)
    ]


def test_put_account_setting_overwrites(ecs):
    principal = user_arn()
    ecs.put_account_setting(name="containerInsights", value="enabled", principalArn=principal)
    ecs.put_account_setting(name="containerInsights", value="enhanced", principalArn=principal)
    listed = list_settings(ecs, principalArn=principal, name="containerInsights")
    assert [s["value"] for s in listed] == ["enhanced"]


def test_list_account_settings_name_and_value_filters(ecs):
    principal = user_arn()
    ecs.put_account_setting(name="containerInsights", value="enabled", principalArn=principal)
    ecs.put_account_setting(name="awsvpcTrunking", value="enabled", principalArn=principal)
    by_name = list_settings(ecs, principalArn=principal, name="awsvpcTrunking")
    assert [s["name"] for s in by_name] == ["awsvpcTrunking"]
    by_value = list_settings(ecs, principalArn=principal, name="containerInsights", value="enabled")
    assert [s["name"] for s in by_value] == ["containerInsights"]
    none = list_settings(ecs, principalArn=principal, name="containerInsights", value="disabled")
    assert none == []


def test_principal_without_settings_lists_nothing_unless_effective(ecs):
    principal = user_arn()
    assert list_settings(ecs, principalArn=principal) == []
    effective = list_settings(ecs, principalArn=principal, effectiveSettings=True)
    names = {s["name"] for s in effective}
    assert {"containerInsights", "serviceLongArnFormat", "taskLongArnFormat",
            "containerInstanceLongArnFormat", "awsvpcTrunking"} <= names
    for s in effective:
        assert s["value"], s


def test_effective_settings_prefer_principal_over_default(ecs):
    principal = user_arn()
    ecs.put_account_setting(name="awsvpcTrunking", value="enabled", principalArn=principal)
    effective = kv_dict(
        list_settings(ecs, principalArn=principal, effectiveSettings=True, name="awsvpcTrunking")
    )
    assert effective == {"awsvpcTrunking": "enabled"}


def test_delete_account_setting(ecs):
    principal = user_arn()
    ecs.put_account_setting(name="containerInsights", value="enabled", principalArn=principal)
    out = ecs.delete_account_setting(name="containerInsights", principalArn=principal)["setting"]
    assert out["name"] == "containerInsights"
    assert out["principalArn"] == principal
    assert list_settings(ecs, principalArn=principal, name="containerInsights") == []


def test_invalid_setting_value_rejected(ecs):
    with expect_error("InvalidParameterException"):
        ecs.put_account_setting(name="containerInsights", value="ENABLED", principalArn=user_arn())
    with expect_error("InvalidParameterException"):
        ecs.put_account_setting(name="containerInsights", value="sometimes", principalArn=user_arn())


def test_invalid_setting_name_rejected(ecs):
    with expect_error("InvalidParameterException"):
        ecs.put_account_setting(name="noSuchSetting", value="enabled", principalArn=user_arn())


def test_fargate_task_retirement_wait_period_values(fresh_ecs):
    for value in ("0", "7", "14"):
        out = fresh_ecs.put_account_setting_default(name="fargateTaskRetirementWaitPeriod", value=value)
        assert out["setting"]["value"] == value
    with expect_error("InvalidParameterException"):
        fresh_ecs.put_account_setting_default(name="fargateTaskRetirementWaitPeriod", value="3")


def test_account_default_applies_to_principals_without_override(fresh_ecs):
    principal = user_arn()
    before = kv_dict(
        list_settings(fresh_ecs, principalArn=principal, effectiveSettings=True, name="containerInsights")
    )
    assert before == {"containerInsights": "disabled"}

    out = fresh_ecs.put_account_setting_default(name="containerInsights", value="enabled")["setting"]
    assert out["name"] == "containerInsights"
    assert out["value"] == "enabled"

    after = kv_dict(
        list_settings(fresh_ecs, principalArn=principal, effectiveSettings=True, name="containerInsights")
    )
    assert after == {"containerInsights": "enabled"}

    fresh_ecs.put_account_setting(name="containerInsights", value="disabled", principalArn=principal)
    overridden = kv_dict(
        list_settings(fresh_ecs, principalArn=principal, effectiveSettings=True, name="containerInsights")
    )
    assert overridden == {"containerInsights": "disabled"}


def test_account_default_container_insights_flows_into_new_clusters(fresh_ecs):
    fresh_ecs.put_account_setting_default(name="containerInsights", value="enabled")
    name = unique()
    fresh_ecs.create_cluster(clusterName=name)
    cluster = fresh_ecs.describe_clusters(clusters=[name], include=["SETTINGS"])["clusters"][0]
    assert kv_dict(cluster["settings"])["containerInsights"] == "enabled"

    explicit = unique()
    fresh_ecs.create_cluster(
        clusterName=explicit, settings=[{"name": "containerInsights", "value": "disabled"}]
    )
    cluster = fresh_ecs.describe_clusters(clusters=[explicit], include=["SETTINGS"])["clusters"][0]
    assert kv_dict(cluster["settings"])["containerInsights"] == "disabled"


def test_root_setting_seen_by_caller_without_principal(fresh_ecs):
    fresh_ecs.put_account_setting(name="awsvpcTrunking", value="enabled", principalArn=ROOT)
    effective = kv_dict(
        list_settings(fresh_ecs, effectiveSettings=True, name="awsvpcTrunking")
    )
    assert effective == {"awsvpcTrunking": "enabled"}


@pytest.mark.parametrize("max_results", [1, 3])
def test_list_account_settings_paginates(fresh_ecs, max_results):
    principal = user_arn()
    names = ["containerInsights", "awsvpcTrunking", "serviceLongArnFormat", "taskLongArnFormat"]
    for name in names:
        fresh_ecs.put_account_setting(name=name, value="enabled", principalArn=principal)
    first = fresh_ecs.list_account_settings(principalArn=principal, maxResults=max_results)
    assert len(first["settings"]) == max_results
    assert first.get("nextToken")
    everything = list_settings(fresh_ecs, principalArn=principal, maxResults=max_results)
    assert sorted(s["name"] for s in everything) == sorted(names)
