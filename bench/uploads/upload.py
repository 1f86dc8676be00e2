#!/usr/bin/env python3
"""One file through Kiln's upload API, the way a client does it: POST /api/uploads, PUT every part to its signed
URL (sequentially, in order, 8 MiB reads from the file), POST /complete. Prints one JSON line with the timings.
Usage: upload.py BASE_URL BEARER FILE [CONTENT_TYPE]"""
import http.client, json, os, sys, time, urllib.parse

base, token, path = sys.argv[1], sys.argv[2], sys.argv[3]
ctype = sys.argv[4] if len(sys.argv) > 4 else "audio/wav"
size = os.path.getsize(path)
u = urllib.parse.urlsplit(base)

def conn():
    return http.client.HTTPConnection(u.hostname, u.port, timeout=600, blocksize=1 << 20)

def call(c, method, url, body=None, headers=None):
    h = {"Authorization": f"Bearer {token}"}
    h.update(headers or {})
    if body is not None and not isinstance(body, (bytes, bytearray, memoryview)):
        body = json.dumps(body).encode(); h["Content-Type"] = "application/json"
    c.request(method, url, body=body, headers=h)
    r = c.getresponse(); data = r.read()
    if r.status >= 300:
        raise SystemExit(f"{method} {url} -> {r.status} {data[:500]!r}")
    return r, data

c = conn()
t0 = time.monotonic()
_, data = call(c, "POST", "/api/uploads", {"fileName": os.path.basename(path), "size": size, "contentType": ctype})
created = json.loads(data)
part_size = created["partSize"]
etags = []
with open(path, "rb", buffering=0) as f:
    for part in created["parts"]:
        n = part["partNumber"]
        f.seek((n - 1) * part_size)
        chunk = f.read(min(part_size, size - (n - 1) * part_size))
        target = urllib.parse.urlsplit(part["url"])
        r, _ = call(c, part["method"], f"{target.path}?{target.query}", chunk, part.get("headers") or {})
        etags.append({"partNumber": n, "eTag": r.getheader("ETag")})
t1 = time.monotonic()
_, data = call(c, "POST", f"/api/uploads/{created['id']}/complete", {"parts": etags} if len(etags) > 1 else {})
t2 = time.monotonic()
done = json.loads(data)
print(json.dumps({"bytes": size, "parts": len(etags), "parts_s": round(t1 - t0, 3), "complete_s": round(t2 - t1, 3),
                  "total_s": round(t2 - t0, 3), "status": done.get("status"), "id": created["id"]}))
