"""The site's voice: measured from its recent posts (`measure`), kept in voice.yml beside genpost.yml
(`profile`), stated in the drafting and polish prompts (`follow`), compared with the site again (`drift`);
the gate's voice rules are `pipeline.quality.voice`."""

from pipeline.voice.profile import VoiceProfile, load_voice, voice_path, write_voice

__all__ = ["VoiceProfile", "load_voice", "voice_path", "write_voice"]
