"""The WebSocket gateway (docs/gateway.md)."""
