import threading

from django.core.management.base import BaseCommand

from payouts.fake_gateway import FAKE_APP_ID, FakeAlipayGateway, generate_keys


class Command(BaseCommand):
    help = (
        "Serves a local fake Alipay gateway for the demo and manual tests (R11.1), generating its keys "
        "and certificates if missing, and prints the settings that point the portal at it. Ctrl-C stops it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8790)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--keys-dir", default="var/alipay", help="where the keys live; created if missing")
        parser.add_argument(
            "--slow-seconds", type=float, default=15.0, help="how long a stalled or timed-out request is held"
        )

    def handle(self, *args, port, host, keys_dir, slow_seconds, **options):
        keys = generate_keys(keys_dir)
        gateway = FakeAlipayGateway(keys, host=host, port=port, slow_seconds=slow_seconds).start()
        settings = keys.client_settings(gateway=gateway.url, app_id=FAKE_APP_ID)
        self.stdout.write("Fake Alipay gateway serving. Point the portal at it with:\n")
        for name, key in [
            ("ALIPAY_APP_ID", "app_id"),
            ("ALIPAY_GATEWAY", "gateway"),
            ("ALIPAY_APP_PRIVATE_KEY_PATH", "app_private_key_path"),
            ("ALIPAY_APP_CERT_PATH", "app_cert_path"),
            ("ALIPAY_PUBLIC_CERT_PATH", "alipay_public_cert_path"),
            ("ALIPAY_ROOT_CERT_PATH", "alipay_root_cert_path"),
        ]:
            self.stdout.write(f"{name}={settings[key]}")
        self.stdout.flush()
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            gateway.stop()
            self.stdout.write(f"\nStopped after {gateway.paid_count} payments.")
