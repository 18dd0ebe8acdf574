#!/usr/bin/env python3
"""A real third-party gRPC client (Python grpcio) that knows Marque only
through server reflection: no .proto file, no generated Marque code.

Usage: reflection_client.py HOST:PORT PLATFORM_API_KEY

The key must belong to platform `platform-p` of the test fixture, which holds
an authorization of seller `seller-p1` for brand `alpha`, Nice class 14,
regions CN and FR.

It lists the services through reflection (v1alpha, the only version
grpcio-reflection's descriptor database speaks), builds the CheckService
message classes from the reflected descriptors, calls CheckSeller with and
without the key, decodes an error's field violations with the reflected
google.rpc types (and then still builds the contract's types), and checks
health with the grpc_health.v1 stub. It prints a
JSON summary on stdout and exits 1 when any expectation fails (2 on a usage
error).
"""

import json
import sys

import grpc
from google.protobuf import descriptor_pool, json_format, message_factory
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

TIMEOUT = 10.0
EXPECTED_SERVICES = [
    "marque.v1.RegistryService",
    "marque.v1.CheckService",
    "grpc.health.v1.Health",
]


def main(argv):
    if len(argv) != 3:
        print(f"usage: {argv[0]} HOST:PORT PLATFORM_API_KEY", file=sys.stderr)
        return 2
    address, key = argv[1], argv[2]
    failures = []
    summary = {"address": address, "failures": failures}

    def expect(condition, what):
        if not condition:
            failures.append(what)

    with grpc.insecure_channel(address) as channel:
        grpc.channel_ready_future(channel).result(timeout=TIMEOUT)

        # 1. What the server says it serves.
        database = ProtoReflectionDescriptorDatabase(channel)
        services = sorted(database.get_services())
        summary["services"] = services
        for service in EXPECTED_SERVICES:
            expect(service in services, f"reflection does not list {service}")

        # 2. Message classes from the reflected descriptors only.
        pool = descriptor_pool.DescriptorPool(database)
        check_service = pool.FindServiceByName("marque.v1.CheckService")
        method = check_service.FindMethodByName("CheckSeller")
        request_class = message_factory.GetMessageClass(method.input_type)
        response_class = message_factory.GetMessageClass(method.output_type)
        reason_enum = pool.FindEnumTypeByName("marque.v1.SellerCheckReason")
        summary["check_seller"] = {
            "input": method.input_type.full_name,
            "output": method.output_type.full_name,
        }
        check_seller = channel.unary_unary(
            f"/{check_service.full_name}/{method.name}",
            request_serializer=request_class.SerializeToString,
            response_deserializer=response_class.FromString,
        )
        auth = [("authorization", f"Bearer {key}")]

        def call(metadata, **fields):
            return check_seller(
                request_class(**fields), metadata=metadata, timeout=TIMEOUT
            )

        def to_dict(message):
            return json_format.MessageToDict(
                message,
                preserving_proto_field_name=True,
                always_print_fields_with_no_presence=True,
            )

        # 3. Authorized: platform-p, seller-p1, class 14, region CN.
        request = dict(
            brand="brands/alpha", seller_account="seller-p1", nice_class=14, region="CN"
        )
        try:
            response = call(auth, **request)
            summary["authorized_call"] = to_dict(response)
            expect(response.authorized is True, "CheckSeller(class 14, CN): authorized is not true")
            expect(
                reason_enum.values_by_number[response.reason].name
                == "SELLER_CHECK_REASON_AUTHORIZED",
                "CheckSeller(class 14, CN): reason is not SELLER_CHECK_REASON_AUTHORIZED",
            )
            expect(
                response.authorization.seller_account == "seller-p1",
                "CheckSeller(class 14, CN): the answer does not carry seller-p1's authorization",
            )
        except grpc.RpcError as error:
            summary["authorized_call"] = {"error": error.code().name, "details": error.details()}
            failures.append(f"CheckSeller(class 14, CN) failed: {error.code().name} {error.details()}")

        # 4. Not authorized: class 18 is outside the authorization.
        try:
            response = call(auth, **dict(request, nice_class=18))
            summary["class_not_covered_call"] = to_dict(response)
            expect(response.authorized is False, "CheckSeller(class 18, CN): authorized is not false")
            expect(
                reason_enum.values_by_number[response.reason].name
                == "SELLER_CHECK_REASON_CLASS_NOT_COVERED",
                "CheckSeller(class 18, CN): reason is not SELLER_CHECK_REASON_CLASS_NOT_COVERED",
            )
        except grpc.RpcError as error:
            summary["class_not_covered_call"] = {"error": error.code().name, "details": error.details()}
            failures.append(f"CheckSeller(class 18, CN) failed: {error.code().name} {error.details()}")

        # 5. No key at all.
        try:
            response = call(None, **request)
            summary["anonymous_call"] = to_dict(response)
            failures.append("CheckSeller without a key succeeded")
        except grpc.RpcError as error:
            summary["anonymous_call"] = {"error": error.code().name, "details": error.details()}
            expect(
                error.code() == grpc.StatusCode.UNAUTHENTICATED,
                f"CheckSeller without a key: {error.code().name}, not UNAUTHENTICATED",
            )

        # 6. An error's details, decoded as a generic client does: a fresh
        # pool looks up google.rpc.Status first (the trailer's type), then
        # the details' BadRequest; the contract's types must still build in
        # that pool (each symbol in one file: check.proto imports
        # google/rpc/status.proto, the file that defines Status).
        details_pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
        status_type = details_pool.FindMessageTypeByName("google.rpc.Status")
        summary["status_file"] = status_type.file.name
        expect(
            status_type.file.name == "google/rpc/status.proto",
            f"google.rpc.Status is served from {status_type.file.name}",
        )
        try:
            call(auth, **dict(request, region="XX"))
            failures.append("CheckSeller(region XX) succeeded")
        except grpc.RpcError as error:
            trailer = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
            expect(trailer is not None, "CheckSeller(region XX): no status details")
            status = message_factory.GetMessageClass(status_type).FromString(trailer or b"")
            bad_request = message_factory.GetMessageClass(
                details_pool.FindMessageTypeByName("google.rpc.BadRequest")
            )()
            unpacked = any(detail.Unpack(bad_request) for detail in status.details)
            fields = [v.field for v in bad_request.field_violations]
            summary["invalid_call"] = {"error": error.code().name, "fields": fields}
            expect(
                error.code() == grpc.StatusCode.INVALID_ARGUMENT and unpacked and fields,
                "CheckSeller(region XX): no INVALID_ARGUMENT with field violations",
            )
        for symbol in ["marque.v1.CheckService", "marque.v1.BatchCheckResult", "grpc.health.v1.Health"]:
            try:
                details_pool.FindFileContainingSymbol(symbol)
            except Exception as error:  # noqa: BLE001 - the pool's errors vary by version
                failures.append(f"after google.rpc.Status, {symbol} does not build: {error}")

        # 7. Health, with the stock grpc_health.v1 stub and no key.
        health = health_pb2_grpc.HealthStub(channel)
        summary["health"] = {}
        for service in ["", "marque.v1.CheckService"]:
            try:
                answer = health.Check(
                    health_pb2.HealthCheckRequest(service=service), timeout=TIMEOUT
                )
                status = health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)
            except grpc.RpcError as error:
                status = f"error {error.code().name}: {error.details()}"
            summary["health"][service] = status
            expect(status == "SERVING", f"health of {service!r} is {status}, not SERVING")

    summary["ok"] = not failures
    print(json.dumps(summary, indent=2, sort_keys=True))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
