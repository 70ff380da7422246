"""Aetherion quickstart: the AuthService from Python over plain gRPC or TLS.

Setup (from the repository root):

    python -m pip install grpcio grpcio-tools
    mkdir -p examples/python/generated
    python -m grpc_tools.protoc -I protos \
        --python_out=examples/python/generated \
        --grpc_python_out=examples/python/generated \
        protos/trading_api.proto

Run against a server started with `aetherion serve`:

    python examples/python/quickstart.py --server 127.0.0.1:50051

or against one started with `aetherion serve --tls-self-signed` (its certificate names
localhost, 127.0.0.1 and ::1, so connect with one of those):

    python examples/python/quickstart.py --server localhost:50051 \
        --ca-cert data/tls/self-signed-cert.pem
"""

import argparse
import os
import sys
import uuid

import grpc

# The generated modules import each other by their plain names, so put their folder on the path.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "generated"))
import trading_api_pb2 as pb  # noqa: E402
import trading_api_pb2_grpc as pb_grpc  # noqa: E402


def open_channel(server, ca_cert):
    """A plain channel, or a TLS channel that trusts the given root certificate."""
    if ca_cert is None:
        return grpc.insecure_channel(server)
    with open(ca_cert, "rb") as f:
        credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
    return grpc.secure_channel(server, credentials)


def expect_error(what, code, call):
    """Run a call that must fail with the given status code and print what the server said."""
    try:
        call()
    except grpc.RpcError as err:
        if err.code() != code:
            sys.exit(f"{what}: got {err.code().name}, wanted {code.name}: {err.details()}")
        print(f"{what}: {err.code().name} (as expected): {err.details()}")
        return
    sys.exit(f"{what}: succeeded, but it should have failed with {code.name}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="127.0.0.1:50051", help="host:port of the server")
    parser.add_argument("--ca-cert", help="PEM root certificate: use TLS and trust this certificate")
    args = parser.parse_args()

    with open_channel(args.server, args.ca_cert) as channel:
        auth = pb_grpc.AuthServiceStub(channel)

        # Register a fresh account; Register also signs it in and returns a token pair.
        email = f"quickstart-{uuid.uuid4().hex[:8]}@example.com"
        password = "correct horse battery staple"
        reg = auth.Register(
            pb.RegisterRequest(email=email, password=password, display_name="Quickstart"),
            timeout=10,
        )
        print(f"Register: user_id={reg.user.user_id} email={reg.user.email} "
              f"role={pb.Role.Name(reg.user.role)}")

        # Log in with the same credentials: a new, independent token pair.
        login = auth.Login(pb.LoginRequest(email=email, password=password), timeout=10)
        print(f"Login: access token expires at {login.access_token_expires_at.ToJsonString()}")

        # Every other RPC needs the access token as "authorization: Bearer <token>" metadata.
        bearer = [("authorization", f"Bearer {login.access_token}")]
        me = auth.GetUser(pb.GetUserRequest(), metadata=bearer, timeout=10)
        print(f"GetUser: {me.email} ({me.display_name}), created {me.created_at.ToJsonString()}")

        # Refresh tokens are single use: each RefreshToken returns a new pair.
        refreshed = auth.RefreshToken(
            pb.RefreshTokenRequest(refresh_token=login.refresh_token), timeout=10)
        print(f"RefreshToken: new access token expires at "
              f"{refreshed.access_token_expires_at.ToJsonString()}")

        # Presenting the old (already used) refresh token again is refused.
        expect_error(
            "RefreshToken with the used token", grpc.StatusCode.UNAUTHENTICATED,
            lambda: auth.RefreshToken(
                pb.RefreshTokenRequest(refresh_token=login.refresh_token), timeout=10),
        )

        # Malformed input is INVALID_ARGUMENT, with a message naming the field.
        expect_error(
            "Register with a short password", grpc.StatusCode.INVALID_ARGUMENT,
            lambda: auth.Register(
                pb.RegisterRequest(email=f"x-{uuid.uuid4().hex[:8]}@example.com",
                                   password="short"),
                timeout=10),
        )

        # Sign out: revokes this session's refresh token family.
        auth.Logout(pb.LogoutRequest(refresh_token=refreshed.refresh_token), timeout=10)
        print("Logout: done")


if __name__ == "__main__":
    main()
