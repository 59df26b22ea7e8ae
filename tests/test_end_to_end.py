"""The operator's real path, end to end, on both backends: ingest from the API, brief, e-mail.

``argo db upgrade``, ``argo ingest --fake`` (the real client against the loopback fake Eniscope
server), then ``argo brief --send``: the JSON, the HTML, the e-mail file and the delivered
message, from a fresh database and from one the demo filled first (``make run`` followed by an
ingestion). Every step goes through the command line, as cron runs it.
"""

from __future__ import annotations

import email
import email.policy
import json
import re

import pytest

from argo_lib import brief, cli

AS_OF = "2025-12-08T12:00:00+00:00"  # the fake server's "now": Monday after 2025-W49
WEEK = "2025-W49"


@pytest.fixture
def operator_env(tmp_path, monkeypatch, smtp_server):
    """Outputs in tmp_path, mail through the local SMTP server (variables win over any .env)."""
    port, sink = smtp_server
    for name, value in {
        "ARGO_OUTPUTS_DIR": str(tmp_path / "outputs"),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_STARTTLS": "false",
        "MAIL_FROM": "brief@argo.test",
        "MAIL_TO": "fm@site.test",
        "DATABASE_URL": "",
        "SMTP_USERNAME": "",
        "SMTP_PASSWORD": "",
        "SMTP_SSL": "false",
    }.items():
        monkeypatch.setenv(name, value)
    return tmp_path / "outputs" / "23271" / WEEK, sink


@pytest.mark.parametrize("after_demo", [False, True], ids=["fresh-database", "after-the-demo"])
def test_ingest_then_brief_then_mail(database_url, operator_env, after_demo, capsys):
    folder, sink = operator_env
    db_option = ["--database-url", database_url]
    assert cli.main(["db", "upgrade", *db_option]) == 0
    if after_demo:  # make run, then the nightly sync into the same database
        assert cli.main(["demo", *db_option, "--weeks", "6", "--end-week", WEEK]) == 0
    ingest = ["ingest", "--site", "23271", "--fake", "--as-of", AS_OF, "--days", "40"]
    assert cli.main([*ingest, *db_option, "--no-progress"]) == 0
    capsys.readouterr()

    assert cli.main(["brief", "--site", "23271", "--week", WEEK, "--send", *db_option]) == 0
    printed = capsys.readouterr().out
    assert "sent to:  fm@site.test" in printed

    doc = json.loads((folder / "weekly_brief.json").read_text())
    brief.validate_brief(doc)
    assert doc["metadata"]["period"]["label"] == WEEK
    channels = {c["channelId"] for c in doc["dataQuality"]["channels"]}
    # the site's eight energy meters only: no home kit, no virtual or air-quality channel
    assert channels == {162119, 162120, 162121, 162122, 162123, 162285, 162319, 162320}
    completeness = {c["channelId"]: c["completeness"] for c in doc["dataQuality"]["channels"]}
    assert completeness.pop(162319) == pytest.approx(100 * (168 - 6) / 168, abs=0.05)
    assert set(completeness.values()) == {100.0}
    assert {c["baselineStatus"] for c in doc["dataQuality"]["channels"]} == {"ok"}
    # the faults the fake server serves in that week (the demo's) come back as findings
    issues = {(i["type"], i["channelId"]) for i in doc["sections"]["sensorHealth"]["issues"]}
    assert issues == {("missing_data", 162319), ("stuck_sensor", 162122)}
    assert doc["sections"]["afterHoursWaste"]["topMeters"][0]["channelName"] == "AHU-2"
    assert doc["sections"]["spikes"]["topSpikes"][0]["channelId"] == 162285

    html = (folder / "weekly_brief.html").read_text()
    assert len(re.findall(r'src="data:image/png;base64,', html)) == 4
    assert doc["summary"]["headline"][0] in html

    eml = email.message_from_bytes(
        (folder / "weekly_brief.eml").read_bytes(), policy=email.policy.default
    )
    ((sender, recipients, content),) = sink.messages
    delivered = email.message_from_bytes(content, policy=email.policy.default)
    assert (sender, recipients) == ("brief@argo.test", ["fm@site.test"])
    assert delivered["Subject"] == eml["Subject"] and delivered["Subject"].startswith("[")
    assert doc["metadata"]["site"]["siteName"] in delivered["Subject"]
    text = delivered.get_body(preferencelist=("plain",)).get_content()
    assert doc["summary"]["headline"][0] in text
