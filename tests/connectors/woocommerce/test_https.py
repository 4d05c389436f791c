"""Over real TLS the connector authenticates with HTTP Basic, as WooCommerce expects on https."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from stockbridge.connectors.errors import AuthError
from stockbridge.connectors.woocommerce import build_connector
from stockbridge.domain.clock import FrozenClock
from stockbridge.sandbox.server import ThreadedEmulatorServer
from stockbridge.sandbox.woocommerce import WooCommerceEmulator
from stockbridge.sandbox.woocommerce.storefront import seed
from tests.connectors.woocommerce.conftest import SEED, WooSite

pytestmark = pytest.mark.anyio


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    command = [
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
    ]
    command += ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)]
    subprocess.run(command, check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_site(certificate: tuple[Path, Path]) -> Iterator[WooSite]:
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(*certificate)
    clock = FrozenClock()
    emulator = WooCommerceEmulator(clock=clock)
    seed(emulator.store, SEED)
    server = ThreadedEmulatorServer(emulator, ssl_context=server_context)
    server.start()
    try:
        yield WooSite(emulator, server, clock)
    finally:
        server.stop()


async def test_basic_auth_over_https_reads_and_a_wrong_secret_is_an_auth_error(
    tls_site: WooSite, certificate: tuple[Path, Path]
) -> None:
    assert tls_site.base_url.startswith("https://")
    trust = ssl.create_default_context(cafile=str(certificate[0]))

    async def levels_with(secret: str | None = None) -> int:
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=trust))
        changes = {"consumer_secret": secret} if secret else {}
        woo = build_connector("woo", tls_site.config(**changes), session, clock=tls_site.clock)
        try:
            return len([lv async for lv in woo.levels()])
        finally:
            await session.close()

    assert await levels_with() == 4
    with pytest.raises(AuthError) as caught:
        await levels_with("cs_wrong")
    assert caught.value.status == 401
    assert tls_site.emulator.counters.get("woocommerce_unauthorized") == 1
