"""Connections keep their secrets to themselves; bindings work both ways; the binder matches by SKU
code, alias and location code and reports every item it cannot match."""

from __future__ import annotations

import asyncio

import pytest

from stockbridge.connectors.base import RemoteLocation, RemoteVariant
from stockbridge.errors import ConflictError, ValidationError
from stockbridge.services.bindings import (
    bind,
    bind_catalog,
    find_external_ids,
    find_internal_id,
    list_bindings,
    unbind,
)
from stockbridge.services.catalog_skus import add_alias
from stockbridge.services.connections import (
    ConnectionSpec,
    get_connection,
    list_connections,
    load_connection_config,
    register_connection,
)
from stockbridge.services.context import HubContext
from stockbridge.sync.connectors import UnsupportedPlatformError, installed_connector
from stockbridge.sync.discovery import discover
from tests.sync.helpers import CHANNEL, CONNECTION, fake_for, hub_with_channel, sku_id


def test_secrets_are_stored_but_never_returned_or_repr_ed(ctx: HubContext) -> None:
    hub_with_channel(ctx, [])
    view = get_connection(ctx, CONNECTION)
    assert view.secret_names == ("token",) and "s3cret" not in repr(view) + repr(view.as_dict())
    config = load_connection_config(ctx, CONNECTION)
    assert config.secret("token") == "s3cret" and "s3cret" not in repr(config)

    updated = register_connection(ctx, ConnectionSpec(CONNECTION, "fake", CHANNEL, "http://x", {"a": 1}))
    assert updated.settings == {"a": 1} and updated.base_url == "http://x"
    assert load_connection_config(ctx, CONNECTION).secret("token") == "s3cret", "kept when not given"
    assert [v.code for v in list_connections(ctx)] == [CONNECTION]


def test_a_channel_is_fed_by_one_connection(ctx: HubContext) -> None:
    hub_with_channel(ctx, [])
    with pytest.raises(ConflictError, match="already fed by connection 'fake-shop'"):
        register_connection(ctx, ConnectionSpec("second", "fake", CHANNEL))


def test_bindings_resolve_both_ways_and_rebind_in_place(ctx: HubContext) -> None:
    hub_with_channel(ctx, ["A"], bound=False)
    a = str(sku_id(ctx, "A"))
    bind(ctx, CONNECTION, "sku", "item-1", a, {"variant_id": "v1"}, "h1")
    assert find_internal_id(ctx, CONNECTION, "sku", "item-1") == a
    assert [b.external_id for b in find_external_ids(ctx, CONNECTION, "sku", a)] == ["item-1"]
    bind(ctx, CONNECTION, "sku", "item-1", a, {"variant_id": "v2"}, "h2")
    (only,) = list_bindings(ctx, CONNECTION)
    assert only.extra == {"variant_id": "v2"} and only.content_hash == "h2"
    assert (
        unbind(ctx, CONNECTION, "sku", "item-1")
        and find_internal_id(ctx, CONNECTION, "sku", "item-1") is None
    )


def test_the_binder_matches_codes_and_aliases_and_reports_every_unmatched_item(ctx: HubContext) -> None:
    hub_with_channel(ctx, ["A", "B", "C"], bound=False)
    add_alias(ctx, "B", CONNECTION, "b-remote")
    variants = [
        RemoteVariant("i1", "A"),
        RemoteVariant("i2", "b-remote"),
        RemoteVariant("i3", "NOPE"),
        RemoteVariant("i4", None, title="Gift card"),
        RemoteVariant("i5", "C", tracked=False),
        RemoteVariant("i6", "A"),
    ]
    locations = [
        RemoteLocation("loc-1", "Main"),
        RemoteLocation("loc-9", "Popup"),
        RemoteLocation("loc-7", "Old", False),
    ]

    report = bind_catalog(ctx, CONNECTION, variants, locations)

    assert sorted((b.object_type, b.external_id) for b in report.bound) == [
        ("location", "loc-1"),
        ("sku", "i1"),
        ("sku", "i2"),
    ]
    reasons = {u.external_id: u.reason for u in report.unmatched}
    assert reasons == {
        "i3": "no SKU code or 'fake-shop' alias 'NOPE' in the hub",
        "i4": "the remote variant has no SKU",
        "i5": "inventory is not tracked on the platform for this item",
        "i6": "SKU 'A' is already matched by remote item 'i1'",
        "loc-9": "no location code 'loc-9' or 'Popup' for connection 'fake-shop'",
        "loc-7": "inactive remote location",
    }
    again = bind_catalog(ctx, CONNECTION, variants, locations)
    assert (again.bound, again.unchanged) == ([], 3), "unchanged bindings are skipped by content hash"


def test_discovery_reads_the_channel_through_its_connector(ctx: HubContext) -> None:
    hub_with_channel(ctx, ["A", "B"], bound=False)
    fake = fake_for(["A", "B", "ZZ"])
    fake.remote_locations = [RemoteLocation("loc-1", "Main")]

    report = asyncio.run(discover(ctx, CONNECTION, fake))

    assert len(report.bound) == 3 and [u.external_id for u in report.unmatched] == ["item-ZZ"]
    assert find_internal_id(ctx, CONNECTION, "sku", "item-B") == str(sku_id(ctx, "B"))


def test_a_sku_re_created_on_the_channel_moves_its_binding(ctx: HubContext) -> None:
    hub_with_channel(ctx, ["A"], bound=False)
    bind_catalog(ctx, CONNECTION, [RemoteVariant("old", "A")], [])
    bind_catalog(ctx, CONNECTION, [RemoteVariant("new", "A")], [])
    assert [b.external_id for b in list_bindings(ctx, CONNECTION, "sku")] == ["new"]


def test_an_unknown_platform_has_no_connector_and_a_bad_shopify_connection_names_its_fields(
    ctx: HubContext,
) -> None:
    hub_with_channel(ctx, [])
    with pytest.raises(UnsupportedPlatformError, match="'fake'"):
        installed_connector(load_connection_config(ctx, CONNECTION))
    register_connection(
        ctx, ConnectionSpec("shop", "shopify", None, "", {"shop_domain": "not a shop"}, {"access_token": "t"})
    )
    with pytest.raises(ValidationError, match="api_secret"):
        installed_connector(load_connection_config(ctx, "shop"))
    register_connection(
        ctx,
        ConnectionSpec(
            "shop",
            "shopify",
            None,
            "",
            {"shop_domain": "not a shop"},
            {"access_token": "t", "api_secret": "s"},
        ),
    )
    with pytest.raises(ValidationError, match="invalid Shopify connection 'shop': shop_domain"):
        installed_connector(load_connection_config(ctx, "shop"))


def test_no_secret_reaches_the_logs_of_a_push_round(
    ctx: HubContext, caplog: pytest.LogCaptureFixture
) -> None:
    from stockbridge.sync.pusher import Pusher
    from tests.sync.helpers import set_stock

    view = hub_with_channel(ctx, ["A"])
    set_stock(ctx, "A", 1)
    with caplog.at_level("DEBUG"):
        report = asyncio.run(Pusher(ctx).push_round(view, fake_for(["A"])))
        load_connection_config(ctx, CONNECTION)
    assert report.applied == 1 and "push round fake-shop" in caplog.text
    assert "s3cret" not in caplog.text
