"""S3 for a post: the one the build is configured with, or a local one.

With ``CLOUDCACHED_URL=s3://bucket/prefix`` in the environment (and AWS's
usual settings for the endpoint, region and credentials), a post uses that.
Without it, it starts moto's standalone S3 server on loopback and a bucket
in it, and talks to that over real HTTP: the same code, the same protocol.
"""

import logging
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

import boto3


@dataclass
class S3:
    client: object
    bucket: str
    prefix: str
    where: str  # what to tell the reader


def s3_for_this_page(prefix: str = "cloudcached-post/") -> S3:
    url = os.environ.get("CLOUDCACHED_URL", "")
    if url:
        parts = urlsplit(url)
        path = parts.path.strip("/")
        return S3(boto3.client("s3"), parts.netloc, path + "/" if path else "", url)
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    client = boto3.client(
        "s3",
        endpoint_url=f"http://{host}:{port}",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    client.create_bucket(Bucket="cloudcached")
    where = (
        "moto's standalone S3 server on 127.0.0.1, started by this build "
        "(no S3 was configured)"
    )
    return S3(client, "cloudcached", prefix, where)
