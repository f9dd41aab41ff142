"""Fixtures for anything that pays through Alipay: a fake gateway and a client pointed at it.

Imported by the payouts tests' conftest (`from payouts.tests.alipay_fixtures import *`). The
keys are made once per session (RSA key generation is the slow part); each test gets a fresh
gateway with an empty record of payments.
"""

import pytest

from payouts.alipay import AlipayClient
from tests.alipay_fake.gateway import FakeAlipayGateway, generate_keys

__all__ = ["alipay_keys", "alipay_gateway", "alipay_client", "alipay_settings"]

CLIENT_TIMEOUT_SECONDS = 1.0
# A held request answers (or is dropped) this long after arriving: longer than the client waits.
GATEWAY_SLOW_SECONDS = 1.5


@pytest.fixture(scope="session")
def alipay_keys(tmp_path_factory):
    return generate_keys(tmp_path_factory.mktemp("alipay-keys"))


@pytest.fixture
def alipay_gateway(alipay_keys):
    with FakeAlipayGateway(alipay_keys, slow_seconds=GATEWAY_SLOW_SECONDS) as gateway:
        yield gateway


@pytest.fixture
def alipay_client(alipay_keys, alipay_gateway):
    return AlipayClient(
        **alipay_keys.client_settings(gateway=alipay_gateway.url, timeout_seconds=CLIENT_TIMEOUT_SECONDS)
    )


@pytest.fixture
def alipay_settings(settings, alipay_keys, alipay_gateway):
    """settings.ALIPAY points at the fake, so code calling AlipayClient.from_settings() pays it."""
    settings.ALIPAY = alipay_keys.client_settings(gateway=alipay_gateway.url, timeout_seconds=CLIENT_TIMEOUT_SECONDS)
    return settings.ALIPAY
