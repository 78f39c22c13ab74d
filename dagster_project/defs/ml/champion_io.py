"""The IO manager of the training assets: their output lives in the model registry.

A training asset's output is the promoted (champion) version of its model; the registry's
champion pointer already holds it, so storing it again would make a second truth. Loading it
for a downstream asset (scoring) reads that pointer: the promoted model, never the newest file,
and a clear failure when no model was ever promoted.
"""

from pathlib import Path

import dagster as dg

from dagster_project.settings import get_settings
from models_ml.registry import ModelRegistry, NoChampionError

CHAMPION_IO_MANAGER_KEY = "ml_champion_io_manager"


def model_of_asset_key(key: dg.AssetKey) -> str:
    """The model name of a training asset key (``ml/churn_model`` -> ``churn``)."""
    return key.path[-1].removesuffix("_model")


class ChampionModelIOManager(dg.ConfigurableIOManager):
    """Keeps a training asset's output where it already is, the registry's champion pointer,
    and loads it for downstream assets: the promoted version, or None when no model was ever
    promoted."""

    models_dir: str

    def handle_output(self, context: dg.OutputContext, obj: dict) -> None:
        # The training asset has already written the model and, if promoted, the pointer.
        context.log.debug("champion of %s: %s", context.asset_key.to_user_string(), obj)

    def load_input(self, context: dg.InputContext) -> dict | None:
        """The champion's summary, or None before any model of its kind was promoted (a new
        installation has too little history to train): scoring then leaves that model out."""
        model = model_of_asset_key(context.upstream_output.asset_key)
        try:
            return ModelRegistry(Path(self.models_dir)).require_champion(model).summary()
        except NoChampionError as error:
            context.log.warning(str(error))
            return None


@dg.definitions
def champion_io_manager() -> dg.Definitions:
    """The IO manager of the training assets, on the models folder of the settings."""
    models_dir = str(get_settings().models_dir)
    return dg.Definitions(
        resources={CHAMPION_IO_MANAGER_KEY: ChampionModelIOManager(models_dir=models_dir)}
    )
