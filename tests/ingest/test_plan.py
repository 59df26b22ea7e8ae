"""Planning a sync: site-local day windows, energy channels, pacing profiles."""

from __future__ import annotations

import pandas as pd
import pytest

from argo_lib import ingest
from argo_lib.eniscope import parse_channels
from argo_lib.sim import WILSON_CHANNELS
from argo_lib.sim.fake_eniscope import channel_records

TZ = "America/New_York"


@pytest.mark.parametrize(
    ("start", "end", "window_days", "hours"),
    [
        ("2025-11-01 12:00", "2025-11-04", 1, [12, 25, 24]),
        ("2025-03-08", "2025-03-10", 1, [24, 23]),
        ("2025-11-01", "2025-11-16", 7, [7 * 24 + 1, 7 * 24, 24]),
        ("2025-12-01", "2025-12-01 06:30", 1, [6.5]),
    ],
    ids=["fall-back-partial-start", "spring-forward", "week-windows", "partial-day"],
)
def test_windows_follow_site_local_days(start, end, window_days, hours):
    lo, hi = pd.Timestamp(start, tz=TZ), pd.Timestamp(end, tz=TZ)
    windows = ingest.plan_windows(lo, hi, tz=TZ, window_days=window_days)
    assert [(b - a) / pd.Timedelta(hours=1) for a, b in windows] == hours
    assert windows[0][0] == lo and windows[-1][1] == hi
    assert all(w[1] == n[0] for w, n in zip(windows[:-1], windows[1:], strict=True))
    assert all(b.tz_convert(TZ).hour == 0 for _, b in windows[:-1])


def test_non_energy_channels_are_recognised_from_metadata_and_configuration():
    channels = parse_channels(channel_records(organization_id="23271"))
    energy = ingest.classify_channels(channels, skip_channels=[158694])
    by_id = dict(zip(channels["channel_id"], energy, strict=True))
    assert not by_id[162127] and not by_id[162141] and not by_id[162277]  # virtual, air sense
    assert not by_id[158694]  # configured
    assert all(by_id[c.channel_id] for c in WILSON_CHANNELS)
    assert sum(energy) == len(channels) - 4
    # Unknown ids are judged by their metadata alone: nothing is keyed on an id.
    renamed = channels.assign(channel_id=channels["channel_id"] + 1_000_000)
    assert ingest.classify_channels(renamed).sum() == len(channels) - 3


def test_profiles_configure_the_client():
    fast = ingest.SYNC_PROFILES["fast"].client_options()
    assert fast == {"min_interval_s": 0.0, "max_concurrency": 4, "max_window_s": 31 * 86400}
    polite = ingest.SYNC_PROFILES["polite"]
    assert (polite.window_days, polite.max_concurrency, polite.min_interval_s) == (1, 1, 1.0)
    with pytest.raises(ValueError, match="unknown sync profile 'quick'"):
        ingest.make_client(profile="quick")
