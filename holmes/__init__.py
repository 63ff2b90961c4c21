"""holmes: agentic troubleshooting for AI inference on Kubernetes."""

__version__ = "0.1.0"
