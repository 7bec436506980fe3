#!/usr/bin/env python3
"""First-byte latency of a trivial request (`GET /healthz`) on one kept-alive
connection, HTTP/1.1 and HTTP/2, beside nginx over TLS (same certificate)
serving a 15-byte file — what the protocol stack costs before any handler
work (issue 18: the HTTP/2 Range first byte).

    scripts/bench-first-byte.py [BINARY] [REQUESTS]

Defaults: target/release/pixelunion, 300 requests per run, three runs. Needs
curl with HTTP/2 and nginx (Debian's nginx-light). p50 / p99 of curl's
time_starttransfer, the first 20 requests of each run left out (warm-up).
"""
import os, subprocess, sys, time, tempfile, statistics, shutil
HERE = os.path.dirname(os.path.abspath(__file__))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "target", "release", "pixelunion")
N = int(sys.argv[2]) if len(sys.argv) > 2 else 300
work=tempfile.mkdtemp(); data=os.path.join(work,"data")
sys.path.insert(0, HERE)
from benchlib import free_port
port=free_port()
srv=subprocess.Popen([BIN,"serve","--data-dir",data,"--listen",f"127.0.0.1:{port}"],stdout=subprocess.PIPE,stderr=subprocess.DEVNULL,text=True)
for line in srv.stdout:
    if "pixelunion unseal" in line: break
time.sleep(1)
tls=os.path.join(data,"tls"); ngx=os.path.join(work,"nginx"); os.makedirs(os.path.join(ngx,"www"))
open(os.path.join(ngx,"www","ok"),"w").write('{"status":"ok"}')
nport=free_port()
open(os.path.join(ngx,"nginx.conf"),"w").write(f"""user root; worker_processes 2; pid {ngx}/nginx.pid; error_log {ngx}/error.log; daemon off;
events {{ worker_connections 1024; }}
http {{ access_log off; sendfile on; keepalive_requests 100000;
  server {{ listen 127.0.0.1:{nport} ssl http2; ssl_certificate {tls}/cert.pem; ssl_certificate_key {tls}/key.pem; root {ngx}/www; }} }}
""")
ng=subprocess.Popen(["/usr/sbin/nginx","-c",f"{ngx}/nginx.conf","-p",ngx])
time.sleep(0.5)
W="%{time_starttransfer} %{time_total}\\n"
def run(url, ver):
    args=["curl","-sk",ver]
    for i in range(N):
        args+=["-o","/dev/null","-w",W,url]+(["--next","-sk",ver] if i+1<N else [])
    out=subprocess.run(args,capture_output=True,text=True,check=True).stdout.split("\n")
    fb=[float(l.split()[0])*1000 for l in out if l.strip()][20:]
    return statistics.median(fb), sorted(fb)[int(len(fb)*0.99)-1]
for rep in range(3):
    for ver in ["--http1.1","--http2"]:
        a=run(f"https://127.0.0.1:{port}/healthz",ver); b=run(f"https://127.0.0.1:{nport}/ok",ver)
        print(f"{ver} first byte p50/p99 ms: pixelunion /healthz {a[0]:.3f}/{a[1]:.3f}  nginx {b[0]:.3f}/{b[1]:.3f}  ratio p50 {a[0]/b[0]:.2f}")
ng.terminate(); srv.terminate(); srv.wait(); ng.wait(); shutil.rmtree(work)
