"""The simulated site's metadata as the Eniscope API lists it (API spec sections 4.1 to 4.4).

One organization (the Wilson Center), its devices (two hubs and the metering points), its 20
channels (8 energy meters, 3 non-energy channels, the 9-appliance home kit) and its meters, in
the wire format: string ids, flags and epochs, camelCase keys. Built from
:data:`argo_lib.sim.site.CHANNEL_METADATA`.

Examples
--------
>>> [len(list_records(r)) for r in ("organizations", "devices", "channels", "meters")]
[1, 16, 20, 17]
"""

from __future__ import annotations

import re
from typing import Any

from argo_lib.sim.site import (
    CHANNEL_METADATA,
    HUBS,
    LICENCE_S,
    WILSON_ORGANIZATION_ID,
    WILSON_SITE,
)

__all__ = [
    "SITE_NAME",
    "SITE_ORGANIZATION_ID",
    "SITE_TIMEZONE",
    "channel_records",
    "device_records",
    "list_records",
]

SITE_ORGANIZATION_ID = int(WILSON_ORGANIZATION_ID)
"""The Wilson Center organization, the only one the fake's account may see."""
SITE_TIMEZONE = WILSON_SITE.timezone
"""Time zone of the simulated site."""
SITE_NAME = "Wilson Center"
"""Organization name of the simulated site."""
_CREATED = "1659361785"
_LINKS = "https://core-lb.prod.best.energy/v1/1"


def channel_records(*, organization_id: str = WILSON_ORGANIZATION_ID) -> list[dict[str, Any]]:
    """Channel records in the Eniscope wire format (API spec section 4.3), for the fake server.

    IDs, flags and epochs are strings and keys camelCase, as the API sends them.

    Parameters
    ----------
    organization_id : str
        ``organizationId`` to stamp on each record.

    Returns
    -------
    list of dict
        One record per channel of :data:`CHANNEL_METADATA`, with ``dataChannelId``,
        ``channelName``, ``deviceId``, ``deviceName``, ``deviceTypeId``, ``deviceTypeName``,
        ``organizationId``, ``organizationName``, ``dataType``, ``displayedPhase``, ``status``,
        ``registered``, ``expires``, ``in_tsdb``, ``uuId``, ``tariffId`` (None), ``parentId`` and
        ``meterId`` (only where a meter exists).

    Examples
    --------
    >>> rec = channel_records()[0]
    >>> rec["dataChannelId"], rec["deviceTypeName"], rec["status"]
    ('162119', 'Eniscope 8 Hybrid Metering Point', '1')
    """
    records = []
    for m in CHANNEL_METADATA:
        rec: dict[str, Any] = {
            "dataChannelId": str(m.channel_id),
            "channelName": m.name,
            "deviceId": str(m.device_id),
            "deviceName": m.device_name,
            "deviceTypeId": str(m.device_type_id),
            "deviceTypeName": m.device_type_name,
            "organizationId": organization_id,
            "organizationName": "Wilson Center",
            "dataType": m.data_type,
            "displayedPhase": m.displayed_phase,
            "status": "1",
            "registered": str(m.registered),
            "expires": str(m.expires),
            "in_tsdb": "Y" if m.in_tsdb else "N",
            "uuId": m.uu_id,
            "tariffId": None,
            "parentId": None if m.parent_device_id is None else str(m.parent_device_id),
        }
        if m.meter_id is not None:
            rec["meterId"] = str(m.meter_id)
        records.append(rec)
    return records


