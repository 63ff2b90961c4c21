"""Model traffic recorded once with a real model and replayed offline (vcrpy), per incident and model."""

from __future__ import annotations

import re
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from holmes.errors import UserError

MODEL_PATHS = ("/chat/completions", "/completions", "/responses", "/embeddings")


@dataclass(frozen=True)
class CassettePolicy:
    directory: Path
    model: str
    mode: Literal["record", "replay"]
    llm_base_url: str = ""

    def path_for(self, incident_id: str) -> Path:
        model = re.sub(r"[^\w.-]+", "_", self.model or "model")
        return self.directory / f"{incident_id}--{model}.yaml"

    def use(self, incident_id: str) -> AbstractContextManager[Any]:
        """Only requests to the model are recorded: the replay API and Prometheus stay live.

        Model calls are told apart by their OpenAI-style path, not their host, so a cassette recorded against one
        server address replays against another (or against none).
        """
        import vcr

        path = self.path_for(incident_id)
        if self.mode == "replay" and not path.exists():
            raise UserError(f"{path}: no cassette recorded for this incident and model (run with --record-llm)")

        def only_model(request: Any) -> Any:
            return request if request.path.endswith(MODEL_PATHS) else None

        recorder = vcr.VCR(record_mode="all" if self.mode == "record" else "none", match_on=("method", "path"),
                           filter_headers=["authorization", "api-key", "x-api-key"],
                           before_record_request=only_model, decode_compressed_response=True)
        self.directory.mkdir(parents=True, exist_ok=True)
        return recorder.use_cassette(str(path), allow_playback_repeats=False)


def no_cassette(_incident_id: str) -> AbstractContextManager[Any]:
    return nullcontext()
