"""A small Price List endpoint for the sandbox (moto has no Price List): GetProducts over JSON 1.1
(`X-Amz-Target: AWSPriceListService.GetProducts`), answered from the demo's seeded rates
(cleaner.demo.savings_seed) in the shape AWS answers. The scan reaches it through
`AWS_ENDPOINT_URL_PRICING`, as it would reach any endpoint."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cleaner.demo.savings_seed import SEEDED_RATES, SeededRate, get_products_answer

TARGET = "AWSPriceListService.GetProducts"


class PriceListEndpoint:
    """Serves GetProducts on 127.0.0.1 (port 0: a free one) in a daemon thread; `requests` counts the
    GetProducts calls it answered."""

    def __init__(self, rates: Mapping[str, SeededRate] = SEEDED_RATES, port: int = 0) -> None:
        self.rates = rates
        self.requests = 0
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("X-Amz-Target") != TARGET:
                    self._answer(400, {"__type": "UnknownOperationException", "message": "GetProducts only"})
                    return
                endpoint.requests += 1
                request: Any = json.loads(body or b"{}")
                self._answer(200, get_products_answer(request, endpoint.rates))

            def _answer(self, status: int, document: dict[str, Any]) -> None:
                data = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return  # quiet: the sandbox prints its own banner

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="price-list", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> PriceListEndpoint:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()
