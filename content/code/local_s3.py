"""S3 for a post: moto's standalone S3 server, started on the loopback of
the post's session, and a bucket in it, reached over real HTTP: the same
code and the same protocol as a cloud's S3. (A block runs in a sandbox
without the network, and sees no credentials: a post that is to use
another S3 says ``network="on"`` and the site passes it AWS's settings,
``EXEC_PASS_ENV``.)
"""

import logging
from dataclasses import dataclass

import boto3


@dataclass
class S3:
    client: object
    bucket: str
    prefix: str
    where: str  # what to tell the reader


def s3_for_this_page(prefix: str = "cloudcached-post/") -> S3:
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
    where = "moto's standalone S3 server on 127.0.0.1, started by this build"
    return S3(client, "cloudcached", prefix, where)
