#!/usr/bin/env python3
"""Calling 1chserver from Python 3 with the standard library only (urllib.request).

As a program:
    hserver_client.py legacy CODE          run 1C code on a legacy route (GET /<CODE percent-encoded>)
    hserver_client.py get PATH             GET PATH as given (already encoded), e.g. /api/ping
    hserver_client.py post PATH JSON       POST JSON (Content-Type: application/json) to PATH
Options: --url (default $HSERVER_URL or http://127.0.0.1:3188), --user and --password (HTTP Basic;
default $HSERVER_USER, $HSERVER_PASSWORD), --token (bearer; default $HSERVER_TOKEN), --cafile (CA to
trust for https; default $HSERVER_CACERT), --timeout (seconds, default 60).
Prints the answer's body. A status of 400 or more prints "HTTP <status>: <body>" on stderr (the
service's and the add-in's errors read "Error: <description>") and exits 1; no connection exits 2.

As a module:
    from hserver_client import Client, ServiceError
    client = Client("http://127.0.0.1:3188")
    print(client.execute("Результат = 1 + 2;"))     # a legacy route: the answer's text
    print(client.call("POST", "/api/echo", {"n": 1}))  # an http route: JSON in, JSON (or text) out
"""

import argparse
import base64
import json
import os
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request


class ServiceError(Exception):
    """An answer with a status of 400 or more: the service's or the 1C handler's error."""

    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body  # "Error: <description>" for the service's and the add-in's errors


class Client:
    def __init__(self, url="http://127.0.0.1:3188", user=None, password=None, token=None, cafile=None,
                 timeout=60):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.headers = {}
        if user is not None:
            pair = f"{user}:{password or ''}".encode("utf-8")
            self.headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        elif token:
            self.headers["Authorization"] = "Bearer " + token
        # Without cafile, https uses the system's trusted certificates.
        self.context = ssl.create_default_context(cafile=cafile) if cafile else None

    def request(self, method, path, body=None, content_type=None):
        """One request. Returns (status, headers, body bytes); raises ServiceError for 4xx and 5xx and
        urllib.error.URLError when the service cannot be reached."""
        headers = dict(self.headers)
        if content_type:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(self.url + path, data=body, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self.context) as answer:
                return answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as error:  # a status of 400 or more: the body says why
            text = error.read().decode("utf-8", errors="replace")
            raise ServiceError(error.code, text) from None

    def execute(self, code):
        """Legacy route: the path is the code, percent-encoded as UTF-8 ("+" goes as %2B, which the
        service reads as "+", like the original client's "&&")."""
        _, _, body = self.request("GET", "/" + urllib.parse.quote(code, safe=""))
        return body.decode("utf-8")

    def call(self, method, path, data=None):
        """http route: data (if not None) goes as JSON; a JSON answer is parsed, any other is text."""
        body = None if data is None else json.dumps(data, ensure_ascii=False).encode("utf-8")
        _, headers, answer = self.request(method, path, body, "application/json" if body is not None else None)
        text = answer.decode("utf-8")
        if headers.get_content_type() == "application/json":
            return json.loads(text)
        return text


def main(argv=None):
    env = os.environ.get
    parser = argparse.ArgumentParser(description="Call 1chserver (legacy or http routes).")
    parser.add_argument("--url", default=env("HSERVER_URL", "http://127.0.0.1:3188"))
    parser.add_argument("--user", default=env("HSERVER_USER"))
    parser.add_argument("--password", default=env("HSERVER_PASSWORD"),
                        help="better given as $HSERVER_PASSWORD: ps shows the command line")
    parser.add_argument("--token", default=env("HSERVER_TOKEN"))
    parser.add_argument("--cafile", default=env("HSERVER_CACERT"))
    parser.add_argument("--timeout", type=float, default=60)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("legacy", help="run 1C code on a legacy route").add_argument("code")
    commands.add_parser("get", help="GET a path").add_argument("path")
    post = commands.add_parser("post", help="POST JSON to a path")
    post.add_argument("path")
    post.add_argument("json")
    args = parser.parse_args(argv)

    client = Client(args.url, args.user, args.password, args.token, args.cafile, args.timeout)
    try:
        if args.command == "legacy":
            print(client.execute(args.code))
        elif args.command == "get":
            print(client.request("GET", args.path)[2].decode("utf-8"))
        else:
            json.loads(args.json)  # refuse a typo here rather than send it
            body = args.json.encode("utf-8")
            print(client.request("POST", args.path, body, "application/json")[2].decode("utf-8"))
    except ServiceError as error:
        print(error, file=sys.stderr)
        return 1
    except json.JSONDecodeError as error:
        print(f"not JSON: {error}", file=sys.stderr)
        return 64
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        print(f"cannot reach {args.url}: {reason}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
