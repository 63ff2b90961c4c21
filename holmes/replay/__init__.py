"""A read-only Kubernetes API that serves a recorded incident bundle, for the official client and kubectl."""

from holmes.replay.server import ReplayServer, serve_bundle

__all__ = ["ReplayServer", "serve_bundle"]