def device_records(*, organization_id: str = WILSON_ORGANIZATION_ID) -> list[dict[str, Any]]:
    """Device records in the Eniscope wire format (API spec section 4.2), for the fake server.

    The two hubs (the Wilson Eniscope 8 Hybrid and the home kit) plus one record per distinct
    channel device, with invented stable ids; every value is a string as the API sends it.

    Parameters
    ----------
    organization_id : str
        ``organizationId`` to stamp on each record.

    Returns
    -------
    list of dict
        ``deviceId``, ``deviceName``, ``deviceTypeId``, ``deviceTypeName``, ``uuId``,
        ``parentId``, ``organizationId``, ``timeZone``, ``status``, ``registered``,
        ``expires``, ``isMeteringPoint``, sorted by ``deviceId``.

    Examples
    --------
    >>> devices = device_records()
    >>> len(devices), devices[0]["deviceTypeName"]
    (16, 'Eniscope 8 Hybrid')
    """
    found: dict[int, dict[str, Any]] = {}
    for hub_id, (name, uu_id, type_name) in HUBS.items():
        first = min(m.registered for m in CHANNEL_METADATA if m.parent_device_id == hub_id)
        found[hub_id] = {
            "deviceId": str(hub_id),
            "deviceName": name,
            "deviceTypeId": "20" if hub_id == 70000 else "30",
            "deviceTypeName": type_name,
            "uuId": uu_id,
            "parentId": None,
            "registered": str(first),
            "expires": str(first + LICENCE_S),
            "isMeteringPoint": "0",
        }
    for m in CHANNEL_METADATA:
        found.setdefault(
            m.device_id,
            {
                "deviceId": str(m.device_id),
                "deviceName": m.device_name,
                "deviceTypeId": str(m.device_type_id),
                "deviceTypeName": m.device_type_name,
                "uuId": m.uu_id,
                "parentId": None if m.parent_device_id is None else str(m.parent_device_id),
                "registered": str(m.registered),
                "expires": str(m.expires),
                "isMeteringPoint": "1",
            },
        )
    common = {"organizationId": organization_id, "timeZone": WILSON_SITE.timezone, "status": "1"}
    return [{**found[k], **common} for k in sorted(found)]


def list_records(resource: str, *, tariff_id: str | None = None) -> list[dict[str, Any]]:
    """Every record of a list resource, as the API serves it (before filters and pages).

    Parameters
    ----------
    resource : {"organizations", "devices", "channels", "meters"}
        The resource.
    tariff_id : str, optional
        ``tariffId`` of every channel (None: no tariff attached).

    Returns
    -------
    list of dict
        The records, with the API's extra keys (``links``, ``sortCode``, ...).
    """
    org = str(SITE_ORGANIZATION_ID)
    if resource == "organizations":
        return [
            {
                "organizationId": org,
                "organizationName": SITE_NAME,
                "parentId": "1",
                "status": "1",
                "sortCode": f"1-2-{org}-",
                "address1": "1300 Pennsylvania Ave NW",
                "address2": None,
                "address3": None,
                "city": "Washington",
                "state": "DC",
                "postCode": "20004",
                "country": "US",
                "defaultEmailAddress": "facilities@example.org",
                "currencyCode": "USD",
                "currencySymbol": "$",
                "timeZone": SITE_TIMEZONE,
                "temperatureType": "F",
                "createdTs": _CREATED,
                "modifiedTs": _CREATED,
                "links": {"self": f"{_LINKS}/organizations/{org}"},
            }
        ]
    if resource == "devices":
        return [
            {
                **record,
                "deviceTypeCode": re.sub(r"\W", "", record["deviceTypeName"].upper())[:12],
                "renewed": record["registered"],
                "dataPlan": "standard",
                "sortCode": f"1-2-{org}-",
                "links": {"self": f"{_LINKS}/devices/{record['deviceId']}"},
                "meteringPoints": [],
            }
            for record in device_records(organization_id=org)
        ]
    if resource == "meters":
        return [
            {
                "meterId": str(m.meter_id),
                "deviceId": str(m.device_id),
                "deviceName": m.device_name,
                "dataType": m.data_type,
                "ct": "3000",
                "vs": "415",
                "channels": "1",
                "interface": {"interfaceName": "CT input", "deviceTypeInterfaceId": "7"},
                "organizationId": org,
                "uuId": m.uu_id,
                "parentId": None if m.parent_device_id is None else str(m.parent_device_id),
                "registered": str(m.registered),
                "expires": str(m.expires),
                "status": "1",
            }
            for m in CHANNEL_METADATA
            if m.meter_id is not None
        ]
    return [
        {
            **record,
            "tariffId": tariff_id,
            "links": {"self": f"{_LINKS}/channels/{record['dataChannelId']}"},
        }
        for record in channel_records(organization_id=org)
    ]
