"""`python -m tests.alipay_fake`: serves the fake Alipay gateway for the demo and manual tests
(R11.1), generating its keys and certificates if missing, and prints the settings that point the
portal at it. Ctrl-C stops it. It needs no Django: it is Alipay's side, not the portal's."""

import argparse
import threading

from tests.alipay_fake.gateway import FAKE_APP_ID, FakeAlipayGateway, generate_keys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.alipay_fake", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--keys-dir", default="var/alipay", help="where the keys live; created if missing")
    parser.add_argument(
        "--slow-seconds", type=float, default=15.0, help="how long a stalled or timed-out request is held"
    )
    options = parser.parse_args(argv)
    keys = generate_keys(options.keys_dir)
    gateway = FakeAlipayGateway(keys, host=options.host, port=options.port, slow_seconds=options.slow_seconds).start()
    settings = keys.client_settings(gateway=gateway.url, app_id=FAKE_APP_ID)
    print("Fake Alipay gateway serving. Point the portal at it with:")
    for name, key in [
        ("ALIPAY_APP_ID", "app_id"),
        ("ALIPAY_GATEWAY", "gateway"),
        ("ALIPAY_APP_PRIVATE_KEY_PATH", "app_private_key_path"),
        ("ALIPAY_APP_CERT_PATH", "app_cert_path"),
        ("ALIPAY_PUBLIC_CERT_PATH", "alipay_public_cert_path"),
        ("ALIPAY_ROOT_CERT_PATH", "alipay_root_cert_path"),
    ]:
        print(f"{name}={settings[key]}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        gateway.stop()
        print(f"\nStopped after {gateway.paid_count} payments.")


if __name__ == "__main__":
    main()
