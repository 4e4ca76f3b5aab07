#!/usr/bin/python3
"""A real SMTP server for the mail integration test (tests/mail/smtp_integration_test.cc).

Debian's python3-aiosmtpd. Every accepted message is written to DIR as NNNN.eml (the bytes as
received) and NNNN.json (envelope, and headers and body decoded by Python's email package, an
implementation independent of drivers/mail). STARTTLS is offered and required when --cert/--key
are given. A RCPT address whose local part starts with "reject" gets 550, with "tempfail" 451.
Writes DIR/ready once listening; stops on SIGTERM.
"""
import argparse
import asyncio
import email
import email.policy
import json
import os
import signal
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, directory):
        self.directory = directory

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0]
        if local.startswith("reject"):
            return "550 5.1.1 mailbox unavailable"
        if local.startswith("tempfail"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        n = len([f for f in os.listdir(self.directory) if f.endswith(".eml")]) + 1
        base = os.path.join(self.directory, "%04d" % n)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(data)
        msg = email.message_from_bytes(data, policy=email.policy.default)
        info = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": session.ssl is not None,
            "subject": str(msg["Subject"]),
            "from": str(msg["From"]),
            "to": str(msg["To"]),
            "message_id": str(msg["Message-ID"]),
            "date": str(msg["Date"]),
            "content_type": msg.get_content_type(),
            "charset": msg.get_content_charset(),
            "body": msg.get_content(),
            "defects": [type(d).__name__ for d in msg.defects],
        }
        with open(base + ".json.tmp", "w", encoding="utf-8") as f:
            json.dump(info, f, ensure_ascii=False)
        os.rename(base + ".json.tmp", base + ".json")
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 2.0.0 queued"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    a = p.parse_args()
    kwargs = {}
    if a.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)
        kwargs = {"tls_context": ctx, "require_starttls": True}
    controller = Controller(Sink(a.dir), hostname="127.0.0.1", port=a.port, **kwargs)
    controller.start()
    with open(os.path.join(a.dir, "ready"), "w") as f:
        f.write(str(os.getpid()))
    stop = asyncio.new_event_loop()
    done = asyncio.Event()

    def on_term(*_):
        stop.call_soon_threadsafe(done.set)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    stop.run_until_complete(done.wait())
    controller.stop()
    try:
        os.remove(os.path.join(a.dir, "ready"))
    except FileNotFoundError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
