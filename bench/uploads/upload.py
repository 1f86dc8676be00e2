#!/usr/bin/env python3
"""One file through Kiln's upload API, the way a client does it: POST /api/uploads, PUT every part to its signed
URL (8 MiB reads from the file), POST /complete. Prints one JSON line with the timings and the CPU this client used.
Usage: upload.py [--parallel N] BASE_URL BEARER FILE [CONTENT_TYPE]
       upload.py [--parallel N] --s3-direct BUCKET_URL FILE        (the S3 baseline: no Kiln)
  --parallel N: N threads, each with its own connection(s), take the next part number as they finish one, as the
     browser uploader does (src/Kiln.Web/wwwroot/js/upload.js sends 3 at once). 1 (the default) sends the parts in
     order on one connection.
  --s3-direct BUCKET_URL (e.g. http://127.0.0.1:PORT/kiln): the same file as a multipart upload straight to an S3
     server with plain HTTP (s3rver takes unsigned requests), same part size, same parallelism: initiate, PUT parts,
     complete. What Kiln adds on S3 is the difference."""
import argparse, http.client, json, os, queue, resource, threading, time, urllib.parse, uuid
import xml.etree.ElementTree as ET

ap = argparse.ArgumentParser()
ap.add_argument("--parallel", type=int, default=1)
ap.add_argument("--s3-direct", metavar="BUCKET_URL")
ap.add_argument("--part-size", type=int, default=8 << 20, help="with --s3-direct")
ap.add_argument("args", nargs="+")
opt = ap.parse_args()
if opt.s3_direct:
    base, token, path, ctype = opt.s3_direct, None, opt.args[0], "audio/wav"
else:
    base, token, path = opt.args[0], opt.args[1], opt.args[2]
    ctype = opt.args[3] if len(opt.args) > 3 else "audio/wav"
size = os.path.getsize(path)
home = urllib.parse.urlsplit(base)

class Client:
    """Keep-alive connections of one thread, one per host."""
    def __init__(self): self.conns = {}
    def call(self, method, url, body=None, headers=None):
        u = urllib.parse.urlsplit(url if "://" in url else f"{home.scheme}://{home.netloc}{url}")
        c = self.conns.get(u.netloc)
        if c is None:
            c = self.conns[u.netloc] = http.client.HTTPConnection(u.hostname, u.port, timeout=600, blocksize=1 << 20)
        h = {}
        if token and u.netloc == home.netloc: h["Authorization"] = f"Bearer {token}"  # Kiln only; presigned S3 links carry their own
        h.update(headers or {})
        if body is not None and not isinstance(body, (bytes, bytearray, memoryview, str)):
            body = json.dumps(body).encode(); h["Content-Type"] = "application/json"
        c.request(method, u.path + (f"?{u.query}" if u.query else ""), body=body, headers=h)
        r = c.getresponse(); data = r.read()
        if r.status >= 300:
            raise SystemExit(f"{method} {url} -> {r.status} {data[:500]!r}")
        return r, data
    def close(self):
        for c in self.conns.values(): c.close()

def cpu(): u = resource.getrusage(resource.RUSAGE_SELF); return u.ru_utime + u.ru_stime

main = Client()
cpu0 = cpu(); t0 = time.monotonic()
if opt.s3_direct:
    key = f"bench/{uuid.uuid4().hex}"
    _, data = main.call("POST", f"{home.path}/{key}?uploads", b"", {"Content-Type": ctype})
    upload_id = ET.fromstring(data).find("{*}UploadId").text
    part_size = opt.part_size
    count = max(1, -(-size // part_size))
    qs = lambda n: urllib.parse.urlencode({"partNumber": n, "uploadId": upload_id})
    parts = [{"partNumber": n, "url": f"{home.path}/{key}?{qs(n)}", "method": "PUT", "headers": {}} for n in range(1, count + 1)]
else:
    _, data = main.call("POST", "/api/uploads", {"fileName": os.path.basename(path), "size": size, "contentType": ctype})
    created = json.loads(data)
    part_size, parts = created["partSize"], created["parts"]

etags, errors = {}, []
todo = queue.Queue()
for p in parts: todo.put(p)
fd = os.open(path, os.O_RDONLY)

def worker(client):
    try:
        while True:
            try: part = todo.get_nowait()
            except queue.Empty: return
            n = part["partNumber"]
            chunk = os.pread(fd, min(part_size, size - (n - 1) * part_size), (n - 1) * part_size)
            r, _ = client.call(part["method"], part["url"], chunk, part.get("headers") or {})
            etags[n] = r.getheader("ETag")
    except BaseException as e:  # noqa: BLE001 - reported by the main thread
        errors.append(e)

if opt.parallel <= 1:
    worker(main)
else:
    clients = [Client() for _ in range(opt.parallel)]
    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for t in threads: t.start()
    for t in threads: t.join()
    for c in clients: c.close()
if errors: raise SystemExit(f"part failed: {errors[0]}")
t1 = time.monotonic()
listed = [{"partNumber": n, "eTag": etags[n]} for n in sorted(etags)]
if opt.s3_direct:
    xml = "<CompleteMultipartUpload>" + "".join(f"<Part><PartNumber>{p['partNumber']}</PartNumber><ETag>{p['eTag']}</ETag></Part>" for p in listed) + "</CompleteMultipartUpload>"
    main.call("POST", f"{home.path}/{key}?uploadId={urllib.parse.quote(upload_id)}", xml.encode(), {"Content-Type": "application/xml"})
    done, upload = {"status": "ready"}, key
else:
    _, data = main.call("POST", f"/api/uploads/{created['id']}/complete", {"parts": listed} if len(listed) > 1 else {})
    done, upload = json.loads(data), created["id"]
t2 = time.monotonic()
cpu1 = cpu()
os.close(fd)
print(json.dumps({"bytes": size, "parts": len(listed), "parallel": opt.parallel, "parts_s": round(t1 - t0, 3), "complete_s": round(t2 - t1, 3),
                  "total_s": round(t2 - t0, 3), "client_cpu_s": round(cpu1 - cpu0, 3), "status": done.get("status"), "id": upload}))
