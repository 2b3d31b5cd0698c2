#!/usr/bin/python3
"""Runs IRkernel behind a bridge on its control channel, so that interrupt_request works.

Where a kernel cannot be sent a signal (a Kubernetes pod: the API has no "signal a container"),
Jupyter interrupts by message: interrupt_request on the control channel. IRkernel answers only
shutdown_request there, and reads control only between cells, so a running cell could never be
interrupted. This bridge owns the kernel's control port: it answers interrupt_request itself by
sending SIGINT to R (which IRkernel handles as an interrupt) and passes every other control message
to IRkernel, which listens on a private port (an interrupt_request whose signature is wrong goes
there too, and IRkernel rejects it as it rejects any). Shell, iopub, stdin and heartbeat go to IRkernel
directly. Signals the bridge gets (tini forwards the container's) go to R; it exits as R does.

Usage: r-control-bridge.py CONNECTION_FILE   (kernel-entrypoint.sh runs it with BERTH_KERNEL_INTERRUPT=message)
"""

import datetime
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import uuid

import zmq

DELIMITER = b"<IDS|MSG>"
POLL_MS = 200


def free_port(ip):
    """A port nobody listens on at `ip` now (the kernel's own address: pods may share the node's network)."""
    with socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET) as probe:
        probe.bind((ip, 0))
        return probe.getsockname()[1]


def private_connection(info, path):
    """IRkernel's connection file: the same one, with its control channel on a private port."""
    private = dict(info, control_port=free_port(info["ip"]))
    folder = tempfile.mkdtemp(prefix="berth-r-bridge.")
    private_path = os.path.join(folder, os.path.basename(path))
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(private, out)
    return private, private_path


class Signer:
    def __init__(self, info):
        self.key = info.get("key", "").encode()
        scheme = info.get("signature_scheme", "hmac-sha256")
        self.digest = getattr(hashlib, scheme.split("-", 1)[1])

    def sign(self, parts):
        if not self.key:
            return b""
        mac = hmac.new(self.key, digestmod=self.digest)
        for part in parts:
            mac.update(part)
        return mac.hexdigest().encode()


def interrupt_reply(signer, idents, request_header, session):
    """The reply a kernel gives to interrupt_request, addressed and signed as IRkernel would."""
    header = {
        "msg_id": uuid.uuid4().hex,
        "msg_type": "interrupt_reply",
        "username": request_header.get("username", "kernel"),
        "session": session,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z"),
        "version": "5.3",
    }
    parts = [json.dumps(part).encode() for part in (header, request_header, {}, {"status": "ok"})]
    return idents + [DELIMITER, signer.sign(parts)] + parts


def main(path):
    with open(path) as source:
        info = json.load(source)
    private, private_path = private_connection(info, path)
    kernel = subprocess.Popen(["R", "--slave", "-e", "IRkernel::main()", "--args", private_path])
    for forwarded in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(forwarded, lambda signum, _frame: kernel.send_signal(signum))

    transport = info.get("transport", "tcp")
    context = zmq.Context()
    front = context.socket(zmq.ROUTER)
    front.bind(f"{transport}://{info['ip']}:{info['control_port']}")
    back = context.socket(zmq.DEALER)
    # A kernel bound to every interface is reached on loopback.
    reach = "127.0.0.1" if info["ip"] in ("0.0.0.0", "") else info["ip"]
    back.connect(f"{transport}://{reach}:{private['control_port']}")
    poller = zmq.Poller()
    poller.register(front, zmq.POLLIN)
    poller.register(back, zmq.POLLIN)
    signer = Signer(info)
    session = uuid.uuid4().hex

    while kernel.poll() is None:
        try:
            ready = dict(poller.poll(POLL_MS))
        except zmq.ZMQError:
            continue  # a forwarded signal interrupted the poll
        if back in ready:
            front.send_multipart(back.recv_multipart())
        if front in ready:
            frames = front.recv_multipart()
            at = frames.index(DELIMITER) if DELIMITER in frames else -1
            header = json.loads(frames[at + 2]) if at >= 0 and len(frames) > at + 2 else {}
            if header.get("msg_type") == "interrupt_request" and frames[at + 1] == signer.sign(frames[at + 2 : at + 6]):
                kernel.send_signal(signal.SIGINT)
                front.send_multipart(interrupt_reply(signer, frames[:at], header, session))
            else:
                back.send_multipart(frames)
    code = kernel.returncode
    os.remove(private_path)
    os.rmdir(os.path.dirname(private_path))
    # Exit as R did; killed by a signal, as a shell reports it (128 + signal).
    sys.exit(128 - code if code < 0 else code)


if __name__ == "__main__":
    main(sys.argv[1])
