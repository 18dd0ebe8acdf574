#!/usr/bin/env python3
"""A standard gRPC health client, as a Kubernetes gRPC probe uses it:
plaintext, no client certificate, grpc.health.v1.Health/Check per service.

Usage: health_probe.py HOST:PORT SERVICE [SERVICE ...]   ("" is the overall status)

Prints one JSON object {service: status} where status is SERVING,
NOT_SERVING, SERVICE_UNKNOWN, UNKNOWN, or the gRPC error code name
(e.g. NOT_FOUND for a name the server does not know).
"""

import json
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    address, services = sys.argv[1], sys.argv[2:]
    result = {}
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for service in services:
            try:
                answer = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
                result[service] = health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)
            except grpc.RpcError as error:
                result[service] = error.code().name
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
