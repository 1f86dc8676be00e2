#!/bin/sh
# Starts s3rver on :9000 with its objects in /data (a volume) and the bucket Kiln uses created (kept when it exists).
# Browsers PUT upload parts and GET downloads straight to the store, so the bucket gets a CORS rule: the Kiln origin
# (S3_CORS_ORIGIN, e.g. https://kiln.example.com; "*" when unset) may GET, HEAD and PUT, and may read the ETag header
# (a multipart upload's parts are completed by their ETags).
set -eu
bucket=${S3_BUCKET:-kiln}
cors=/tmp/cors.xml
cat > "$cors" <<XML
<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>${S3_CORS_ORIGIN:-*}</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>3600</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>
XML
# --no-vhost-buckets: requests arrive as s3:9000 (from Kiln) or the public host (through the proxy); neither is a
# bucket name. Kiln uses path-style URLs (Kiln:Storage:S3:ForcePathStyle, the default).
# Node as PID 1 ignores SIGTERM, so the shell stays PID 1 and passes the stop signal on.
/opt/s3rver/node_modules/.bin/s3rver --address 0.0.0.0 --port 9000 --directory /data --no-vhost-buckets \
  --configure-bucket "$bucket" "$cors" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' TERM INT
status=0; wait "$pid" || status=$?
if kill -0 "$pid" 2>/dev/null; then status=0; wait "$pid" || status=$?; fi   # woken by the trap: wait for the exit
exit "$status"
