"""A python-socketio server over TLS for siod's integration tests.

Generates its certificates with the `openssl` CLI into `--dir` before it listens, then prints
`PORT <n>` and exits when its standard input closes. Imports nothing from the other fixtures.

  python tls_server.py --dir D [--port N] --mode ca|mutual|selfsigned

Files in D (all PEM):
  ca.pem, ca-key.pem           the test CA (modes ca, mutual)
  server.pem, server-key.pem   the server's certificate (signed by the CA, or self-signed),
                               with subjectAltName IP:127.0.0.1, DNS:localhost
  client.pem, client-key.pem   a client certificate signed by the CA (mode mutual)

Modes:
  ca          server certificate signed by the test CA
  mutual      as ca, and the server requires a client certificate signed by the CA
  selfsigned  a self-signed server certificate
"""
import argparse
import asyncio
import logging
import os
import ssl
import subprocess
import sys

import socketio
from aiohttp import web
from serving import serve

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=0)
parser.add_argument("--dir", required=True)
parser.add_argument("--mode", choices=["ca", "mutual", "selfsigned"], default="ca")
options = parser.parse_args()

# Failed handshakes are what some tests are about: keep them out of the test log.
logging.getLogger("asyncio").setLevel(logging.CRITICAL)
logging.getLogger("aiohttp").setLevel(logging.CRITICAL)

KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
SAN = "subjectAltName=IP:127.0.0.1,DNS:localhost"


def path(name):
    return os.path.join(options.dir, name)


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def signed(name, subject, usage):
    """`name`.pem and `name`-key.pem, signed by the test CA."""
    openssl("req", "-new", *KEY, "-keyout", path(f"{name}-key.pem"), "-out", path(f"{name}.csr"), "-subj", subject)
    with open(path(f"{name}.ext"), "w") as ext:
        ext.write(f"{SAN}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage={usage}\n")
    openssl("x509", "-req", "-in", path(f"{name}.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca-key.pem"),
            "-CAcreateserial", "-days", "2", "-sha256", "-extfile", path(f"{name}.ext"), "-out", path(f"{name}.pem"))


os.makedirs(options.dir, exist_ok=True)
if options.mode == "selfsigned":
    openssl("req", "-x509", *KEY, "-keyout", path("server-key.pem"), "-out", path("server.pem"),
            "-days", "2", "-subj", "/CN=localhost", "-addext", SAN)
else:
    openssl("req", "-x509", *KEY, "-keyout", path("ca-key.pem"), "-out", path("ca.pem"), "-days", "2",
            "-subj", "/CN=siod test CA")
    signed("server", "/CN=localhost", "serverAuth")
    if options.mode == "mutual":
        signed("client", "/CN=siod test client", "clientAuth")

context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(path("server.pem"), path("server-key.pem"))
if options.mode == "mutual":
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(path("ca.pem"))

sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
app = web.Application()
sio.attach(app)


@sio.on("echo")
async def echo(sid, *args):
    return args


@sio.on("peer-cert")
async def peer_cert(sid):
    """The subject CN of the client's certificate, or None (proves mutual TLS took place)."""
    transport = sio.get_environ(sid).get("aiohttp.request").transport
    cert = transport.get_extra_info("peercert") if transport else None
    if not cert:
        return None
    return dict(x[0] for x in cert["subject"]).get("commonName")


asyncio.run(serve(app, options.port, ssl_context=context))
