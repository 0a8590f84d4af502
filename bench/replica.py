"""Which server a request read from (issue 19): ``X-Read-From``, set by the replica
middleware on the views that may read from the read replica (``bench/run`` starts a
streaming standby and names it in ``DATABASE_REPLICA_URL``)."""

import http.client


def read_from(port: int, path: str, headers: dict[str, str]) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        resp.read()
    finally:
        conn.close()
    if resp.status != 200:
        return f"HTTP {resp.status}"
    return resp.getheader("X-Read-From") or "primary (no replica configured)"
