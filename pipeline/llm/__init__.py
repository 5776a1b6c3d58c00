"""The one door to the models: providers, retries, timeouts, usage and cost."""

from pipeline.llm.gateway import Gateway
from pipeline.llm.provider import ChatRequest, ChatResult, Provider

__all__ = ["ChatRequest", "ChatResult", "Gateway", "Provider"]
