"""The one door to the models: providers, the call policy, answers, the Batch API."""

from pipeline.llm.answers import ask_json, ask_text
from pipeline.llm.gateway import Gateway
from pipeline.llm.provider import Capabilities, ChatRequest, ChatResult, Provider

__all__ = ["Capabilities", "ChatRequest", "ChatResult", "Gateway", "Provider", "ask_json", "ask_text"]
