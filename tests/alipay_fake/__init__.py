"""A local fake of Alipay's open-API gateway: a development tool for the tests, the demo
(`make run`) and the soak test, kept out of the production apps. `payouts/alipay.py` is the one
client; this is what it talks to when no real Alipay is there.

`python -m tests.alipay_fake --port 8790 --keys-dir var/alipay` serves it (bin/run-demo does)."""
