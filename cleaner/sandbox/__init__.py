"""`sandbox`: a simulated AWS account on 127.0.0.1 that the real commands can be pointed at (through
`AWS_ENDPOINT_URL`), and `sandbox invoke` / `sandbox alias` to make drift in it while a plan waits.

The server is moto's, run in this process (`ThreadedMotoServer`) so that what no API can do works: the
SnapStart setting is kept (`cleaner.demo.moto_shim`) and versions are backdated on moto's backend
objects, relative to the real now, so a scan proposes deletions and apply accepts the plan.
"""
